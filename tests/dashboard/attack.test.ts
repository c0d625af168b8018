// The attacks the token header and the one-use keys stop, in real Chromium: the agent's app on another
// 127.0.0.1 port, in the browser that has the dashboard open; and the browser's navigation history (readable
// by the agent's sandbox), which holds only spent keys. Replaying anything either saw opens nothing. The token
// lives in the signed-in tab's memory only: no web storage holds it, and a reload asks for a fresh link.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page, Request } from "playwright-core";
import { launchChromium, live, SKIP, until, waitText } from "../helpers/chromium.ts";
import { DATA_ROUTES, type Harness, raw, replayControls, startFinished } from "./harness.ts";

let browser: Browser | undefined;
let h: Harness;
type Seen = { method: string; url: string; headers: Record<string, string>; body: string };
const seen: Seen[] = [];
let app: ReturnType<typeof Bun.serve>;

/** The agent's app: logs every request in full, and serves a page that tries every door of the dashboard. */
function appPage(dash: string): string {
  return `<!doctype html><title>agent app</title><iframe src="${dash}/"></iframe><iframe src="${dash}/api/snapshot"></iframe>
<script>
const D = ${JSON.stringify(dash)};
const report = (what) => fetch("/report", { method: "POST", body: JSON.stringify(what) });
const tries = [
  fetch(D + "/api/snapshot", { credentials: "include" }),
  fetch(D + "/", { mode: "no-cors", credentials: "include" }),
  fetch(D + "/api/control/pause", { method: "POST", mode: "no-cors", credentials: "include", body: "{}" }),
  fetch(D + "/api/control/budget", { method: "POST", credentials: "include", headers: { "Content-Type": "application/json", "X-Loki-Token": "guess" }, body: '{"limit_usd":1000}' }),
];
Promise.all(tries.map((t) => t.then((r) => r.status + " " + r.type, (e) => "failed " + e))).then((outcomes) => {
  let opener = null;
  try { opener = window.opener && window.opener.location.href; } catch (e) { opener = "denied"; }
  report({ outcomes, href: location.href, referrer: document.referrer, cookie: document.cookie, opener, storage: JSON.stringify(sessionStorage) }).then(() => report({ done: true }));
});
</script>`;
}

beforeAll(async () => {
  if (SKIP) return;
  browser = await launchChromium();
  app = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (req) => {
      seen.push({ method: req.method, url: req.url, headers: Object.fromEntries(req.headers), body: await req.text() });
      return new Response(new URL(req.url).pathname === "/" ? appPage(h.dash.origin) : "ok", { headers: { "Content-Type": "text/html" } });
    },
  });
  // The run has finished with a proof the agent wrote: it asks for full referrers and loads and links to the app.
  const appUrl = `http://127.0.0.1:${app.port}`;
  h = await startFinished(
    `<meta name="referrer" content="unsafe-url"><p>proof</p><img src="${appUrl}/from-proof.png"><a id="out" href="${appUrl}/clicked">out</a>`,
  );
});
afterAll(async () => {
  await browser?.close();
  app?.stop(true);
  await h?.[Symbol.asyncDispose]();
});

const reports = () => seen.filter((s) => s.url.endsWith("/report")).map((s) => JSON.parse(s.body) as Record<string, unknown>);
const appDone = (n: number) => until(() => reports().filter((r) => r.done).length >= n, `${n} app page reports`);
/** What the dashboard's origin keeps in this tab's browser storage: nothing, ever. */
const STORED =
  "(async () => ({ session: sessionStorage.length, local: localStorage.length, idb: (await indexedDB.databases()).length }))()";
const NOTHING_STORED = { session: 0, local: 0, idb: 0 };
const FRESH_LINK = /This dashboard needs a fresh link: run `loki dashboard` \(each link opens one tab, once\)/;

live(SKIP ? "the agent's app attacks the dashboard (skipped: LOKI_SKIP_BROWSER_TESTS=1)" : "the agent's app attacks the dashboard", () => {
  test("the app never receives the token, and nothing it or the browser's history saw opens the dashboard", async () => {
    if (!browser) throw new Error("Chromium did not start");
    const context = await browser.newContext();
    const appUrl = `http://127.0.0.1:${app.port}`;
    // Every address the browser navigated to (what its history database on disk would hold).
    const navigations: string[] = [];
    context.on("page", (p) => p.on("framenavigated", (f) => navigations.push(f.url())));
    context.on("request", (r) => {
      if (r.isNavigationRequest()) navigations.push(r.url());
    });
    // Cookies for 127.0.0.1 reach every port: the reason the dashboard uses none.
    await context.addCookies([{ name: "probe", value: "shared", url: h.dash.origin }]);
    const page: Page = await context.newPage();
    await page.goto(h.dash.launchUrl);
    await page.waitForSelector("body[data-ready]", { state: "attached" });
    expect(await page.evaluate("location.href")).toBe(`${h.dash.origin}/`);
    expect(await page.locator("#error-banner").isHidden()).toBe(true);
    expect(await page.evaluate(STORED)).toEqual(NOTHING_STORED);
    expect(await page.evaluate("document.cookie")).not.toContain(h.token);

    // The app in another tab, opened by the dashboard's tab (with an opener), and typed in by the user.
    const [popup] = await Promise.all([context.waitForEvent("page"), page.evaluate(`window.open(${JSON.stringify(appUrl)})`)]);
    await appDone(1);
    const typed = await context.newPage();
    await typed.goto(appUrl);
    await appDone(2);

    // The proof tab: the token is in neither its address nor its referrer; its agent-written links leak a spent key.
    expect(await page.locator("#p-outcome a[href*='proof']").count()).toBe(0);
    const [proof] = await Promise.all([context.waitForEvent("page"), page.click("#btn-proof")]);
    await proof.waitForLoadState();
    expect(proof.url()).toMatch(new RegExp(`^${h.dash.origin}/proof/[\\w-]{43}$`));
    expect(await proof.evaluate("document.referrer")).toBe("");
    expect(await proof.evaluate("window.opener")).toBeNull();
    const [again] = await Promise.all([context.waitForEvent("page"), page.click("#btn-proof")]);
    await again.waitForLoadState();
    expect(again.url()).not.toBe(proof.url());
    await again.close();
    await until(() => seen.some((s) => s.url.endsWith("/from-proof.png")), "the proof's image request");
    await proof.click("#out");
    await until(() => seen.some((s) => s.url.endsWith("/clicked")), "the proof's link");

    for (const r of reports().filter((r) => r.outcomes)) {
      expect((r.outcomes as string[])[0]).toMatch(/^failed/);
      expect((r.outcomes as string[])[3]).toMatch(/^failed/);
      expect(r.storage).toBe("{}");
    }

    const everything = JSON.stringify(seen);
    expect(everything).toContain("probe=shared");
    expect(everything).not.toContain(h.token);

    // Replay: every header the app got, a forged Origin, and every 43-character string it saw as a token, a `t` or a proof key.
    // (Chromium sent it no Referer at all, not even from the proof page that asked for unsafe-url.)
    expect(seen.filter((s) => s.headers.referer?.startsWith(h.dash.origin))).toEqual([]);
    const candidates = [...new Set(everything.match(/[\w-]{43}/g) ?? [])];
    // The history: the token in no address; on the dashboard only `/`, the spent launch key and spent proof keys.
    expect(JSON.stringify(navigations)).not.toContain(h.token);
    const keys = new Set<string>();
    for (const url of navigations.filter((u) => u.startsWith(`${h.dash.origin}/`))) {
      const { pathname, search } = new URL(url);
      if (!/[\w-]{43}/.test(url)) continue;
      const proofKey = /^\/proof\/([\w-]{43})$/.exec(pathname)?.[1];
      const ok = (pathname === "/" && search === `?k=${h.launchKey}`) || (proofKey !== undefined && search === "");
      expect({ url, ok }).toEqual({ url, ok: true });
      keys.add(proofKey ?? h.launchKey);
    }
    expect(keys.has(h.launchKey)).toBe(true);
    expect(keys.size).toBe(3);
    // (the history's keys, all spent, join them: what a reader of that history would hand over.)
    candidates.push(...keys);
    for (const s of seen) {
      const headers = Object.entries(s.headers).filter(([k]) => !["host", "content-length", "origin", "content-type"].includes(k));
      const head = headers.map(([k, v]) => `${k}: ${v}\r\n`).join("");
      const send = (method: string, path: string, extra = "", body = "") =>
        raw(
          h.port,
          `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\n${head}${extra}Origin: ${h.dash.origin}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
          path.startsWith("/events"),
        );
      for (const path of DATA_ROUTES) expect({ path, status: (await send("GET", path)).status }).toEqual({ path, status: 401 });
      expect((await send("POST", "/api/control/pause", "", "{}")).status).toBe(401);
      expect((await send("POST", "/api/control/budget", "", '{"limit_usd":1000}')).status).toBe(401);
    }
    for (const key of candidates) {
      expect((await h.launch(key)).status).toBe(401);
      expect((await raw(h.port, `GET /proof/${key} HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\n\r\n`)).status).toBe(401);
      expect((await raw(h.port, `GET /proof?t=${key} HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\n\r\n`)).status).toBe(401);
      expect((await raw(h.port, `GET /?k=${key} HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\n\r\n`)).body).not.toContain(h.token);
      expect((await raw(h.port, `GET /events?t=${key} HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\n\r\n`, true)).status).toBe(401);
      expect(await replayControls(h, key)).toEqual([401, 401, 401]);
      expect((await h.post("/api/proof/key", {}, { "x-loki-token": key })).status).toBe(401);
    }
    expect(h.calls).toEqual([]);
    expect(existsSync(join(h.root, ".loki", "PAUSE"))).toBe(false);
    expect(existsSync(join(h.root, ".loki", "control"))).toBe(false);

    // The spent launch link, opened again in a fresh browser (the agent's, say): it says so and holds no token.
    const stranger = await browser.newContext();
    const spent = await stranger.newPage();
    await spent.goto(h.dash.launchUrl);
    await waitText(spent, "#error-banner", /link was used already: run `loki dashboard` again/);
    expect(await spent.evaluate(STORED)).toEqual(NOTHING_STORED);
    await stranger.close();
    expect(h.calls).toEqual([]);
    // A new tab has no token: it says to get a fresh link, shows no panels, and asks the server for nothing.
    const bare = await context.newPage();
    await bare.goto(`${h.dash.origin}/`);
    await waitText(bare, "#error-banner", FRESH_LINK);
    expect(await bare.locator("#grid").isHidden()).toBe(true);
    await popup.close();
    // The signed-in tab, after all that, still controls the run from its memory.
    // (the run's process is gone, so the buttons are disabled: the page's own post() sends what a click would.)
    expect(await page.evaluate(`post("pause", {})`)).toBe(true);
    await until(() => existsSync(join(h.root, ".loki", "PAUSE")), "the honest pause");
    expect(h.calls).toEqual(["pause"]);

    // A reload of the signed-in tab: the token is gone with the old page; it says to get a fresh link and sends
    // no data request, with a token or without one. Nothing was kept to sign it back in.
    const afterReload: { url: string; headers: Record<string, string> }[] = [];
    // Headers as the page set them, read at once: a request still pending when the page closes stays harmless.
    const record = (r: Request) => void afterReload.push({ url: r.url(), headers: r.headers() });
    page.on("request", record);
    await page.reload();
    await waitText(page, "#error-banner", FRESH_LINK);
    expect(await page.locator("#grid").isHidden()).toBe(true);
    expect(await page.evaluate("document.body.dataset.ready")).toBeUndefined();
    expect(await page.evaluate("location.href")).toBe(`${h.dash.origin}/`);
    await page.waitForTimeout(1500); // the watchdog's tick, which reconnects a signed-in tab's stream
    page.off("request", record);
    expect(await page.evaluate(STORED)).toEqual(NOTHING_STORED);
    expect(JSON.stringify(afterReload)).not.toContain(h.token);
    expect(afterReload.filter((r) => r.headers["x-loki-token"] !== undefined)).toEqual([]);
    const paths = afterReload.map((r) => new URL(r.url).pathname);
    expect(paths.filter((p) => !["/", "/app.js", "/style.css", "/favicon.svg"].includes(p))).toEqual([]);
    expect(paths).toContain("/app.js");
    expect(h.calls).toEqual(["pause"]);

    // The same tab navigated to the app, which then frames the dashboard: frame-ancestors 'none' keeps it blank,
    // and the app still gets nothing.
    await page.goto(appUrl);
    await appDone(3);
    for (const r of reports().filter((r) => r.outcomes)) {
      expect((r.outcomes as string[])[0]).toMatch(/^failed/);
      expect((r.outcomes as string[])[3]).toMatch(/^failed/);
      expect(r.storage).toBe("{}");
    }
    expect(JSON.stringify(seen)).not.toContain(h.token);
    expect(JSON.stringify(navigations)).not.toContain(h.token);
    expect(h.calls).toEqual(["pause"]);
    await context.close();
  }, 120_000);
});
