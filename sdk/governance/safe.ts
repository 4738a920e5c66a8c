/**
 * Minimal client for a Safe multisig (`@safe-global/safe-smart-account` 1.5.0), the guardian of the
 * protocol: build a Safe transaction, collect owner signatures (EIP-712), execute it.
 */
import { Contract, ZeroAddress, type Signer, type ContractRunner, type TransactionReceipt } from "ethers";
import safeArtifact from "@safe-global/safe-smart-account/build/artifacts/contracts/Safe.sol/Safe.json";

/** Safe operation: a plain call (a DELEGATECALL would be 1; the guardian never needs one). */
const OPERATION_CALL = 0;

const SAFE_TX_TYPES = {
  SafeTx: [
    { name: "to", type: "address" },
    { name: "value", type: "uint256" },
    { name: "data", type: "bytes" },
    { name: "operation", type: "uint8" },
    { name: "safeTxGas", type: "uint256" },
    { name: "baseGas", type: "uint256" },
    { name: "gasPrice", type: "uint256" },
    { name: "gasToken", type: "address" },
    { name: "refundReceiver", type: "address" },
    { name: "nonce", type: "uint256" },
  ],
};

export const SAFE_ABI = safeArtifact.abi;

export function safeAt(address: string, runner: ContractRunner): Contract {
  return new Contract(address, SAFE_ABI, runner);
}

/**
 * Signs `to.call(data)` with `owners` (at least the Safe's threshold) and executes it from `owners[0]`.
 * Signatures are EIP-712 over the Safe's domain, sorted by owner address as the Safe requires.
 */
export async function execSafeTransaction(
  safeAddress: string,
  owners: Signer[],
  to: string,
  data: string,
): Promise<TransactionReceipt> {
  const executor = owners[0];
  const safe = safeAt(safeAddress, executor);
  const network = await executor.provider!.getNetwork();
  const message = {
    to,
    value: 0n,
    data,
    operation: OPERATION_CALL,
    safeTxGas: 0n,
    baseGas: 0n,
    gasPrice: 0n,
    gasToken: ZeroAddress,
    refundReceiver: ZeroAddress,
    nonce: (await safe.nonce()) as bigint,
  };
  const domain = { chainId: network.chainId, verifyingContract: safeAddress };
  const signed = await Promise.all(
    owners.map(async (owner) => ({
      owner: (await owner.getAddress()).toLowerCase(),
      signature: await owner.signTypedData(domain, SAFE_TX_TYPES, message),
    })),
  );
  signed.sort((a, b) => (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0));
  const signatures = "0x" + signed.map((s) => s.signature.slice(2)).join("");
  const tx = await safe.execTransaction(
    message.to,
    message.value,
    message.data,
    message.operation,
    message.safeTxGas,
    message.baseGas,
    message.gasPrice,
    message.gasToken,
    message.refundReceiver,
    signatures,
  );
  const receipt = await tx.wait();
  if (!receipt) throw new Error("Safe transaction has no receipt");
  // A Safe emits ExecutionFailure instead of reverting when the inner call fails: surface it.
  const failed = receipt.logs.some(
    (log: { topics: readonly string[] }) => log.topics[0] === safe.interface.getEvent("ExecutionFailure")!.topicHash,
  );
  if (failed) throw new Error(`Safe transaction to ${to} failed inside the Safe (ExecutionFailure)`);
  return receipt;
}
