// What the agent's sandbox can read of the browser (a Chromium profile in $HOME, read-only): after the
// dashboard's launch link and the proof, while the browser runs and after it quits with the signed-in tab
// open, no file of the profile holds the token (the page keeps it in memory only, never in web storage);
// History holds only spent keys, and replaying them opens nothing.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM, live, SKIP, until } from "../helpers/chromium.ts";
import { type Harness, raw, replayControls, startFinished } from "./harness.ts";

let h: Harness;
const profile = mkdtempSync(join(tmpdir(), "loki-profile-"));

beforeAll(async () => {
  h = await startFinished("<p>proof</p>");
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
  rmSync(profile, { recursive: true, force: true });
});

/** Every regular file under `dir` (a running browser's Singleton* symlinks and vanishing temp files skipped). */
function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (stat?.isDirectory()) yield* files(path);
    else if (stat?.isFile()) yield path;
  }
}
/** Whether the file holds `secret` as UTF-8 or UTF-16LE (how Chromium's leveldb keeps web storage values). */
const holds = (path: string, secret: string) => {
  try {
    const b = readFileSync(path);
    return b.includes(secret) || b.includes(Buffer.from(secret, "utf16le"));
  } catch {
    return false; // gone between the listing and the read (a running browser's temp file)
  }
};

live(SKIP ? "the browser's history on disk (skipped: LOKI_SKIP_BROWSER_TESTS=1)" : "the browser's history on disk", () => {
  test("after the launch link, the proof and quitting, no profile file holds the token; replaying History's keys changes nothing", async () => {
    const root = typeof process.getuid === "function" && process.getuid() === 0;
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [...(root ? ["--no-sandbox"] : []), "--disable-gpu", "--no-first-run", "--disable-sync", "--proxy-server=http://127.0.0.1:9"],
    });
    const page = await context.newPage();
    await page.goto(h.dash.launchUrl);
    await page.waitForSelector("body[data-ready]", { state: "attached" });
    await until(async () => (await page.locator("#btn-proof").count()) === 1, "the proof button");
    const [proof] = await Promise.all([context.waitForEvent("page"), page.click("#btn-proof")]);
    await proof.waitForLoadState();
    // While the browser runs, and again after it quits with the signed-in tab still open (when Chromium writes
    // each tab's web storage out for session restore), no file of the profile holds the token.
    const holdingToken = () => [...files(profile)].filter((f) => holds(f, h.token)).map((f) => f.slice(profile.length));
    expect(holdingToken()).toEqual([]);
    expect(await page.evaluate("document.body.dataset.ready")).toBe("1");
    await context.close();

    // Read as the agent would: the History database and every other file of the profile.
    const db = new Database(join(profile, "Default", "History"), { readonly: true });
    const urls = db
      .query<{ url: string }, []>("SELECT url FROM urls")
      .all()
      .map((r) => r.url);
    db.close();
    expect(urls).toContain(h.dash.launchUrl);
    expect(urls.some((u) => /\/proof\/[\w-]{43}$/.test(u))).toBe(true);
    expect(JSON.stringify(urls)).not.toContain(h.token);
    // Every file of the profile as the browser left it, Session Storage and Local Storage included.
    expect([...files(profile)].length).toBeGreaterThan(0);
    expect(holdingToken()).toEqual([]);

    const keys = [...new Set(urls.join(" ").match(/[\w-]{43}/g) ?? [])];
    expect(keys.length).toBe(2);
    for (const key of keys) {
      expect((await h.launch(key)).status).toBe(401);
      expect((await raw(h.port, `GET /proof/${key} HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\n\r\n`)).status).toBe(401);
      expect((await raw(h.port, `GET /events?t=${key} HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\n\r\n`, true)).status).toBe(401);
      expect(await replayControls(h, key)).toEqual([401, 401, 401]);
    }
    expect((await raw(h.port, `GET /proof?t=${h.token} HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\n\r\n`)).status).toBe(401);
    expect(h.calls).toEqual([]);
    expect(existsSync(join(h.root, ".loki", "PAUSE"))).toBe(false);
    expect(existsSync(join(h.root, ".loki", "control"))).toBe(false);
  }, 120_000);
});
