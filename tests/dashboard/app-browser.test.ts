// The Live App panel in Debian's Chromium against a real dashboard and a real "app" (a Bun.serve on another
// 127.0.0.1 port that state.json points at): the frame appears only after "show app", holds the app's own
// page sandboxed (its own origin works, the dashboard's does not, the top window stays ours), restart shows
// "restarting…" until state.json's start moves; a crash's log tail is text, never markup; a URL that is not
// a loopback port — or is the dashboard's own — is never framed or linked.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { AppState } from "../../src/core/app-schema.ts";
import { readSnapshot, type Snapshot } from "../../src/dashboard/snapshot.ts";
import { launchChromium, live, SKIP, text, until, waitText } from "../helpers/chromium.ts";
import { appState, detection, health, writeApp } from "./app-fixture.ts";
import { type Harness, startHarness } from "./harness.ts";

/** Kept after the run (git-ignored dist/), as browser.test.ts keeps its own: what a person looks at. */
const SHOTS = resolve(import.meta.dir, "..", "..", "dist", "dashboard-shots");

let browser: Browser | undefined;
let app: ReturnType<typeof Bun.serve>;
let appUrl: string;
type Hit = { path: string; referer: string | null; body: string };
const hits: Hit[] = [];

/** The app: a page whose script checks what its sandbox lets it do and reports it back to its own server. */
const APP_PAGE = `<!doctype html><title>the app</title><h1 id="hello">hello from the app</h1>
<script>
const out = { origin: location.origin, referrer: document.referrer };
try { localStorage.setItem("k", "v"); out.storage = localStorage.getItem("k"); } catch (e) { out.storage = "denied"; }
try { out.parent = parent.document.title; } catch (e) { out.parent = "denied"; }
try { top.location.href = "/escaped"; out.top = "attempted"; } catch (e) { out.top = "blocked"; }
fetch("/report", { method: "POST", body: JSON.stringify(out) });
</script>`;

beforeAll(async () => {
  if (SKIP) return;
  browser = await launchChromium();
  app = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (req) => {
      const path = new URL(req.url).pathname;
      hits.push({ path, referer: req.headers.get("referer"), body: await req.text() });
      return new Response(path === "/" ? APP_PAGE : "ok", { headers: { "content-type": "text/html; charset=utf-8" } });
    },
  });
  appUrl = `http://127.0.0.1:${app.port}/`;
});
afterAll(async () => {
  await browser?.close();
  app?.stop(true);
});

type Open = { page: Page; context: BrowserContext };

/** A signed-in tab on the harness's dashboard, the page rendered. */
async function open(h: Harness): Promise<Open> {
  if (!browser) throw new Error("Chromium did not start");
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(h.dash.launchUrl);
  await page.waitForSelector("body[data-ready]");
  return { page, context };
}

const liveApp = (over: Partial<AppState> = {}) => appState({ url: appUrl, port: app.port ?? null, ...over });
const frames = (page: Page) => page.locator("#p-app iframe").count();
const reports = () => hits.filter((hit) => hit.path === "/report").map((hit) => JSON.parse(hit.body) as Record<string, string>);

live(SKIP ? "the Live App panel (skipped: LOKI_SKIP_BROWSER_TESTS=1)" : "the Live App panel", () => {
  test("a live app: no frame until 'show app'; then its own page, sandboxed; open and refresh", async () => {
    await using h = await startHarness();
    writeApp(h.root, { state: liveApp({ restarts: 2 }), health: [health(0, { status: "starting" }), health(1)] });
    const { page, context } = await open(h);
    await waitText(page, "#app-status", /^live$/);
    expect(await text(page, "#p-app")).toContain(appUrl);
    expect(await text(page, "#p-app")).toMatch(/restarts\s*2/);
    expect(await text(page, "#p-app")).toMatch(/live since\s*12:00:02/);
    // Nothing loads the app on its own: not the page, not a refresh of the snapshot.
    await page.waitForTimeout(700);
    expect(await frames(page)).toBe(0);
    expect(hits.filter((hit) => hit.path === "/")).toEqual([]);
    expect(await page.locator("#btn-app-refresh").isDisabled()).toBe(true);

    const link = page.locator("#app-open");
    expect(await link.getAttribute("href")).toBe(appUrl);
    expect(await link.getAttribute("target")).toBe("_blank");
    expect(await link.getAttribute("rel")).toBe("noopener noreferrer");

    await page.click("#btn-app-show");
    await until(async () => (await frames(page)) === 1, "the app's frame");
    const frame = page.locator("#p-app iframe");
    expect(await frame.getAttribute("src")).toBe(appUrl);
    expect(await frame.getAttribute("sandbox")).toBe("allow-scripts allow-forms allow-same-origin allow-popups");
    expect(await frame.getAttribute("referrerpolicy")).toBe("no-referrer");
    const inside = page.frameLocator("#p-app iframe");
    await until(
      async () =>
        (await inside
          .locator("#hello")
          .innerText()
          .catch(() => "")) === "hello from the app",
      "the app's page",
    );
    mkdirSync(SHOTS, { recursive: true });
    await page.locator("#p-app").screenshot({ path: join(SHOTS, "live-app.png") });
    await until(() => reports().length >= 1, "the app's report");
    // Its own origin works (storage), the dashboard's is out of reach, the top window stays the dashboard.
    expect(reports()[0]).toMatchObject({ origin: `http://127.0.0.1:${app.port}`, storage: "v", parent: "denied", referrer: "" });
    expect(hits.find((hit) => hit.path === "/")?.referer).toBeNull();
    expect(hits.some((hit) => hit.path === "/escaped")).toBe(false);
    expect(await page.evaluate("location.href")).toBe(`${h.dash.origin}/`);
    expect(await page.locator("#btn-app-show").isDisabled()).toBe(true);

    // A snapshot refresh leaves the frame as it is (not reloaded); "refresh" reloads it.
    const loads = () => hits.filter((hit) => hit.path === "/").length;
    const before = loads();
    writeApp(h.root, { state: liveApp({ restarts: 2, updated_at: new Date().toISOString() }) });
    await page.waitForTimeout(800);
    expect(loads()).toBe(before);
    await page.click("#btn-app-refresh");
    await until(() => loads() === before + 1, "the frame reloaded");

    // The app goes down: the frame goes with it; back live at the same address: shown again as asked.
    writeApp(h.root, { state: liveApp({ status: "unhealthy", detail: "GET / timed out after 5 s" }) });
    await waitText(page, "#app-status", /^unhealthy$/);
    await until(async () => (await frames(page)) === 0, "the frame closed");
    expect(await text(page, "#p-app")).toContain("GET / timed out after 5 s");
    writeApp(h.root, { state: liveApp() });
    await until(async () => (await frames(page)) === 1, "the frame back");
    await context.close();
  }, 90_000);

  test("restart: 202, one request by the dashboard, 'restarting…' until state.json's start moves on", async () => {
    await using h = await startHarness();
    writeApp(h.root, { state: liveApp() });
    const { page, context } = await open(h);
    await waitText(page, "#app-status", /^live$/);
    await page.click("#btn-app-restart");
    await waitText(page, "#app-status", /^restarting…$/);
    await waitText(page, "#app-msg", /restart requested/);
    const request = JSON.parse(readFileSync(join(h.root, ".loki", "control", "app-restart.json"), "utf8"));
    expect(request).toMatchObject({ schema_version: 1, by: "dashboard" });
    expect(await page.locator("#btn-app-restart").isDisabled()).toBe(true);
    // Another write with the same start (a health probe, say) is not the restart.
    writeApp(h.root, { state: liveApp({ updated_at: new Date().toISOString() }) });
    await page.waitForTimeout(800);
    expect(await text(page, "#app-status")).toBe("restarting…");
    writeApp(h.root, { state: liveApp({ status: "starting", restarts: 1, started_at: new Date().toISOString(), live_at: null }) });
    await waitText(page, "#app-status", /^starting$/);
    expect(await page.locator("#btn-app-restart").isDisabled()).toBe(false);
    await context.close();
  }, 60_000);

  test("crashed: the detail and the log tail as text; markup in them is never rendered nor run", async () => {
    await using h = await startHarness();
    const xss = '<img src=x onerror="window.__x=1">';
    writeApp(h.root, {
      state: liveApp({ status: "crashed", detail: `exit 1 ${xss}`, log_tail: ["Error: boom", xss, "<script>window.__y=1</script>"] }),
    });
    const { page, context } = await open(h);
    await waitText(page, "#app-status", /^crashed$/);
    await waitText(page, "#p-app pre", /Error: boom/);
    expect(await text(page, "#p-app pre")).toBe(`Error: boom\n${xss}\n<script>window.__y=1</script>`);
    expect(await text(page, "#p-app .app-detail")).toBe(`exit 1 ${xss}`);
    expect(await page.locator("#p-app img, #p-app script").count()).toBe(0);
    expect(await page.evaluate("[window.__x, window.__y]")).toEqual([undefined, undefined]);
    expect(await frames(page)).toBe(0);
    expect(await page.locator("#btn-app-show").isDisabled()).toBe(true);
    await context.close();
  }, 60_000);

  test("a URL that is not a loopback port is shown as text, never framed nor linked", async () => {
    await using h = await startHarness();
    writeApp(h.root, { state: appState({ url: "http://evil.example/" }) });
    const { page, context } = await open(h);
    await waitText(page, "#app-status", /^live$/);
    expect(await text(page, "#p-app")).toContain("http://evil.example/ (not framed: not a local app address)");
    expect(await page.locator("#btn-app-show").isDisabled()).toBe(true);
    expect(await page.locator("#app-open").isHidden()).toBe(true);
    expect(await page.locator("#app-open").getAttribute("href")).toBeNull();
    await page.locator("#btn-app-show").click({ force: true });
    await page.waitForTimeout(300);
    expect(await frames(page)).toBe(0);
    // And were a frame ever put there, the page's CSP would refuse to load it.
    const violated = await page.evaluate(`new Promise((resolve) => {
      document.addEventListener("securitypolicyviolation", (e) => resolve(e.effectiveDirective + " " + e.blockedURI));
      const f = document.createElement("iframe");
      f.src = "http://evil.example/";
      document.body.append(f);
    })`);
    expect(violated).toBe("frame-src http://evil.example");
    await context.close();
  }, 60_000);

  test("the page checks the address again: a snapshot that calls evil.example or the dashboard itself frameable is not obeyed", async () => {
    let frameUrl = "http://evil.example/";
    await using h = await startHarness({
      snapshot: async (root, deps) => {
        const s: Snapshot = await readSnapshot(root, deps);
        const state = s.app?.state;
        return state ? ({ ...s, app: { ...s.app, state: { ...state, url: frameUrl, frame_url: frameUrl } } } as Snapshot) : s;
      },
    });
    writeApp(h.root, { state: liveApp() });
    const { page, context } = await open(h);
    await waitText(page, "#app-status", /^live$/);
    expect(await page.locator("#btn-app-show").isDisabled()).toBe(true);
    expect(await page.locator("#app-open").isHidden()).toBe(true);
    frameUrl = `${h.dash.origin}/`;
    writeApp(h.root, { state: liveApp({ updated_at: new Date().toISOString() }) });
    await waitText(page, "#p-app", new RegExp(`${h.dash.origin}/ \\(not framed`));
    expect(await page.locator("#btn-app-show").isDisabled()).toBe(true);
    expect(await frames(page)).toBe(0);
    await context.close();
  }, 60_000);

  test("no app: 'no app' with the detection's reason; no controls", async () => {
    await using h = await startHarness();
    const { page, context } = await open(h);
    await waitText(page, "#p-app", /no app\s+no app runner for this run/);
    expect(await page.locator("#app-actions").isHidden()).toBe(true);
    writeApp(h.root, { detection: detection() });
    await waitText(page, "#p-app", /no package\.json, compose file, Dockerfile or index\.html/);
    expect(existsSync(join(h.root, ".loki", "app", "state.json"))).toBe(false);
    await context.close();
  }, 60_000);
});
