/**
 * The dApp's configuration is read at run time, never baked into the build: `app-config.json` (served next
 * to the page) names the RPC URL and the network, and the address book `deployments/<network>.json` (served
 * next to it too) names the contracts. The same build therefore runs against any deployment.
 */
import { z } from "zod";
import { addressBookSchema, type AddressBook } from "../../../sdk/addressBookSchema";

/** How often the read provider asks the node for a new block when none is pushed (ms). */
export const DEFAULT_POLL_INTERVAL_MS = 1_000;
/** Name of the runtime configuration file, relative to the page. */
export const RUNTIME_CONFIG_FILE = "app-config.json";

export const runtimeConfigSchema = z.object({
  /** JSON-RPC endpoint for reads (and the RPC URL offered to wallets adding the chain). */
  rpcUrl: z.string().url(),
  /** Network name: the address book is `deployments/<network>.json` unless `addressBookUrl` says otherwise. */
  network: z.string().min(1),
  /** Where to fetch the address book from, relative to the page. */
  addressBookUrl: z.string().min(1).optional(),
  /** Block polling interval of the read provider (ms). */
  pollIntervalMs: z.number().int().positive().default(DEFAULT_POLL_INTERVAL_MS),
  /** Human name of the chain for wallets ("Localhost 8545"). */
  chainName: z.string().min(1).optional(),
});

export type RuntimeConfig = z.infer<typeof runtimeConfigSchema>;

export interface LoadedConfig {
  config: RuntimeConfig;
  book: AddressBook;
}

/** Thrown when the configuration or the address book cannot be fetched or is malformed. */
export class ConfigLoadError extends Error {
  constructor(
    readonly what: string,
    readonly url: string,
    detail: string,
  ) {
    super(`could not load the ${what} from ${url}: ${detail}`);
    this.name = "ConfigLoadError";
  }
}

async function fetchJson(what: string, url: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { cache: "no-store" });
  } catch (cause) {
    throw new ConfigLoadError(what, url, (cause as Error).message);
  }
  if (!response.ok) throw new ConfigLoadError(what, url, `HTTP ${response.status}`);
  try {
    return await response.json();
  } catch (cause) {
    throw new ConfigLoadError(what, url, `not JSON (${(cause as Error).message})`);
  }
}

function parseWith<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, what: string, url: string, raw: unknown): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigLoadError(what, url, `${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return parsed.data;
}

/** Fetches and validates `app-config.json` and the address book it points to. */
export async function loadRuntimeConfig(baseUrl: string): Promise<LoadedConfig> {
  const configUrl = new URL(RUNTIME_CONFIG_FILE, baseUrl).toString();
  const config = parseWith(
    runtimeConfigSchema,
    "app configuration",
    configUrl,
    await fetchJson("app configuration", configUrl),
  );
  const bookUrl = new URL(config.addressBookUrl ?? `deployments/${config.network}.json`, baseUrl).toString();
  const book = parseWith(addressBookSchema, "address book", bookUrl, await fetchJson("address book", bookUrl));
  if (book.network !== config.network) {
    throw new ConfigLoadError("address book", bookUrl, `it is for network "${book.network}", not "${config.network}"`);
  }
  return { config, book };
}
