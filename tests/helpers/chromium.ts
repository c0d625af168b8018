// Debian's Chromium for the browser tests (playwright-core, no download): one launch recipe shared
// by the proof page test, the dashboard's e2e and attack tests, the skip switch, and polling waits.
import { describe } from "bun:test";
import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";

/** Debian's `chromium` package: no browser download, the same binary the bench uses. */
export const CHROMIUM = "/usr/bin/chromium";
// tests/preload.ts keeps this one LOKI_* variable: it is a switch for the test run itself.
export const SKIP = process.env.LOKI_SKIP_BROWSER_TESTS === "1";
/** `describe`, or `describe.skip` when browser tests are switched off. */
export const live = SKIP ? describe.skip : describe;

/** Headless, offline (every non-loopback request goes to a dead proxy), no first-run noise. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install -y chromium (or LOKI_SKIP_BROWSER_TESTS=1 to skip browser tests)`);
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      ...(root ? ["--no-sandbox"] : []),
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
      "--proxy-server=http://127.0.0.1:9",
    ],
  });
}

/** Polls `check` every 50 ms; throws naming `what` after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not reached in ${ms} ms: ${what}`);
    await Bun.sleep(50);
  }
}

/** The rendered text of `selector` (throws when it is not on the page). */
export const text = (page: Page, selector: string) => page.locator(selector).innerText();

/** Waits until the text of `selector` matches `pattern` (a missing element counts as empty). */
export const waitText = (page: Page, selector: string, pattern: RegExp, ms = 30_000) =>
  until(async () => pattern.test(await text(page, selector).catch(() => "")), `${selector} ~ ${pattern}`, ms);
