/**
 * `npm run keeper -- --network <name>` (or `--rpc-url … --address-book …`): the keeper CLI. Bad configuration →
 * one line on stderr and exit code 2; SIGINT/SIGTERM → finish in-flight work, write the checkpoint, exit 0.
 */
import { CONFIG_ERROR_EXIT_CODE, ConfigError, isHelp, startKeeper } from "./index";

async function main(): Promise<void> {
  let running: Awaited<ReturnType<typeof startKeeper>>;
  try {
    running = await startKeeper(process.argv.slice(2), process.env);
  } catch (error) {
    if (isHelp(error)) process.exit(0);
    if (error instanceof ConfigError) {
      process.stderr.write(`keeper: bad configuration: ${error.message}\n`);
      process.exit(CONFIG_ERROR_EXIT_CODE);
    }
    throw error;
  }
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      running.log.info({ signal }, "shutting down");
      running
        .stop()
        .then(() => process.exit(0))
        .catch((error: unknown) => {
          running.log.error({ err: error }, "shutdown failed");
          process.exit(1);
        });
    });
  }
  await running.done;
}

main().catch((error: unknown) => {
  process.stderr.write(`keeper: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
