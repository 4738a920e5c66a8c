/**
 * The error table covers every custom error in the ABIs (the Hardhat artifacts of every non-test contract)
 * and renders each with its values; the decoder knows every selector. A new error in the contracts fails
 * this test until it has a sentence.
 */
import { expect } from "chai";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { AbiCoder, Interface, type InterfaceAbi, type ErrorFragment, keccak256, toUtf8Bytes } from "ethers";
import { ERROR_SENTENCES, errorSentence, type ErrorFormatContext } from "../../app/src/errors/errorMessages";
import { ErrorDecoder } from "../../app/src/errors/decodeError";
import { ERROR_SOURCE_ABIS } from "../../app/src/chain/abis";

const ARTIFACTS_DIR = join(__dirname, "..", "..", "artifacts", "contracts");
/**
 * Never met by a dApp user: mocks and harnesses (`test/`), the fork simulator's feed and offline stand-ins
 * (`fork/`), and the keeper's lens (`periphery/`, whose `Simulated` error is its return channel).
 */
const NON_USER_DIRS = ["test", "fork", "periphery"].map((dir) => join(ARTIFACTS_DIR, dir));

function artifactFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return NON_USER_DIRS.includes(path) ? [] : artifactFiles(path);
    return name.endsWith(".json") && !name.endsWith(".dbg.json") ? [path] : [];
  });
}

/** Every custom error of every production contract's ABI, by selector, with where it was found. */
function productionErrors(): Map<string, { fragment: ErrorFragment; source: string }> {
  const errors = new Map<string, { fragment: ErrorFragment; source: string }>();
  for (const file of artifactFiles(ARTIFACTS_DIR)) {
    const { abi } = JSON.parse(readFileSync(file, "utf8")) as { abi: InterfaceAbi };
    new Interface(abi).forEachError((fragment) => {
      errors.set(fragment.selector, { fragment, source: relative(ARTIFACTS_DIR, file) });
    });
  }
  return errors;
}

const MARKET_ID = keccak256(toUtf8Bytes("ETH-USD"));
const CONTEXT: ErrorFormatContext = {
  marketSymbol: (id) => (id === MARKET_ID ? "ETH-USD" : null),
  collateralSymbol: "USDC",
  collateralDecimals: 6,
  shareSymbol: "pvUSDC",
  shareDecimals: 6,
  nowSeconds: 1_700_000_000n,
};

/** A plausible value of an ABI type, for rendering every sentence once. */
function sampleValue(type: string, name: string): bigint | string | boolean {
  if (type === "address") return "0x00000000000000000000000000000000000000aa";
  if (type === "bytes32") return name === "name" ? "0x74616b6572466565427073" + "00".repeat(21) : MARKET_ID;
  if (type === "bool") return true;
  const bits = Number(type.replace(/^u?int/, "") || "256");
  const SAMPLE = 1_700_000_000n;
  // Fits every width but the smallest (uint8/int8), which get a small value.
  if (type.startsWith("int")) return bits <= 8 ? -12n : -SAMPLE;
  if (type.startsWith("uint")) return bits <= 8 ? 12n : SAMPLE;
  throw new Error(`no sample for ABI type ${type}`);
}

describe("app error table", () => {
  const errors = productionErrors();

  it("finds_the_errors_of_engine_vault_and_oracle_adapter_artifacts", () => {
    const names = [...errors.values()].map((e) => e.fragment.name);
    for (const expected of ["InitialMarginNotMet", "ERC4626ExceededMaxWithdraw", "PriceStale", "SlippageExceeded"]) {
      expect(names, "the artifact scan must see the core errors").to.include(expected);
    }
    expect(errors.size).to.be.greaterThan(50);
  });

  it("every_custom_error_in_the_abis_has_a_sentence", () => {
    const missing = [...errors.values()]
      .filter(({ fragment }) => ERROR_SENTENCES[fragment.name] === undefined)
      .map(({ fragment, source }) => `${fragment.format("sighash")} (${source})`);
    expect(missing, "add a sentence to app/src/errors/errorMessages.ts for each").to.deep.equal([]);
  });

  it("the_decoder_knows_every_selector_of_the_abis", () => {
    const decoder = new ErrorDecoder(ERROR_SOURCE_ABIS);
    const known = new Set(decoder.errorNames());
    const unknown = [...errors.values()]
      .filter(({ fragment }) => !known.has(fragment.name))
      .map(({ fragment, source }) => `${fragment.name} (${source}): add its ABI to ERROR_SOURCE_ABIS`);
    expect(unknown).to.deep.equal([]);
  });

  it("every_sentence_renders_from_encoded_revert_data_with_its_values", () => {
    const decoder = new ErrorDecoder(ERROR_SOURCE_ABIS);
    for (const { fragment } of errors.values()) {
      const values = fragment.inputs.map((input) => sampleValue(input.type, input.name));
      const data = fragment.selector + AbiCoder.defaultAbiCoder().encode(fragment.inputs, values).slice(2);
      const failure = decoder.describe({ code: "CALL_EXCEPTION", data }, CONTEXT);
      expect(failure.kind, fragment.name).to.equal("custom-error");
      expect(failure.errorName).to.equal(fragment.name);
      expect(failure.message, fragment.name).to.not.match(/undefined|NaN|\[object/);
      expect(failure.message.length, fragment.name).to.be.greaterThan(20);
    }
  });

  it("sentences_format_usd_prices_and_sizes", () => {
    const usd = (text: string) => BigInt(text) * 10n ** 18n;
    expect(
      errorSentence(
        "InitialMarginNotMet",
        { account: "0x", marketId: MARKET_ID, equityUsd: usd("90"), requiredUsd: usd("102") },
        CONTEXT,
      ),
    )
      .to.contain("$90.00")
      .and.contain("$102.00");
    expect(errorSentence("SlippageExceeded", { fillPriceWad: usd("2001"), acceptablePriceWad: usd("2000") }, CONTEXT))
      .to.contain("$2,001.00")
      .and.contain("$2,000.00");
    expect(
      errorSentence(
        "OpenInterestCapExceeded",
        { marketId: MARKET_ID, openInterest: usd("10001"), cap: usd("10000") },
        CONTEXT,
      ),
    )
      .to.contain("10,001.0000 ETH")
      .and.contain("ETH-USD");
  });

  it("a_renamed_argument_fails_loudly_instead_of_printing_undefined", () => {
    expect(() => errorSentence("SlippageExceeded", { fill: 1n }, CONTEXT)).to.throw(/no argument "fillPriceWad"/);
  });

  it("decodes_wallet_rejections_revert_strings_and_panics", () => {
    const decoder = new ErrorDecoder(ERROR_SOURCE_ABIS);
    expect(decoder.describe({ code: 4001, message: "User rejected" }, CONTEXT).kind).to.equal("rejected");
    const revertString = "0x08c379a0" + AbiCoder.defaultAbiCoder().encode(["string"], ["nope"]).slice(2);
    expect(decoder.describe({ error: { data: revertString } }, CONTEXT).message).to.contain("nope");
    const panic = "0x4e487b71" + AbiCoder.defaultAbiCoder().encode(["uint256"], [0x11]).slice(2);
    expect(decoder.describe({ info: { error: { data: panic } } }, CONTEXT).message).to.contain("overflow");
  });
});
