/** A market at a glance: oracle price and age, status, skew, open interest against the caps, funding. */
import { formatDuration, formatPrice, formatRateWad, formatSize } from "../../format/format";
import { MARKET_STATUS_LABELS, type MarketView } from "../../model/marketView";
import { Stats } from "../common/Stats";

/** An hourly rate is a 24th of the daily one: two more decimals keep it from reading as zero. */
const HOURLY_RATE_DECIMALS = 6;

export function MarketPanel(props: { market: MarketView }) {
  const m = props.market;
  const asset = m.baseAsset;
  return (
    <section className="panel" aria-labelledby={`market-${m.symbol}`}>
      <h2 id={`market-${m.symbol}`}>{m.symbol}</h2>
      <p className="statuses" data-testid="market-status">
        {m.statuses.map((status) => (
          <span key={status} className={`badge badge-${status}`}>
            {MARKET_STATUS_LABELS[status]}
          </span>
        ))}
      </p>
      {m.priceFailure && (
        <p className="field-error" role="alert">
          {m.priceFailure.message}
        </p>
      )}
      {m.statuses.includes("volatile") && (
        <p className="muted">
          The price jumped past the deviation breaker: opening, increasing and removing margin wait until{" "}
          {formatDuration(m.volatilityCooldownSeconds)} after the jump.
        </p>
      )}
      <Stats
        label={`${m.symbol} market`}
        stats={[
          { label: "Oracle price", value: m.priceWad === null ? "—" : formatPrice(m.priceWad), testId: "oracle-price" },
          { label: "Price age", value: m.priceAgeSeconds === null ? "—" : formatDuration(m.priceAgeSeconds) },
          ...(m.settlementPriceWad !== 0n
            ? [{ label: "Settlement price", value: formatPrice(m.settlementPriceWad) }]
            : []),
          { label: "Skew (net long)", value: formatSize(m.skewWad, asset) },
          {
            label: "Long open interest",
            value: `${formatSize(m.longOpenInterestWad, asset)} / ${formatSize(m.openInterestCapWad, asset)}`,
            testId: "long-oi",
          },
          {
            label: "Short open interest",
            value: `${formatSize(m.shortOpenInterestWad, asset)} / ${formatSize(m.openInterestCapWad, asset)}`,
            testId: "short-oi",
          },
          {
            label: "Funding per hour",
            value: formatRateWad(m.funding.perHourWad, HOURLY_RATE_DECIMALS),
            testId: "funding-hour",
          },
          { label: "Funding per day", value: formatRateWad(m.funding.perDayWad), testId: "funding-day" },
          { label: "Funding annualised", value: formatRateWad(m.funding.perYearWad, 2), testId: "funding-year" },
        ]}
      />
      <p className="muted small">Positive funding: longs pay shorts.</p>
    </section>
  );
}
