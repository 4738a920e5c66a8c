/**
 * The keeper's Prometheus metrics (prom-client), one registry per keeper. Every metric is documented in the
 * keeper's README (what it means and which alert to set on it).
 */
import { Counter, Gauge, Registry } from "prom-client";

export class KeeperMetrics {
  readonly registry = new Registry();

  readonly positionsTracked = this.gauge("keeper_positions_tracked", "open positions in the mirror");
  readonly liquidatableNow = this.gauge(
    "keeper_liquidatable_positions",
    "positions liquidatable at the last processed block",
  );
  readonly liquidationsSent = this.counter(
    "keeper_liquidations_sent_total",
    "liquidation entries sent in transactions",
  );
  readonly liquidationsSucceeded = this.counter(
    "keeper_liquidations_succeeded_total",
    "liquidations by this keeper confirmed on chain (Liquidated events with this keeper)",
  );
  readonly liquidationsFailed = this.counter(
    "keeper_liquidations_failed_total",
    "liquidation entries in reverted, dropped or unaffordable transactions",
  );
  readonly liquidationsSkipped = this.counter(
    "keeper_liquidations_skipped_total",
    "liquidation candidates not liquidated, by reason",
    ["reason"],
  );
  readonly rewardsUsd = this.counter("keeper_rewards_usd_total", "rewards credited to the keeper in the engine (USD)", [
    "kind",
  ]);
  readonly gasSpentWei = this.counter("keeper_gas_spent_wei_total", "gas paid by the keeper's transactions (wei)", [
    "kind",
  ]);
  readonly transactions = this.counter("keeper_transactions_total", "transactions by outcome", ["kind", "outcome"]);
  readonly replacements = this.counter(
    "keeper_transaction_replacements_total",
    "stuck transactions replaced with higher fees",
  );
  readonly vaultDeleverages = this.counter("keeper_vault_deleverages_total", "deleverageVault calls by outcome", [
    "outcome",
  ]);
  readonly orders = this.counter(
    "keeper_orders_total",
    "delayed orders: sent, executed, cancelled (by this keeper), dry-run, simulation-<error>",
    ["outcome"],
  );
  readonly pendingOrders = this.gauge("keeper_pending_orders", "orders committed and not yet executed or cancelled");
  readonly lastProcessedBlock = this.gauge("keeper_last_processed_block", "last block applied to the mirror");
  readonly blockLag = this.gauge("keeper_block_lag", "chain head minus the last processed block");
  readonly rpcRequests = this.counter("keeper_rpc_requests_total", "JSON-RPC requests by method", ["method"]);
  readonly rpcErrors = this.counter("keeper_rpc_errors_total", "failed JSON-RPC requests by method", ["method"]);
  readonly oracleAgeSeconds = this.gauge(
    "keeper_oracle_age_seconds",
    "block time minus the feed's latest updatedAt, per market",
    ["market"],
  );
  readonly priceValid = this.gauge("keeper_price_valid", "1 while the market's oracle price is valid", ["market"]);
  readonly insuranceFundUsd = this.gauge("keeper_insurance_fund_usd", "insurance fund balance (USD)");
  readonly insuranceFundTargetUsd = this.gauge("keeper_insurance_fund_target_usd", "insurance fund target (USD)");
  readonly insuranceFundRatio = this.gauge("keeper_insurance_fund_ratio", "insurance fund / target (1 = at target)");
  readonly vaultLossRatio = this.gauge(
    "keeper_vault_loss_ratio",
    "vault's unrealised loss in the market / vault equity (deleverageVault above vaultLossUpperBps)",
    ["market"],
  );
  readonly signerBalanceEth = this.gauge("keeper_signer_balance_eth", "the keeper's native balance (ETH)");
  readonly dryRun = this.gauge("keeper_dry_run", "1 when the keeper sends nothing");
  readonly candidateSetMs = this.gauge(
    "keeper_candidate_set_ms",
    "time to compute the liquidatable set at the last update (ms)",
  );
  readonly backfilledEvents = this.counter("keeper_backfilled_events_total", "events applied by the bulk backfill");
  readonly reorgs = this.counter("keeper_reorgs_total", "reorgs rolled back");
  readonly pendingTransactions = this.gauge("keeper_pending_transactions", "transactions sent and not yet mined");

  private gauge(name: string, help: string, labelNames: string[] = []): Gauge {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  private counter(name: string, help: string, labelNames: string[] = []): Counter {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }
}

/** 1e18-scaled USD (or wei) → a float for Prometheus (which has no integers beyond 2^53). */
export function wadToNumber(value: bigint): number {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = Number(abs / 10n ** 18n);
  const fraction = Number(abs % 10n ** 18n) / 1e18;
  return (negative ? -1 : 1) * (whole + fraction);
}
