/**
 * Loads the keeper's signing key: a private key from the environment variable the config names, or an encrypted
 * JSON keystore with its password in a file. The secret is never logged and never stored in the config.
 */
import { readFileSync } from "node:fs";
import { Wallet, type HDNodeWallet } from "ethers";
import { ConfigError } from "../errors";
import type { SignerSource } from "./schema";

const PRIVATE_KEY_PATTERN = /^(0x)?[0-9a-fA-F]{64}$/;

export async function loadSigner(source: SignerSource, env: NodeJS.ProcessEnv): Promise<Wallet | HDNodeWallet> {
  if (source.kind === "privateKeyEnv") {
    const key = env[source.envName]?.trim();
    if (!key) throw new ConfigError(`no signer: set ${source.envName} or give --keystore and --keystore-password-file`);
    if (!PRIVATE_KEY_PATTERN.test(key)) throw new ConfigError(`${source.envName} is not a 32-byte hex private key`);
    return new Wallet(key.startsWith("0x") ? key : `0x${key}`);
  }
  const json = readFileSync(source.path, "utf8");
  const password = readFileSync(source.passwordFile, "utf8").replace(/\r?\n$/, "");
  try {
    return await Wallet.fromEncryptedJson(json, password);
  } catch (cause) {
    throw new ConfigError(
      "cannot decrypt the keystore (wrong password or not a keystore)",
      { path: source.path },
      { cause },
    );
  }
}
