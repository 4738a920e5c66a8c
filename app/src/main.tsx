/**
 * Entry point: load the run-time configuration and address book, then render the app inside the query
 * client, the chain context and the wallet context. A configuration problem is shown instead of the app.
 */
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { loadRuntimeConfig } from "./config/runtimeConfig";
import { ChainProvider } from "./chain/ChainContext";
import { WalletProvider } from "./wallet/WalletContext";
import { App } from "./App";
import "./styles.css";

const rootElement = document.getElementById("root");
if (rootElement === null) throw new Error("index.html has no #root element");
const root = createRoot(rootElement);

// Reads are refetched by block (their keys hold the block number), never by focus or timers.
const queryClient = new QueryClient({
  defaultOptions: { queries: { refetchOnWindowFocus: false, retry: 1, staleTime: Infinity } },
});

loadRuntimeConfig(document.baseURI).then(
  ({ config, book }) => {
    root.render(
      <StrictMode>
        <QueryClientProvider client={queryClient}>
          <ChainProvider config={config} book={book}>
            <WalletProvider>
              <App />
            </WalletProvider>
          </ChainProvider>
        </QueryClientProvider>
      </StrictMode>,
    );
  },
  (error: unknown) => {
    root.render(
      <div className="banner banner-error" role="alert">
        {(error as Error).message}
      </div>,
    );
  },
);
