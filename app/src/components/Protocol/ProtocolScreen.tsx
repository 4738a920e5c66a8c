/**
 * The Protocol screen: insurance fund (balance, target, history), vault equity and share price, recent
 * liquidations with their waterfall split, ADL and socialized-loss events.
 */
import { useMemo } from "react";
import {
  formatAddress,
  formatInteger,
  formatPrice,
  formatSharePrice,
  formatSize,
  formatUsd,
} from "../../format/format";
import { useChain } from "../../chain/ChainContext";
import type { DeleveragedEvent, LiquidatedEvent, LossSocializedEvent } from "../../chain/engineEvents";
import { useEngineEvents } from "../../hooks/useEngineEvents";
import { useProtocol } from "../../hooks/useProtocol";
import { useVaultView } from "../../hooks/useVaultView";
import { insuranceFundHistory } from "../../model/insuranceHistory";
import { Stats } from "../common/Stats";
import { InsuranceChart } from "./InsuranceChart";
import { LiquidationsTable } from "./LiquidationsTable";

/** Rows shown per event table (most recent first). */
const RECENT_EVENTS_SHOWN = 20;

export function ProtocolScreen() {
  const { book, errorContext } = useChain();
  const protocol = useProtocol().data;
  const vault = useVaultView();
  const events = useEngineEvents();
  const history = useMemo(() => insuranceFundHistory(events.items), [events.items]);
  const recent = <T,>(name: string) =>
    events.items
      .filter((e) => e.name === name)
      .slice(-RECENT_EVENTS_SHOWN)
      .reverse() as unknown as T[];
  const liquidations = recent<LiquidatedEvent>("Liquidated");
  const deleverages = recent<DeleveragedEvent>("Deleveraged");
  const socialized = recent<LossSocializedEvent>("LossSocialized");
  const symbolOf = (marketId: string) => errorContext.marketSymbol(marketId) ?? formatAddress(marketId);
  const assetOf = (marketId: string) => symbolOf(marketId).split("-")[0];
  const { decimals, symbol } = book.collateral;

  return (
    <div className="screen protocol-screen">
      <section className="panel" aria-labelledby="insurance-title">
        <h2 id="insurance-title">Insurance fund</h2>
        <Stats
          label="Insurance fund"
          stats={[
            {
              label: "Balance",
              value: protocol ? formatUsd(protocol.insuranceFundUsd) : "—",
              testId: "insurance-balance",
            },
            { label: "Target", value: protocol ? formatUsd(protocol.insuranceFundTargetUsd) : "—" },
          ]}
        />
        <InsuranceChart points={history} targetUsd={protocol?.insuranceFundTargetUsd ?? 0n} />
      </section>
      <section className="panel" aria-labelledby="vault-summary-title">
        <h2 id="vault-summary-title">Liquidity vault</h2>
        <Stats
          label="Vault summary"
          stats={[
            {
              label: "Vault equity (gains excluded)",
              value: vault?.payout ? formatUsd(vault.payout.equityUsd) : "—",
              testId: "vault-equity",
            },
            {
              label: "Share price",
              value:
                vault?.vault.assetsPerShare != null
                  ? formatSharePrice(vault.vault.assetsPerShare, decimals, symbol)
                  : "—",
            },
          ]}
        />
      </section>
      <section className="panel wide" aria-labelledby="liquidations-title">
        <h2 id="liquidations-title">Recent liquidations</h2>
        {events.error && <p className="field-error">{events.error}</p>}
        <LiquidationsTable
          events={liquidations}
          marketSymbol={symbolOf}
          caption="Liquidations, most recent first"
          testId="liquidations"
        />
      </section>
      <section className="panel" aria-labelledby="adl-title">
        <h2 id="adl-title">Auto-deleveraging</h2>
        {deleverages.length === 0 ? (
          <p className="muted">No ADL yet.</p>
        ) : (
          <ul className="event-list" data-testid="adl-events">
            {deleverages.map((e) => (
              <li key={`${e.transactionHash}-${e.logIndex}`}>
                Block {formatInteger(BigInt(e.blockNumber))}: {formatAddress(e.account)} deleveraged{" "}
                {formatSize(e.size, assetOf(e.marketId))} of {symbolOf(e.marketId)} at {formatPrice(e.priceWad)}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="panel" aria-labelledby="socialized-title">
        <h2 id="socialized-title">Socialized losses</h2>
        {socialized.length === 0 ? (
          <p className="muted">No socialized loss yet.</p>
        ) : (
          <ul className="event-list" data-testid="socialized-events">
            {socialized.map((e) => (
              <li key={`${e.transactionHash}-${e.logIndex}`}>
                Block {formatInteger(BigInt(e.blockNumber))}: {formatUsd(e.amountUsd)} spread over{" "}
                {formatSize(e.openInterestCharged, assetOf(e.marketId))} of {symbolOf(e.marketId)}{" "}
                {e.chargedSideIsLong ? "longs" : "shorts"}
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
