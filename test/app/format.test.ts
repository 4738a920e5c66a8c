/** The formatting and parsing module: exact bigint rendering, rounding, signs, and input errors. */
import { expect } from "chai";
import {
  formatAllowance,
  formatBps,
  formatDuration,
  formatFixed,
  formatInputValue,
  formatLeverage,
  formatPrice,
  formatRateWad,
  formatRatioWad,
  formatSignedUsd,
  formatSize,
  formatTokenAmount,
  formatUsd,
} from "../../app/src/format/format";
import { InvalidAmountError, parseDecimal, parsePercentToBps, parseWad } from "../../app/src/format/parse";

const WAD = 10n ** 18n;

describe("app format", () => {
  it("formatFixed_rounds_half_away_from_zero_and_groups_thousands", () => {
    expect(formatFixed(1_234_567_890n, 3, 2)).to.equal("1,234,567.89");
    expect(formatFixed(1_005n, 3, 2)).to.equal("1.01");
    expect(formatFixed(1_004n, 3, 2)).to.equal("1.00");
    expect(formatFixed(-1_005n, 3, 2)).to.equal("−1.01");
    expect(formatFixed(-4n, 3, 2)).to.equal("0.00"); // rounds to zero: no minus sign
    expect(formatFixed(5n, 0, 2)).to.equal("5.00");
  });

  it("formatUsd_and_formatPrice_render_wad_amounts", () => {
    expect(formatUsd(1_000n * WAD + WAD / 2n)).to.equal("$1,000.50");
    expect(formatUsd(-12n * WAD)).to.equal("−$12.00");
    expect(formatSignedUsd(3n * WAD)).to.equal("+$3.00");
    expect(formatSignedUsd(0n)).to.equal("$0.00");
    expect(formatPrice(2_000_010_000_000_000_000_000n)).to.equal("$2,000.01");
  });

  it("formatSize_keeps_sign_and_asset", () => {
    expect(formatSize(-WAD / 2n, "ETH")).to.equal("−0.5000 ETH");
    expect(formatSize(12_345_678n * 10n ** 12n, "BTC")).to.equal("12.3457 BTC");
  });

  it("percent_formats_convert_bps_and_wad_ratios", () => {
    expect(formatBps(250n)).to.equal("2.50%");
    expect(formatRatioWad(WAD / 20n)).to.equal("5.00%");
    expect(formatRateWad(104n * 10n ** 12n)).to.equal("+0.0104%");
    expect(formatRateWad(-104n * 10n ** 12n)).to.equal("−0.0104%");
    expect(formatRateWad(0n)).to.equal("0.0000%");
  });

  it("leverage_tokens_durations_and_allowances", () => {
    expect(formatLeverage(4_254n * 10n ** 15n)).to.equal("4.25x");
    expect(formatLeverage(null)).to.equal("∞");
    expect(formatTokenAmount(1_500_000n, 6, "USDC")).to.equal("1.50 USDC");
    expect(formatDuration(45n)).to.equal("45s");
    expect(formatDuration(185n)).to.equal("3m 05s");
    expect(formatDuration(7_800n)).to.equal("2h 10m");
    expect(formatAllowance(2n ** 256n - 1n, 6, "USDC")).to.equal("unlimited");
    expect(formatAllowance(0n, 6, "USDC")).to.equal("0.00 USDC");
  });

  it("formatInputValue_is_exact_and_parse_round_trips_it", () => {
    const value = 1_234_500_000n;
    expect(formatInputValue(value, 6)).to.equal("1234.5");
    expect(parseDecimal(formatInputValue(value, 6), 6, "x")).to.equal(value);
    expect(formatInputValue(7n * 10n ** 6n, 6)).to.equal("7");
  });
});

describe("app parse", () => {
  it("parses_plain_decimals_with_separators", () => {
    expect(parseWad("1,000.25", "Margin")).to.equal(1_000_250_000_000_000_000_000n);
    expect(parseDecimal(".5", 6, "Amount")).to.equal(500_000n);
    expect(parseDecimal("  ", 6, "Amount")).to.equal(null);
    expect(parsePercentToBps("0.5", "Slippage")).to.equal(50n);
  });

  it("rejects_signs_letters_and_excess_precision_with_the_field_name", () => {
    expect(() => parseDecimal("-1", 6, "Amount")).to.throw(InvalidAmountError, "Amount");
    expect(() => parseDecimal("1e3", 6, "Amount")).to.throw(InvalidAmountError);
    expect(() => parseDecimal("1.0000001", 6, "Deposit")).to.throw(InvalidAmountError, "at most 6 decimal places");
    expect(() => parsePercentToBps("0.001", "Slippage")).to.throw(InvalidAmountError);
  });
});
