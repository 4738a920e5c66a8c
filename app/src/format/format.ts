/**
 * The one place where numbers become text. Every amount arrives as the SDK's / the contracts' bigint in its
 * fixed-point unit (USD, prices and sizes scaled by 1e18, bps of 10_000, token units) and is rendered here
 * with exact integer arithmetic: no float ever touches a balance. Rounding for display is half away from
 * zero, so the same bigint always renders the same text (tests compare the UI with contract views through
 * these functions).
 */

/** Decimals of the protocol's fixed-point values (USD, prices, sizes, rates): 1e18. */
export const WAD_DECIMALS = 18;
/** Decimals of a basis-point value relative to one (10_000 bps = 1). */
const BPS_DECIMALS = 4;
/** Display precision of USD amounts (cents). */
export const USD_DISPLAY_DECIMALS = 2;
/** Display precision of prices: cents, like the feeds' quotes. */
export const PRICE_DISPLAY_DECIMALS = 2;
/** Display precision of position sizes (base units). */
export const SIZE_DISPLAY_DECIMALS = 4;
/** Display precision of percentages (e.g. 12.34%). */
export const PERCENT_DISPLAY_DECIMALS = 2;
/** Display precision of funding rates, which are small numbers (e.g. 0.0104%). */
export const RATE_DISPLAY_DECIMALS = 4;
/** Display precision of leverage (e.g. 4.25x). */
export const LEVERAGE_DISPLAY_DECIMALS = 2;
/** Display precision of LP share prices (collateral per share). */
export const SHARE_PRICE_DISPLAY_DECIMALS = 6;
/** Percent points in one (a ratio of 1 is 100%). */
const PERCENT_DECIMALS = 2;

const MINUS = "−"; // U+2212, so negative amounts line up with positive ones in tables

/**
 * `value / 10^scaleDecimals` rounded half away from zero to `displayDecimals`, with thousands separators.
 * Exact for any bigint.
 */
export function formatFixed(value: bigint, scaleDecimals: number, displayDecimals: number): string {
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  let scaled: bigint;
  if (displayDecimals >= scaleDecimals) {
    scaled = magnitude * 10n ** BigInt(displayDecimals - scaleDecimals);
  } else {
    const divisor = 10n ** BigInt(scaleDecimals - displayDecimals);
    scaled = (magnitude + divisor / 2n) / divisor;
  }
  const unit = 10n ** BigInt(displayDecimals);
  const whole = groupThousands((scaled / unit).toString());
  const fraction = displayDecimals > 0 ? "." + (scaled % unit).toString().padStart(displayDecimals, "0") : "";
  const isZero = scaled === 0n;
  return `${negative && !isZero ? MINUS : ""}${whole}${fraction}`;
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** A USD amount (1e18): "$1,234.56", "−$12.00". */
export function formatUsd(usdWad: bigint, displayDecimals = USD_DISPLAY_DECIMALS): string {
  const text = formatFixed(usdWad, WAD_DECIMALS, displayDecimals);
  return text.startsWith(MINUS) ? `${MINUS}$${text.slice(1)}` : `$${text}`;
}

/** A signed USD amount with an explicit sign: "+$3.20", "−$1.05", "$0.00". */
export function formatSignedUsd(usdWad: bigint, displayDecimals = USD_DISPLAY_DECIMALS): string {
  const text = formatUsd(usdWad, displayDecimals);
  return text.startsWith(MINUS) || text === formatUsd(0n, displayDecimals) ? text : `+${text}`;
}

/** A price in USD per base unit (1e18): "$2,000.01". */
export function formatPrice(priceWad: bigint, displayDecimals = PRICE_DISPLAY_DECIMALS): string {
  return formatUsd(priceWad, displayDecimals);
}

/** A size in base units (1e18) with its asset: "1.2500 ETH", "−0.5000 BTC". */
export function formatSize(sizeWad: bigint, baseAsset: string, displayDecimals = SIZE_DISPLAY_DECIMALS): string {
  return `${formatFixed(sizeWad, WAD_DECIMALS, displayDecimals)} ${baseAsset}`;
}

/** A token amount in the token's native units: "1,000.00 USDC". */
export function formatTokenAmount(amount: bigint, tokenDecimals: number, symbol: string, displayDecimals = 2): string {
  return `${formatFixed(amount, tokenDecimals, displayDecimals)} ${symbol}`;
}

/** Basis points as a percentage: 250 → "2.50%". */
export function formatBps(bps: bigint, displayDecimals = PERCENT_DISPLAY_DECIMALS): string {
  return `${formatFixed(bps, BPS_DECIMALS - PERCENT_DECIMALS, displayDecimals)}%`;
}

/** A ratio scaled by 1e18 as a percentage: 0.05e18 → "5.00%". */
export function formatRatioWad(ratioWad: bigint, displayDecimals = PERCENT_DISPLAY_DECIMALS): string {
  return `${formatFixed(ratioWad, WAD_DECIMALS - PERCENT_DECIMALS, displayDecimals)}%`;
}

/** A signed rate scaled by 1e18 (1e18 = 100%) as a percentage with an explicit sign: "+0.0104%". */
export function formatRateWad(rateWad: bigint, displayDecimals = RATE_DISPLAY_DECIMALS): string {
  const text = formatRatioWad(rateWad, displayDecimals);
  return text.startsWith(MINUS) || /^0\.0*%$/.test(text) ? text : `+${text}`;
}

/** Leverage scaled by 1e18: "4.25x"; `null` (equity ≤ 0) renders as "∞". */
export function formatLeverage(leverageWad: bigint | null, displayDecimals = LEVERAGE_DISPLAY_DECIMALS): string {
  return leverageWad === null ? "∞" : `${formatFixed(leverageWad, WAD_DECIMALS, displayDecimals)}x`;
}

/** Collateral per LP share, from assets (token units) per `10^shareDecimals` shares. */
export function formatSharePrice(assetsPerShare: bigint, tokenDecimals: number, symbol: string): string {
  return formatTokenAmount(assetsPerShare, tokenDecimals, symbol, SHARE_PRICE_DISPLAY_DECIMALS);
}

const SECONDS_PER_MINUTE = 60n;
const SECONDS_PER_HOUR = 3_600n;
const SECONDS_PER_DAY = 86_400n;

/** A duration: "45s", "3m 05s", "2h 10m", "3d 4h". */
export function formatDuration(seconds: bigint): string {
  const s = seconds < 0n ? 0n : seconds;
  if (s < SECONDS_PER_MINUTE) return `${s}s`;
  if (s < SECONDS_PER_HOUR) {
    return `${s / SECONDS_PER_MINUTE}m ${(s % SECONDS_PER_MINUTE).toString().padStart(2, "0")}s`;
  }
  if (s < SECONDS_PER_DAY) {
    return `${s / SECONDS_PER_HOUR}h ${((s % SECONDS_PER_HOUR) / SECONDS_PER_MINUTE).toString().padStart(2, "0")}m`;
  }
  return `${s / SECONDS_PER_DAY}d ${(s % SECONDS_PER_DAY) / SECONDS_PER_HOUR}h`;
}

/** A shortened address: "0x1234…abcd". */
export function formatAddress(address: string): string {
  return address.length <= 12 ? address : `${address.slice(0, 6)}…${address.slice(-4)}`;
}

/** A timestamp (seconds) in UTC: "2025-01-31 14:05:09 UTC". */
export function formatTimestamp(seconds: bigint): string {
  const MS_PER_SECOND = 1_000;
  return new Date(Number(seconds) * MS_PER_SECOND)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, " UTC");
}

/** A plain integer with separators: 12345 → "12,345". */
export function formatInteger(value: bigint): string {
  return formatFixed(value, 0, 0);
}

/**
 * A fixed-point value as a JavaScript number, for chart libraries only (they plot floats). Never use the
 * result for arithmetic on balances.
 */
export function toChartNumber(value: bigint, scaleDecimals: number = WAD_DECIMALS): number {
  const CHART_DECIMALS = 6;
  return Number(formatFixed(value, scaleDecimals, CHART_DECIMALS).replace(/,/g, "").replace(MINUS, "-"));
}

/** Allowances at or above this are shown as "unlimited" (an unlimited approval sets 2^256 − 1). */
const UNLIMITED_ALLOWANCE_THRESHOLD = 2n ** 255n;

/** An ERC-20 allowance: "250.00 USDC" or "unlimited". */
export function formatAllowance(allowance: bigint, tokenDecimals: number, symbol: string): string {
  return allowance >= UNLIMITED_ALLOWANCE_THRESHOLD ? "unlimited" : formatTokenAmount(allowance, tokenDecimals, symbol);
}

/** An exact decimal for a form field (no separators, no rounding, trailing zeros trimmed): "1234.5". */
export function formatInputValue(value: bigint, scaleDecimals: number): string {
  const text = formatFixed(value, scaleDecimals, scaleDecimals).replace(/,/g, "").replace(MINUS, "-");
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}
