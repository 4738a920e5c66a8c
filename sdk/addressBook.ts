import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { addressBookSchema, type AddressBook } from "./addressBookSchema";

// The schema, types and pure helpers live in a browser-safe module (the dApp imports it directly).
export * from "./addressBookSchema";

/** Default location: `deployments/<network>.json` at the project root. */
export function addressBookPath(network: string, root = join(__dirname, "..")): string {
  return join(root, "deployments", `${network}.json`);
}

/** Loads and validates an address book; throws with the offending field on a malformed file. */
export function loadAddressBook(pathOrNetwork: string): AddressBook {
  const path = pathOrNetwork.endsWith(".json") ? pathOrNetwork : addressBookPath(pathOrNetwork);
  const raw: unknown = JSON.parse(readFileSync(path, "utf8"));
  return addressBookSchema.parse(raw);
}

export function writeAddressBook(book: AddressBook, path = addressBookPath(book.network)): string {
  addressBookSchema.parse(book);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(book, null, 2) + "\n");
  return path;
}
