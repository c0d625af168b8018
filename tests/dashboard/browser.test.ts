// The dashboard page end to end in Debian's Chromium (one browser for the file): real runs of the fake
// agent served by the real startDashboard — every panel fills, pause/resume, stop and the model switch take
// effect at the boundary, XSS fails, held-out stays sealed. Attacks from another port: attack.test.ts.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { dashboardDeps } from "../../src/commands/dashboard.ts";
import { startDashboard } from "../../src/dashboard/server.ts";
import { heldOutStorePath } from "../../src/spec/heldout-store.ts";
import { cliBundle } from "../helpers/cli-bundle.ts";
import { HELD, NO_COUNCIL, PRD_MATH4, type Scenario, scenarioRepo } from "../helpers/scenario.ts";
import { launchChromium, live, SKIP, text, until, waitText } from "../helpers/chromium.ts";

/** Kept after the run (git-ignored dist/): the screenshots a person looks at. */
const SHOTS = resolve(import.meta.dir, "..", "..", "dist", "dashboard-shots");

let browser: Browser | undefined;

beforeAll(async () => {
  if (SKIP) return;
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** `loki start prd.md` in the background, from the CLI bundle (stdin not a TTY: it opens no browser). */
function spawnRun(s: Scenario) {
  return Bun.spawn([process.execPath, cliBundle(), "start", "prd.md"], {
    cwd: s.path,
    env: { ...process.env, ...s.env, LOKI_NO_AUTO_OPEN: "1" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
}
const agentOn = (s: Scenario, iteration: number) => () =>
  existsSync(join(s.path, ".loki", "events.jsonl")) && s.events().some((e) => e.kind === "agent_started" && e.iteration === iteration);

type Open = { page: Page; context: BrowserContext; errors: string[]; origin: string; close: () => Promise<void> };

/** The real dashboard for `root` (port 0) and a tab signed in through its launch link (a one-use key). */
async function openDashboard(root: string, viewport = { width: 1280, height: 800 }): Promise<Open> {
  if (!browser) throw new Error("Chromium did not start");
  const server = await startDashboard({ root, port: 0, deps: dashboardDeps(root), heartbeatMs: 1000 });
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(server.launchUrl);
  await page.waitForSelector("body[data-ready]");
  // Signed in, the token lives in the page's memory only: this origin keeps nothing in the tab's storage.
  expect(await page.evaluate("[sessionStorage.length, localStorage.length, location.search]")).toEqual([0, 0, ""]);
  return {
    page,
    context,
    errors,
    origin: server.origin,
    close: async () => {
      await context.close();
      await server.stop();
    },
  };
}

async function screenshots(name: string, open: Open): Promise<void> {
  for (const [width, height] of [
    [390, 844],
    [1280, 800],
  ] as const) {
    await open.page.setViewportSize({ width, height });
    await open.page.evaluate("window.scrollTo(0, 0)");
    const widths = await open.page.evaluate<{ scroll: number; client: number }>(
      "({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })",
    );
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    await open.page.screenshot({ path: join(SHOTS, `${name}-${width}x${height}.png`) });
    await open.page.screenshot({ path: join(SHOTS, `${name}-${width}x${height}-full.png`), fullPage: true });
  }
}

live(SKIP ? "dashboard in Chromium (skipped: LOKI_SKIP_BROWSER_TESTS=1)" : "dashboard in Chromium", () => {
  test("a real run fills every panel; held-out text never reaches the page; an event's markup renders as text", async () => {
    await using s = await scenarioRepo("full", "", HELD, PRD_MATH4);
    const proc = spawnRun(s);
    await until(agentOn(s, 1), "the first agent call");
    const open = await openDashboard(s.path, { width: 390, height: 844 });
    try {
      const { page } = open;
      const runId = s.orchestrator().run_id;
      await waitText(page, "#p-status", new RegExp(runId));
      await waitText(page, "#run-status", /running/);
      await waitText(page, "#p-checklist", /sealed: 1 held-out item/);
      // The held-out item's text is in the user's store only; mid-run it is in no byte of the page.
      const store = JSON.parse(readFileSync(heldOutStorePath(s.path, runId), "utf8")) as { items: { id: string; text: string }[] };
      const hidden = store.items.map((i) => i.text);
      expect(hidden.length).toBe(1);
      const page1 = `${await page.content()}\n${await text(page, "body")}`;
      for (const item of hidden) expect(page1).not.toContain(item);
      expect(page1).not.toContain(store.items[0]?.id ?? "none");
      await screenshots("mid-run", open);

      s.release();
      expect(await proc.exited).toBe(0);
      await waitText(page, "#p-outcome", /verified/);
      await waitText(page, "#p-feed", /run finished: verified/);
      await waitText(page, "#p-timeline", /#1/);
      expect(await text(page, "#p-timeline")).toMatch(/act \d/);
      await waitText(page, "#p-gates", /pass/);
      await waitText(page, "#p-council", /round 1/);
      await waitText(page, "#p-cost", /\$\d/);
      await waitText(page, "#p-diff", /math\.js/);
      await page.locator("#p-diff button.file", { hasText: "math.js" }).first().click();
      await waitText(page, "#p-diff pre", /\+export const add = /);
      await waitText(page, "#p-outcome .verify", /proof verify: \w+/);
      expect(await page.locator("#p-outcome #btn-proof").count()).toBe(1);
      expect(await page.locator("a[href*='t=']").count()).toBe(0);
      expect(await text(page, "#p-app")).toContain("no app runner for this run");
      for (const panel of ["status", "cost", "timeline", "checklist", "gates", "council", "outcome"])
        expect(await text(page, `#p-${panel} .age`)).toMatch(/^updated (\d+ s ago|\d+ min ago|unknown)$/);

      // An event whose message is markup: shown as text, never run.
      const xss = '<img src=x onerror="window.__x=1">';
      const at = new Date().toISOString();
      appendFileSync(
        join(s.path, ".loki", "events.jsonl"),
        `${JSON.stringify({ ts: at, run_id: runId, iteration: 1, kind: "warning", message: xss })}\n`,
      );
      await waitText(page, "#feed", /window\.__x=1/);
      expect(await page.locator("#feed img").count()).toBe(0);
      expect(await page.evaluate("typeof window.__x")).toBe("undefined");
      await screenshots("finished", open);
      expect(open.errors).toEqual([]);
    } finally {
      await open.close();
      proc.kill();
    }
    console.info(`dashboard screenshots: ${SHOTS}`);
  }, 120_000);

  test("pause writes PAUSE and the run pauses at the boundary; resume continues it", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL, HELD);
    const proc = spawnRun(s);
    await until(agentOn(s, 1), "the first agent call");
    const open = await openDashboard(s.path);
    try {
      const { page } = open;
      await waitText(page, "#run-status", /running/);
      expect(existsSync(join(s.path, ".loki", "PAUSE"))).toBe(false);
      await page.click("#btn-pause");
      await until(() => existsSync(join(s.path, ".loki", "PAUSE")), ".loki/PAUSE");
      await waitText(page, "#run-status", /pausing…/);
      s.release();
      await until(() => s.events().some((e) => e.kind === "paused"), "the paused event");
      await waitText(page, "#run-status", /^paused$/);
      await Bun.sleep(700);
      expect(s.events().some((e) => e.kind === "agent_started" && e.iteration === 2)).toBe(false);
      await waitText(page, "#p-alerts", /paused/);
      expect(await page.title()).toMatch(/^\(!\) /);

      await page.click("#btn-resume");
      expect(await proc.exited).toBe(0);
      expect(existsSync(join(s.path, ".loki", "PAUSE"))).toBe(false);
      expect(s.events().some((e) => e.kind === "resumed")).toBe(true);
      await waitText(page, "#p-outcome", /verified/);
      expect(open.errors).toEqual([]);
    } finally {
      await open.close();
      proc.kill();
    }
  }, 120_000);

  test("stop → after this iteration ends the run at the boundary; the page says stopping… until it has", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL, HELD);
    const proc = spawnRun(s);
    await until(agentOn(s, 1), "the first agent call");
    const open = await openDashboard(s.path);
    try {
      const { page } = open;
      await waitText(page, "#run-status", /running/);
      await page.click("#btn-stop");
      await page.click("#btn-stop-iteration");
      await until(() => existsSync(join(s.path, ".loki", "STOP")), ".loki/STOP");
      await waitText(page, "#run-status", /stopping…/);
      expect(await text(page, "#p-outcome")).not.toMatch(/stopped/);
      s.release();
      expect(await proc.exited).toBe(1);
      expect(s.completion()).toMatchObject({ outcome: "stopped", iterations: 1 });
      await waitText(page, "#p-outcome", /stopped/);
      expect(await text(page, "#run-status")).not.toContain("stopping…");
      expect(open.errors).toEqual([]);
    } finally {
      await open.close();
      proc.kill();
    }
  }, 120_000);

  test("the model for the next iteration: the POST lands as control/model.json and iteration 2 dispatches with it", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL, HELD);
    const proc = spawnRun(s);
    await until(agentOn(s, 1), "the first agent call");
    const open = await openDashboard(s.path);
    try {
      const { page } = open;
      await waitText(page, "#run-status", /running/);
      const current = s.orchestrator().model;
      const options = await page.locator("#model-select option").allInnerTexts();
      const next = options.find((m) => m !== current);
      expect(next).toBeDefined();
      await page.selectOption("#model-select", next as string);
      await page.click("#btn-model");
      const file = join(s.path, ".loki", "control", "model.json");
      await until(() => existsSync(file), ".loki/control/model.json");
      expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ model: next, by: "dashboard" });
      s.release();
      expect(await proc.exited).toBe(0);
      const started = s.events().find((e) => e.kind === "agent_started" && e.iteration === 2);
      expect(started).toMatchObject({ model: next });
      await waitText(page, "#feed", new RegExp(`model switched .* → ${next}`));
      expect(open.errors).toEqual([]);
    } finally {
      await open.close();
      proc.kill();
    }
  }, 120_000);
});
