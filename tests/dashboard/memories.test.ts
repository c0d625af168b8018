// GET /api/iterations/<n>/memories against the real dashboard: the memories a prompt was given, behind the token,
// redacted; a bad iteration, a corrupt, oversized, linked-out or FIFO file answered with a clear JSON error; and,
// in Chromium, the feed's "memories given" control that shows them under the prompt_built entry.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Browser } from "playwright-core";
import type { GivenMemories } from "../../src/core/run-schema.ts";
import { workspaceAt } from "../../src/core/workspace.ts";
import { launchChromium, live, SKIP, text, waitText } from "../helpers/chromium.ts";
import { FAKE_GITHUB_TOKEN } from "../helpers/verify-repo.ts";
import { appendEvents, type Harness, raw, startHarness } from "./harness.ts";

const GIVEN: GivenMemories = {
  iteration: 2,
  memories: [
    { id: "ep_r-old_3", store: "project", kind: "episode", line: "iteration 3 failed: tests: expected 4, got 5 in math.test.ts" },
    { id: "lr_0123456789abcdef", store: "global", kind: "learning", line: "lint failed on unused import; fix: removed it" },
  ],
};

/** Writes .loki/iterations/<n>/memories.json as given (a value is written as JSON, a string as it is). */
function writeGiven(h: Harness, n: number, content: unknown): string {
  const path = workspaceAt(h.root).memoriesGiven(n);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

type Refusal = { ok: false; message: string };

describe("GET /api/iterations/<n>/memories", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h[Symbol.asyncDispose]();
  });

  test("returns the memories the iteration's prompt was given, as JSON with the dashboard's headers", async () => {
    writeGiven(h, 2, GIVEN);
    const response = await h.get("/api/iterations/2/memories");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(await response.json()).toEqual(GIVEN);
  });

  test("the token is required, as for every data route", async () => {
    writeGiven(h, 2, GIVEN);
    for (const token of [null, "", "wrong", `${h.token}x`]) {
      const headers = token === null ? "" : `X-Loki-Token: ${token}\r\n`;
      const response = await raw(h.port, `GET /api/iterations/2/memories HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\n${headers}\r\n`);
      expect({ token, status: response.status }).toEqual({ token, status: 401 });
      expect(response.body).toContain("loki dashboard");
      expect(response.body).not.toContain("ep_r-old_3");
    }
    // The `t=` of the stream's URL opens no other route.
    expect((await fetch(`${h.dash.origin}/api/iterations/2/memories?t=${h.token}`)).status).toBe(401);
    // Another Host (DNS rebinding) is refused before the token is even looked at.
    const foreign = await raw(
      h.port,
      `GET /api/iterations/2/memories HTTP/1.1\r\nHost: evil.example:${h.port}\r\nX-Loki-Token: ${h.token}\r\n\r\n`,
    );
    expect(foreign.status).toBe(421);
  });

  test("an iteration that is not a positive whole number is 400, a traversal included", async () => {
    for (const bad of ["0", "abc", "-1", "01", "1.5", "1e3", "..%2Fx", "..%2F..%2F..%2Fetc%2Fpasswd", "2%2F..%2F2", "2/x", " 2", ""]) {
      const response = await h.get(`/api/iterations/${bad}/memories`);
      const body = (await response.json()) as Refusal;
      expect({ bad, status: response.status, ok: body.ok }).toEqual({ bad, status: 400, ok: false });
      expect(body.message).toContain("positive whole number");
    }
    // A literal (or %2e) `..` is resolved by the URL itself: it names another route, never a file.
    const dotted = await raw(
      h.port,
      `GET /api/iterations/../x/memories HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\nX-Loki-Token: ${h.token}\r\n\r\n`,
    );
    expect(dotted.status).toBe(404);
    expect((await h.get("/api/iterations/%2e%2e/x/memories")).status).toBe(404);
    expect((await h.get("/api/iterations/2/other")).status).toBe(404);
    expect((await h.post("/api/iterations/2/memories", {})).status).toBe(404);
  });

  test("no file is 404 with a message, as the API answers for other missing data", async () => {
    const response = await h.get("/api/iterations/7/memories");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      ok: false,
      message: ".loki/iterations/7/memories.json does not exist: this iteration's prompt was given no memories, or an older loki ran it",
    });
  });

  test("a corrupt or off-schema file is a clear JSON error, never a stack or the file's bytes; the server answers on", async () => {
    const cases: [string, string | object, number, string][] = [
      ["not JSON", '{"iteration": 3, "memories": [', 422, ".loki/iterations/3/memories.json is not valid JSON"],
      [
        "off schema",
        { iteration: 3, memories: [{ ...GIVEN.memories[0], store: "SECRET-STORE" }] },
        422,
        "does not match its schema at memories.0.store",
      ],
      ["not an object", "[1,2,3]", 422, "does not match its schema at (root)"],
      ["another iteration", { ...GIVEN, iteration: 9 }, 422, "names iteration 9, not 3"],
      ["too large", `{"iteration":3,"memories":[],"pad":"${"x".repeat(1024 * 1024)}"}`, 413, "larger than 1024 KB"],
    ];
    for (const [what, content, status, message] of cases) {
      writeGiven(h, 3, content);
      const response = await h.get("/api/iterations/3/memories");
      const body = await response.text();
      expect({ what, status: response.status, type: response.headers.get("content-type") }).toEqual({
        what,
        status,
        type: "application/json; charset=utf-8",
      });
      expect((JSON.parse(body) as Refusal).message).toContain(message);
      expect(body).not.toMatch(/SECRET-STORE|\n\s+at |Error:/);
      expect(body).not.toContain(h.root);
    }
    expect((await h.get("/api/snapshot")).status).toBe(200);
  });

  test("a link out of .loki/ is not followed, and a FIFO does not stall the server", async () => {
    const outside = h.dir.write("outside.json", JSON.stringify({ ...GIVEN, iteration: 4 }));
    const path = workspaceAt(h.root).memoriesGiven(4);
    mkdirSync(dirname(path), { recursive: true });
    symlinkSync(outside, path);
    const linked = await h.get("/api/iterations/4/memories");
    expect(linked.status).toBe(422);
    expect(((await linked.json()) as Refusal).message).toContain("link out of .loki/");

    const fifo = workspaceAt(h.root).memoriesGiven(5);
    mkdirSync(dirname(fifo), { recursive: true });
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    const started = Date.now();
    const special = await h.get("/api/iterations/5/memories");
    expect(special.status).toBe(422);
    expect(((await special.json()) as Refusal).message).toContain("not a regular file");
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test("a secret in a line (or an id) comes back redacted", async () => {
    writeGiven(h, 6, {
      iteration: 6,
      memories: [
        {
          id: `ep:${FAKE_GITHUB_TOKEN}`,
          store: "project",
          kind: "episode",
          line: `push failed: GITHUB_TOKEN=${FAKE_GITHUB_TOKEN} was rejected`,
        },
      ],
    });
    const response = await h.get("/api/iterations/6/memories");
    const body = await response.text();
    expect(response.status).toBe(200);
    expect(body).not.toContain(FAKE_GITHUB_TOKEN);
    const given = JSON.parse(body) as GivenMemories;
    expect(given.memories[0]?.line).toMatch(/^push failed: GITHUB_TOKEN=.*\[REDACTED/);
    expect(given.memories[0]?.id).toContain("[REDACTED");
  });
});

let browser: Browser | undefined;

live(SKIP ? "the feed's memories control (skipped: LOKI_SKIP_BROWSER_TESTS=1)" : "the feed's memories control in Chromium", () => {
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  test("a prompt_built event with memories gets a control; activating it by keyboard shows each line, as text", async () => {
    await using h = await startHarness();
    const markup = `<img src=x onerror="document.body.dataset.pwned=1">`;
    writeGiven(h, 2, { ...GIVEN, memories: [...GIVEN.memories, { id: "ep_x", store: "project", kind: "episode", line: markup }] });
    const event = (iteration: number, memories?: string[]) =>
      JSON.stringify({ ts: new Date().toISOString(), run_id: "r-test", iteration, kind: "prompt_built", bytes: 900, items: 3, memories });
    appendEvents(h.root, [event(1), event(2, ["ep_r-old_3", "lr_0123456789abcdef", "ep_x"])]);
    if (!browser) throw new Error("Chromium did not start");
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      await page.goto(h.dash.launchUrl);
      await page.waitForSelector("body[data-ready]");
      const control = page.locator("#p-feed button.memories-btn");
      await waitText(page, "#p-feed", /memories given: 3/);
      // Only the prompt that carried memories has the control.
      expect(await control.count()).toBe(1);
      expect(await control.getAttribute("aria-expanded")).toBe("false");
      await control.focus();
      await page.keyboard.press("Enter");
      await waitText(page, "#p-feed .memories", /expected 4, got 5 in math\.test\.ts/);
      const shown = await text(page, "#p-feed .memories");
      expect(shown).toContain("ep_r-old_3");
      expect(shown).toMatch(/project\s+episode/);
      expect(shown).toMatch(/global\s+learning\s+lr_0123456789abcdef/);
      expect(shown).toContain(markup);
      expect(await page.locator("#p-feed .memories img").count()).toBe(0);
      expect(await page.evaluate("document.body.dataset.pwned ?? null")).toBeNull();
      expect(await control.getAttribute("aria-expanded")).toBe("true");
      await page.keyboard.press("Enter");
      expect(await page.locator("#p-feed .memories").count()).toBe(0);
      expect(await control.getAttribute("aria-expanded")).toBe("false");
    } finally {
      await context.close();
    }
  });
});
