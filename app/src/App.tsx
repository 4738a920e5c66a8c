/** The page: header with the wallet, page-wide banners, and the four screens as tabs (Trade first). */
import { lazy, Suspense, useState } from "react";
import { formatInteger } from "./format/format";
import { useChain } from "./chain/ChainContext";
import { Banners } from "./components/Wallet/Banners";
import { WalletBar } from "./components/Wallet/WalletBar";
import { TradeScreen } from "./components/Trade/TradeScreen";

// The other screens (and uPlot, which only the Protocol screen uses) load when first opened.
const PositionsScreen = lazy(() =>
  import("./components/Positions/PositionsScreen").then((m) => ({ default: m.PositionsScreen })),
);
const VaultScreen = lazy(() => import("./components/Vault/VaultScreen").then((m) => ({ default: m.VaultScreen })));
const ProtocolScreen = lazy(() =>
  import("./components/Protocol/ProtocolScreen").then((m) => ({ default: m.ProtocolScreen })),
);

const SCREENS = [
  { id: "trade", label: "Trade", render: () => <TradeScreen /> },
  { id: "positions", label: "Positions", render: () => <PositionsScreen /> },
  { id: "vault", label: "Vault", render: () => <VaultScreen /> },
  { id: "protocol", label: "Protocol", render: () => <ProtocolScreen /> },
] as const;

type ScreenId = (typeof SCREENS)[number]["id"];

export function App() {
  const { book, latestBlock } = useChain();
  const [screen, setScreen] = useState<ScreenId>("trade");
  const current = SCREENS.find((s) => s.id === screen) ?? SCREENS[0];
  return (
    <div className="app">
      <header className="header">
        <h1>NBP Perps</h1>
        <span className="muted small" data-testid="network">
          {book.network} · chain {book.chainId} · block{" "}
          {latestBlock === null ? "…" : formatInteger(BigInt(latestBlock.number))}
        </span>
        <WalletBar />
      </header>
      <Banners />
      <nav className="tabs" role="tablist" aria-label="Screens">
        {SCREENS.map((s) => (
          <button
            key={s.id}
            type="button"
            role="tab"
            id={`tab-${s.id}`}
            aria-selected={s.id === screen}
            aria-controls={`panel-${s.id}`}
            onClick={() => setScreen(s.id)}
          >
            {s.label}
          </button>
        ))}
      </nav>
      <main id={`panel-${current.id}`} role="tabpanel" aria-labelledby={`tab-${current.id}`}>
        <Suspense fallback={<p className="muted">Loading…</p>}>{current.render()}</Suspense>
      </main>
    </div>
  );
}
