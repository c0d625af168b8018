// Golden fixtures, each app really started by `loki preview` (the CLI as shipped, a detached
// supervisor, the app in loki's sandbox): the status it reaches, how its port was learned, that its
// URL serves the app, and that `loki preview stop` leaves nothing listening. A toolchain that is
// absent skips its shape with the reason.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { HealthRecord } from "../../src/core/app-schema.ts";
import { freePort } from "../../src/app/port.ts";
import { fixtureRepo, hasBinary, preview, stateOf, stopAll, viteSkip } from "../helpers/preview.ts";
import { loki } from "../helpers/cli.ts";

afterAll(stopAll);

const python = (module: string) => Bun.spawnSync(["python3", "-c", `import ${module}`]).exitCode === 0;
// The real toolchains (rustup under the real HOME, which the tests' preload replaces).
const realHome = homedir();
const rustEnv = { RUSTUP_HOME: join(realHome, ".rustup"), CARGO_HOME: join(realHome, ".cargo") };

type Shape = {
  shape: string;
  source: string;
  body: string;
  skip?: string | false;
  env?: Record<string, string>;
  prepare?: (dir: string) => Promise<void>;
};

const SHAPES: Shape[] = [
  { shape: "express-start", source: "env", body: "" },
  {
    shape: "node-ignores-port",
    source: "socket",
    body: "ignores-port",
    // Its own fixed port, chosen free for this run.
    prepare: async (dir) => writeFileSync(join(dir, "config.json"), JSON.stringify({ port: await freePort() })),
  },
  { shape: "node-listening-line", source: "log", body: "" },
  { shape: "vite", source: "env", body: "/@vite/client", skip: viteSkip },
  { shape: "static", source: "env", body: "" },
  { shape: "python-stdlib", source: "env", body: "" },
  { shape: "flask", source: "env", body: "", skip: !python("flask") && "python3 has no flask here" },
  { shape: "bun", source: "env", body: "" },
  { shape: "go", source: "env", body: "", skip: !hasBinary("go") && "no go toolchain on PATH" },
  { shape: "rust", source: "env", body: "", skip: !hasBinary("cargo") && "no cargo on PATH", env: rustEnv },
  { shape: "slow-ready", source: "env", body: "" },
  { shape: "override", source: "env", body: "", env: { LOKI_APP_COMMAND: "sh serve.sh" } },
];

describe("loki preview runs each shape until it is live", () => {
  for (const s of SHAPES) {
    test.skipIf(Boolean(s.skip))(
      `${s.shape}${s.skip ? ` (skipped: ${s.skip})` : ""}`,
      async () => {
        const dir = fixtureRepo(s.shape);
        await s.prepare?.(dir);
        const path: Record<string, string> = s.shape === "bun" ? { PATH: `${join(dir, ".bin")}:${process.env.PATH}` } : {};
        const result = await preview(dir, ["--json", "--wait", "90"], { ...s.env, ...path });
        const { status, state } = stateOf(result);
        if (status !== "live") console.error(readFileSync(join(dir, ".loki", "app", "app.log"), "utf8").slice(-3000));
        expect(status).toBe("live");
        expect(result.code).toBe(0);
        expect(state?.port_source as string | undefined).toBe(s.source);
        expect(state?.url).toBe(`http://127.0.0.1:${state?.port}/`);
        const page = await fetch(state?.url ?? "");
        expect(page.status).toBeLessThan(400);
        expect(await page.text()).toContain(s.body);
        // Live came from three healthy answers, recorded with the one that decided it.
        const health = readFileSync(join(dir, ".loki", "app", "health.jsonl"), "utf8")
          .trim()
          .split("\n")
          .map((l) => HealthRecord.parse(JSON.parse(l)));
        expect(health.at(-1)).toMatchObject({ status: "live", url: state?.url });
        expect(health.at(-1)?.http ?? 999).toBeLessThan(400);
        const stopped = await loki(["preview", "stop", "--json"], { cwd: dir });
        expect(stopped.json()).toMatchObject({ stopped: true, url: state?.url });
        await expect(fetch(state?.url ?? "", { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
      },
      120_000,
    );
  }
});

describe("what a user sees around a live app", () => {
  test("a second `loki preview` attaches at once; --restart starts it again on a new port", async () => {
    const dir = fixtureRepo("express-start");
    const first = stateOf(await preview(dir, ["--json"]));
    expect(first.status).toBe("live");
    const again = await preview(dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`Your app is live at ${first.state?.url}\n`);
    const attached = stateOf(await preview(dir, ["--json"]));
    expect(attached.attached).toBe(true);
    const restarted = stateOf(await preview(dir, ["--json", "--restart"]));
    expect(restarted.status).toBe("live");
    expect(restarted.state?.started_at).not.toBe(first.state?.started_at);
    expect(restarted.state?.supervisor.pid).toBe(first.state?.supervisor.pid);
    const status = await loki(["preview", "status", "--json"], { cwd: dir });
    expect(status.code).toBe(0);
    expect(status.json()).toMatchObject({ status: "live", state: { url: restarted.state?.url } });
    expect((await loki(["status"], { cwd: dir })).stdout).toContain(`app: live at ${restarted.state?.url}`);
    await loki(["preview", "stop"], { cwd: dir });
    const after = await loki(["preview", "status"], { cwd: dir });
    expect(after.code).toBe(1);
    expect(after.stdout).toContain("stopped");
  }, 120_000);

  test("a crashing app shows as crashed with the redacted end of its log, after bounded restarts", async () => {
    const dir = fixtureRepo("crash");
    const result = await preview(dir, ["--wait", "60"], { LOKI_APP_MAX_RESTARTS: "1" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("the app crashed: it exited with code 1; gave up after 2 starts in a row");
    expect(result.stderr).toContain("Error: boom");
    expect(result.stderr).not.toMatch(/ghp_[A-Za-z0-9]{36}/);
    const log = readFileSync(join(dir, ".loki", "app", "app.log"), "utf8");
    expect(log.match(/Error: boom/g)?.length).toBe(2);
    expect(log).not.toMatch(/ghp_[A-Za-z0-9]{36}/);
    const status = await loki(["preview", "status", "--json"], { cwd: dir });
    expect(status.json()).toMatchObject({ status: "crashed", state: { restarts: 1 } });
  }, 90_000);

  test("a line naming a port the app does not hold is not believed: something else serving there is not the app", async () => {
    const other = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("someone else") });
    try {
      const dir = fixtureRepo("override");
      const liar = `node -e 'console.log("Server listening on http://127.0.0.1:${other.port}"); setInterval(() => {}, 1000)'`;
      const result = await preview(dir, ["--json", "--wait", "4"], { LOKI_APP_COMMAND: liar, LOKI_APP_READY_TIMEOUT_SECONDS: "2" });
      const { status, state } = stateOf(result);
      expect(result.code).toBe(1);
      expect(status).toBe("unhealthy");
      expect(state?.url).toBeNull();
      expect(state?.detail).toContain("holds no listening port of its own");
    } finally {
      other.stop(true);
    }
  }, 60_000);

  test("outside a git repository: exit 3 naming the fix, and no .loki/ written there", async () => {
    const dir = mkdtempSync(join(process.env.TMPDIR ?? "/tmp", "not-a-repo-"));
    writeFileSync(join(dir, "index.html"), "x");
    const result = await preview(dir);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("is not inside a git repository");
    expect(result.stderr).toContain("git init");
    expect(existsSync(join(dir, ".loki"))).toBe(false);
  });

  test("no app to run: exit 1 naming the override, and detection.json says what was looked for", async () => {
    const dir = fixtureRepo("override");
    const result = await preview(dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no app to run");
    expect(result.stderr).toContain("LOKI_APP_COMMAND");
    const detection = JSON.parse(readFileSync(join(dir, ".loki", "app", "detection.json"), "utf8"));
    expect(detection.kind).toBe("none");
    expect(detection.checked.length).toBeGreaterThan(5);
  });
});
