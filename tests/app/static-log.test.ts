// loki's static server keeps to the site's directory (no .., no symlink out, no NUL), and the app
// log is redacted before it reaches the disk, split chunks included, and rotated past its cap.
import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appLog, logTail } from "../../src/app/applog.ts";
import { fileFor, launchStatic } from "../../src/app/static.ts";
import { freePort } from "../../src/app/port.ts";

function site(): { root: string; dir: string } {
  const root = mkdtempSync(join(tmpdir(), "site-"));
  const dir = join(root, "public");
  mkdirSync(join(dir, "css"), { recursive: true });
  writeFileSync(join(dir, "index.html"), "<h1>home</h1>");
  writeFileSync(join(dir, "css", "a.css"), "body{}");
  writeFileSync(join(root, "secret.txt"), "outside");
  symlinkSync(join(root, "secret.txt"), join(dir, "link.txt"));
  return { root, dir };
}

describe("static server", () => {
  test("fileFor: files under the root only", () => {
    const { root, dir } = site();
    expect(fileFor(dir, "/")).toBe(join(dir, "index.html"));
    expect(fileFor(dir, "/css/a.css")).toBe(join(dir, "css", "a.css"));
    expect(fileFor(dir, "/../secret.txt")).toBeNull();
    expect(fileFor(dir, "/%2e%2e/secret.txt")).toBeNull();
    expect(fileFor(dir, "/link.txt")).toBeNull();
    expect(fileFor(dir, "/a%00b")).toBeNull();
    expect(fileFor(dir, "/%E0%A4%A")).toBeNull();
    expect(fileFor(dir, "/missing.html")).toBeNull();
    expect(root).toBeTruthy();
  });

  test("serves the site over HTTP on the given port, refuses writes, and stops", async () => {
    const { root } = site();
    const port = await freePort();
    const logged: string[] = [];
    const app = launchStatic({ root, port, env: {}, log: (c) => logged.push(c) }, "public");
    try {
      expect(await app.port()).toEqual({ port, source: "env" });
      const home = await fetch(`http://127.0.0.1:${port}/`);
      expect(home.status).toBe(200);
      expect(await home.text()).toBe("<h1>home</h1>");
      expect((await fetch(`http://127.0.0.1:${port}/link.txt`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "x" })).status).toBe(405);
    } finally {
      await app.stop();
    }
    expect(await app.ended).toBe("it was stopped");
    expect(logged.join("")).toContain("GET / 200");
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });
});

describe("app log", () => {
  const token = `ghp_${"a1B2c3D4e5".repeat(3)}abcdef`;
  test("a secret split across two chunks is redacted before it is written", () => {
    const dir = mkdtempSync(join(tmpdir(), "applog-"));
    const path = join(dir, "app.log");
    const log = appLog(path);
    log.write(`starting\nError: token=${token.slice(0, 10)}`);
    log.write(`${token.slice(10)} rejected\nlast line without newline`);
    log.flush();
    const text = readFileSync(path, "utf8");
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.slice(10));
    expect(text).toContain("starting\n");
    expect(logTail(path, 1)).toEqual(["last line without newline"]);
  });

  test("past its cap the log rotates to app.log.1", () => {
    const dir = mkdtempSync(join(tmpdir(), "applog-"));
    const path = join(dir, "app.log");
    writeFileSync(path, "x".repeat(4 * 1024 * 1024 + 1));
    const log = appLog(path);
    log.write("fresh\n");
    expect(readFileSync(path, "utf8")).toBe("fresh\n");
    expect(readFileSync(`${path}.1`, "utf8").length).toBe(4 * 1024 * 1024 + 1);
  });
});
