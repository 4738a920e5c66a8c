/** Small waiting helpers over playwright-core (which has no test runner's `expect`). */
import type { Locator, Page } from "playwright-core";

export const UI_TIMEOUT_MS = 20_000;
const POLL_MS = 100;

/** Waits until the locator's text matches; throws with the last text seen. */
export async function waitForText(
  locator: Locator,
  expected: RegExp | string,
  timeoutMs = UI_TIMEOUT_MS,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    last =
      (await locator
        .first()
        .textContent({ timeout: POLL_MS * 10 })
        .catch(() => null)) ?? "";
    if (typeof expected === "string" ? last.includes(expected) : expected.test(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`timed out waiting for ${String(expected)}; last text: "${last}"`);
}

/** Waits until a transaction status element reports confirmed (throws with the failure text otherwise). */
export async function waitForConfirmed(page: Page, testId: string, timeoutMs = UI_TIMEOUT_MS): Promise<void> {
  const status = page.getByTestId(testId);
  const text = await waitForText(status, /confirmed|failed/, timeoutMs);
  if (!text.includes("confirmed")) throw new Error(`transaction ${testId} did not confirm: ${text}`);
}

/** Waits until `probe` holds, polling. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs = UI_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`timed out waiting for ${what}`);
}
