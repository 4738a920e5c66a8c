/**
 * Whether a token action needs an approval first, and what the approval buttons offer: the exact amount or
 * an unlimited allowance.
 */
export type ApprovalNeed = { needed: false } | { needed: true; exactAmount: bigint; currentAllowance: bigint };

export function approvalNeed(allowance: bigint, amount: bigint | null): ApprovalNeed {
  if (amount === null || amount === 0n || allowance >= amount) return { needed: false };
  return { needed: true, exactAmount: amount, currentAllowance: allowance };
}
