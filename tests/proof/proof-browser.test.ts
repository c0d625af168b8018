// The screenshot test: a REAL run's proof page opened from file:// in Debian's Chromium (headless,
// offline) at a phone's 390 px: no request but the file itself, the headline visible, no sideways
// scrolling, and a PNG screenshot. Needs /usr/bin/chromium (apt-get install -y chromium).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import { launchChromium, SKIP } from "../helpers/chromium.ts";
import { workspaceAt } from "../../src/core/workspace.ts";
import { writeProof } from "../../src/proof/assemble.ts";
import { scenarioRepo, type Scenario } from "../helpers/scenario.ts";

const TITLE = "a real proof opens offline in Chromium at 390 px: headline visible, no request, no sideways scroll";

let s: Scenario | undefined;
let browser: Browser | undefined;
let page: string;
let verdict: string;
const shots = mkdtempSync(join(tmpdir(), "loki-proof-shots-"));

beforeAll(async () => {
  if (SKIP) return;
  s = await scenarioRepo("honest");
  expect((await s.loki(["start", "prd.md"])).code).toBe(0);
  const { dir, file } = await writeProof(workspaceAt(s.path), s.completion().run_id, { includeDiff: true });
  page = join(dir, "index.html");
  verdict = file.payload.headline.verdict;
  expect(verdict).toBe("VERIFIED");
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await s?.[Symbol.asyncDispose]();
});

(SKIP ? test.skip : test)(SKIP ? `${TITLE} (skipped: LOKI_SKIP_BROWSER_TESTS=1)` : TITLE, async () => {
  if (!browser) throw new Error("Chromium did not start");
  const url = pathToFileURL(page).href;
  for (const scheme of ["light", "dark"] as const) {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
      colorScheme: scheme,
      offline: true,
      javaScriptEnabled: false,
    });
    const requests: string[] = [];
    const errors: string[] = [];
    context.on("request", (request) => requests.push(request.url()));
    const tab = await context.newPage();
    tab.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    await tab.goto(url, { waitUntil: "load" });

    expect(requests).toEqual([url]);
    expect(errors).toEqual([]);
    const headline = tab.locator("#headline");
    expect(await headline.isVisible()).toBe(true);
    expect((await headline.textContent())?.trim()).toBe(verdict);
    const box = await headline.boundingBox();
    expect(box && box.y + box.height).toBeLessThan(844);
    const widths = await tab.evaluate<{ scroll: number; client: number }>(
      "({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })",
    );
    expect(widths.client).toBe(390);
    expect(widths.scroll).toBeLessThanOrEqual(390);
    expect(await tab.locator("#verify .cmd").textContent()).toMatch(/^loki proof verify \d{8}-\d{6}-\w+$/);

    const shot = join(shots, `proof-390-${scheme}.png`);
    await tab.screenshot({ path: shot, fullPage: scheme === "light" });
    const bytes = readFileSync(shot);
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    await context.close();
  }
  console.info(`proof screenshots: ${shots}`);
});
