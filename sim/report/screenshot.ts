/**
 * Renders an HTML report to a PNG with the machine's Chromium (through playwright-core; no browser
 * download): `ts-node sim/report/screenshot.ts <report.html> <out.png> [selector]`. Used for the README's pictures.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const VIEWPORT = { width: 1400, height: 900 };

/**
 * Screenshots `htmlPath` (full page) into `pngPath` once `readySelector` is on the page (the charts of a run
 * report; a sweep's tables); returns the page's console errors.
 */
export async function screenshotReport(htmlPath: string, pngPath: string, readySelector = ".uplot"): Promise<string[]> {
  const userDataDir = mkdtempSync(join(tmpdir(), "sim-report-chromium-"));
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_FLAGS,
    headless: true,
    viewport: VIEWPORT,
    offline: true,
  });
  const errors: string[] = [];
  try {
    const page = await browser.newPage();
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    await page.goto(pathToFileURL(resolve(htmlPath)).href);
    await page.waitForSelector(readySelector);
    await page.screenshot({ path: pngPath, fullPage: true });
  } finally {
    await browser.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
  return errors;
}

if (require.main === module) {
  const [htmlPath, pngPath, readySelector] = process.argv.slice(2);
  if (!htmlPath || !pngPath) {
    console.error("usage: screenshot.ts <report.html> <out.png> [css selector to wait for, default .uplot]");
    process.exit(2);
  }
  screenshotReport(htmlPath, pngPath, readySelector)
    .then((errors) => {
      for (const error of errors) console.error(`page error: ${error}`);
      process.exit(errors.length ? 1 : 0);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
