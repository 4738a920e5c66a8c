/**
 * The EIP-1193 provider shape the dApp relies on, registered with `mipd` so its EIP-6963 store hands out
 * this type (mipd's default refers to viem, which the dApp does not use).
 */
export interface Eip1193RequestArguments {
  method: string;
  params?: readonly unknown[] | object;
}

export interface Eip1193Provider {
  request(args: Eip1193RequestArguments): Promise<unknown>;
  on?(event: string, listener: (...args: never[]) => void): void;
  removeListener?(event: string, listener: (...args: never[]) => void): void;
}

declare module "mipd" {
  interface Register {
    provider: Eip1193Provider;
  }
}

/** EIP-1193 error codes the dApp reacts to. */
export const Eip1193ErrorCode = {
  /** The user rejected the request. */
  USER_REJECTED: 4001,
  /** `wallet_switchEthereumChain`: the wallet does not know the chain; add it first. */
  UNRECOGNIZED_CHAIN: 4902,
} as const;

/** The `code` of an EIP-1193 error, if it has one. */
export function eip1193ErrorCode(error: unknown): number | null {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "number") {
    return error.code;
  }
  return null;
}
