/** Recent liquidations with their loss waterfall: who paid the deficit (insurance, ADL, vault, socialized). */
import { formatAddress, formatInteger, formatPrice, formatSize, formatUsd } from "../../format/format";
import type { LiquidatedEvent } from "../../chain/engineEvents";
import { liquidationWaterfall, WATERFALL_PAYER_LABELS } from "../../model/waterfall";

export function LiquidationsTable(props: {
  events: readonly LiquidatedEvent[];
  marketSymbol(marketId: string): string;
  caption: string;
  testId: string;
}) {
  if (props.events.length === 0) {
    return (
      <p className="muted" data-testid={props.testId}>
        No liquidations yet.
      </p>
    );
  }
  return (
    <div className="table-scroll">
      <table data-testid={props.testId}>
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Block</th>
            <th scope="col">Account</th>
            <th scope="col">Market</th>
            <th scope="col">Closed</th>
            <th scope="col">Price</th>
            <th scope="col">Penalty</th>
            <th scope="col">Deficit</th>
            <th scope="col">Waterfall split</th>
          </tr>
        </thead>
        <tbody>
          {props.events.map((event) => {
            const symbol = props.marketSymbol(event.marketId);
            const waterfall = liquidationWaterfall(event);
            return (
              <tr key={`${event.transactionHash}-${event.logIndex}`} data-testid="liquidation-row">
                <td>{formatInteger(BigInt(event.blockNumber))}</td>
                <td title={event.account}>{formatAddress(event.account)}</td>
                <td>{symbol}</td>
                <td>
                  {formatSize(event.closedSize, symbol.split("-")[0])} {waterfall.isFull ? "(full)" : "(partial)"}
                </td>
                <td>{formatPrice(event.executionPriceWad)}</td>
                <td>{formatUsd(event.penaltyUsd)}</td>
                <td>{formatUsd(event.deficitUsd)}</td>
                <td>
                  <ul className="waterfall" aria-label="Waterfall split">
                    {waterfall.parts.map((part) => (
                      <li key={part.payer} data-payer={part.payer}>
                        {WATERFALL_PAYER_LABELS[part.payer]}:{" "}
                        {part.amountUsd === null ? "n/a" : formatUsd(part.amountUsd)}
                      </li>
                    ))}
                  </ul>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
