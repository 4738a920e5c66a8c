/** The Positions screen: every open position of the connected account, and its past liquidations. */
import { formatAddress } from "../../format/format";
import { useChain } from "../../chain/ChainContext";
import type { LiquidatedEvent } from "../../chain/engineEvents";
import { useEngineEvents } from "../../hooks/useEngineEvents";
import { usePositionViews } from "../../hooks/usePositionViews";
import { useWallet } from "../../wallet/WalletContext";
import { LiquidationsTable } from "../Protocol/LiquidationsTable";
import { OrdersPanel } from "./OrdersPanel";
import { PositionCard } from "./PositionCard";

export function PositionsScreen() {
  const { errorContext } = useChain();
  const { account } = useWallet();
  const positions = usePositionViews();
  const events = useEngineEvents();
  if (account === null) return <p className="muted">Connect a wallet to see your positions.</p>;
  const mine = events.items
    .filter((e): e is LiquidatedEvent => e.name === "Liquidated" && (e as LiquidatedEvent).account === account)
    .reverse();
  return (
    <div className="screen positions-screen">
      {positions === undefined && <p className="muted">Loading positions…</p>}
      {positions?.length === 0 && (
        <p className="muted" data-testid="no-positions">
          No open positions.
        </p>
      )}
      {positions?.map((position) => (
        <PositionCard key={position.marketId} position={position} />
      ))}
      <OrdersPanel title="Orders" />
      <section className="panel wide" aria-labelledby="my-liquidations-title">
        <h2 id="my-liquidations-title">Your liquidations</h2>
        <LiquidationsTable
          events={mine}
          marketSymbol={(id) => errorContext.marketSymbol(id) ?? formatAddress(id)}
          caption="Your liquidations, most recent first"
          testId="my-liquidations"
        />
      </section>
    </div>
  );
}
