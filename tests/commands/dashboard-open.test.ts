// `loki start` in a terminal opens the live dashboard in the browser ($BROWSER here: a script that
// records the link), serves the run while it goes and closes with it; outside a terminal (as in CI,
// and as every other test runs loki) nothing is opened. The terminal is a real pseudo-terminal (script(1)).
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cliBundle } from "../helpers/cli-bundle.ts";
import { signIn } from "../helpers/dashboard-session.ts";
import { HELD, NO_COUNCIL, scenarioRepo, until } from "../helpers/scenario.ts";

const CLI = cliBundle();

describe("loki start opens its dashboard", () => {
  test("in a terminal: the browser gets a link to a live dashboard of this run, gone when the run ends", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL, HELD);
    const opened = join(s.path, "..", `opened-${process.pid}.txt`);
    const browser = join(s.path, "..", `browser-${process.pid}.sh`);
    writeFileSync(browser, `#!/bin/sh\nprintf '%s' "$1" > '${opened}'\n`, { mode: 0o755 });
    const env: Record<string, string> = { ...(process.env as Record<string, string>), ...s.env, BROWSER: browser };
    delete env.CI;
    delete env.LOKI_NO_AUTO_OPEN;
    const command = [process.execPath, CLI, "start", "prd.md"].map((a) => `'${a}'`).join(" ");
    const run = Bun.spawn(["script", "-qec", command, "/dev/null"], { cwd: s.path, env, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    // The shell creates the file before printf fills it: wait for the whole link.
    await until(() => existsSync(opened) && /\?k=[\w-]{43}$/.test(readFileSync(opened, "utf8")));
    const link = new URL(readFileSync(opened, "utf8"));
    expect(link.hostname).toBe("127.0.0.1");
    // What the browser opens is a one-use launch key, never the token (browser history is on disk).
    expect(link.searchParams.get("t")).toBeNull();
    expect(link.searchParams.get("k")).toMatch(/^[\w-]{43}$/);
    expect((await fetch(new URL("/api/snapshot", link))).status).toBe(401);
    const session = await signIn(link);
    await expect(signIn(link)).rejects.toThrow("launch key refused (401)");
    const snapshot = (await (await session.get("/api/snapshot")).json()) as { status: { status: string; run_id: string | null } };
    expect(snapshot.status.status).toBe("running");
    s.release();
    expect(await run.exited).toBe(0);
    expect(snapshot.status.run_id).toBe(s.completion().run_id);
    // The dashboard lived as long as the run's process: nothing is left listening.
    expect(
      await session.get("/api/snapshot").then(
        () => "up",
        () => "down",
      ),
    ).toBe("down");
  });

  test("outside a terminal nothing is opened", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL);
    const opened = join(s.path, "..", `opened-ci-${process.pid}.txt`);
    const browser = join(s.path, "..", `browser-ci-${process.pid}.sh`);
    writeFileSync(browser, `#!/bin/sh\nprintf '%s' "$1" > '${opened}'\n`, { mode: 0o755 });
    const result = await s.loki(["start", "prd.md"], { BROWSER: browser, CI: "", LOKI_NO_AUTO_OPEN: "" });
    expect(result.code).toBe(0);
    expect(existsSync(opened)).toBe(false);
    expect(result.stderr).not.toContain("dashboard:");
  });
});
