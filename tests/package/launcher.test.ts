// bin/loki.js, the `loki` command, run from this checkout on a PATH without bun: a repository's
// bunfig.toml and .env never reach loki; no Bun at all is exit 3 with the install command; signals
// reach the Bun child and its end is the launcher's; the README's quick start runs this loki.
import { describe, expect, test } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { Session } from "../../src/core/session-schema.ts";
import { selfCommand } from "../../src/core/self.ts";
import { cleanEnv, HOSTILE_REPO, pathWithoutBun, ROOT, sh } from "../helpers/package.ts";
import { alive, processesWith, scenarioRepo, type Scenario } from "../helpers/scenario.ts";
import { tmpdir } from "../helpers/tmp.ts";

const LAUNCHER = join(ROOT, "bin", "loki.js");
const CLI = join(ROOT, "src", "cli.ts");
const AGENTS = join(ROOT, "tests", "fixtures", "agents");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const noBun = pathWithoutBun();

describe("the repository loki runs in cannot configure its Bun", () => {
  test("Bun's defaults would load the repo's .env and bunfig preload; the launcher and a --bg child load neither", async () => {
    await using repo = await tmpdir({ commit: true, files: HOSTILE_REPO });
    const env = cleanEnv(noBun);
    const provider = async (argv: string[]) => JSON.parse((await sh([...argv, "provider", "show", "--json"], repo.path, env, true)).stdout);
    // The attack is real: plain `bun cli.ts` in that repository runs its preload and reads its .env.
    expect(await provider([process.execPath, CLI])).toMatchObject({ provider: "aider", source: "environment" });
    expect(existsSync(join(repo.path, "preloaded"))).toBe(true);
    rmSync(join(repo.path, "preloaded"));

    expect(await provider(["node", LAUNCHER])).toMatchObject({ provider: "claude", source: "default" });
    const [bun, ...flags] = selfCommand();
    expect(bun).toBe(process.execPath);
    expect(await provider([process.execPath, ...flags.slice(0, -1), CLI])).toMatchObject({ provider: "claude", source: "default" });
    expect(existsSync(join(repo.path, "preloaded"))).toBe(false);
  });
});

describe("no Bun in the package (optional dependencies left out)", () => {
  test("a Bun on PATH runs it; a script named bun (Bun's npm placeholder) is passed over", async () => {
    await using dir = await tmpdir();
    mkdirSync(join(dir.path, "bin"));
    copyFileSync(LAUNCHER, join(dir.path, "bin", "loki.js"));
    copyFileSync(join(ROOT, "bin", "loki.bunfig.toml"), join(dir.path, "bin", "loki.bunfig.toml"));
    symlinkSync(join(ROOT, "src"), join(dir.path, "src"));
    for (const sub of ["placeholder", "real"]) mkdirSync(join(dir.path, sub));
    await Bun.write(join(dir.path, "placeholder", "bun"), '#!/bin/sh\necho "Error: Bun\'s postinstall script was not run." >&2\nexit 1\n');
    chmodSync(join(dir.path, "placeholder", "bun"), 0o755);
    symlinkSync(process.execPath, join(dir.path, "real", "bun"));
    const path = [join(dir.path, "placeholder"), join(dir.path, "real"), noBun].join(":");
    const result = await sh(["node", join(dir.path, "bin", "loki.js"), "version"], dir.path, cleanEnv(path), true);
    expect(result.stdout.trim()).toBe(`loki ${VERSION}`);
  });
});

describe("no Bun anywhere", () => {
  test("exit 3, naming the platform package and the command that installs it", async () => {
    await using dir = await tmpdir();
    mkdirSync(join(dir.path, "bin"));
    copyFileSync(LAUNCHER, join(dir.path, "bin", "loki.js"));
    const result = await sh(["node", join(dir.path, "bin", "loki.js"), "version"], dir.path, cleanEnv(noBun));
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("cannot find the Bun runtime");
    expect(result.stderr).toContain(`@oven/bun-${process.platform}-`);
    expect(result.stderr).toContain("npm install -g loki-cli");
  });
});

type HangingRun = {
  s: Scenario;
  launcher: ChildProcess;
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** The Bun process running loki: the run's session pid. */
  child: number;
  /** The agent's own child, found by its unique command line. */
  sleep: string[];
  env: Record<string, string>;
};

/** `loki start` through the launcher with the agent hanging in its call, from the moment the agent
 *  runs; whatever `body` leaves running is ended, so a failing test leaks no run. */
async function withHangingRun(options: { detached?: boolean }, body: (run: HangingRun) => Promise<void>): Promise<void> {
  await using s = await scenarioRepo("hang");
  const env = { ...cleanEnv(noBun), ...s.env, PATH: `${AGENTS}:${noBun}` };
  const launcher = spawn("node", [LAUNCHER, "start", "prd.md"], { cwd: s.path, env, stdio: "ignore", detached: options.detached });
  const exited = new Promise<{ code: number | null; signal: string | null }>((done) =>
    launcher.on("exit", (code, signal) => done({ code, signal })),
  );
  let child = 0;
  try {
    const marker = join(s.state, "grandchild.marker");
    const deadline = Date.now() + 40_000;
    while (!existsSync(marker) && Date.now() < deadline) await Bun.sleep(100);
    if (!existsSync(marker)) throw new Error("the agent never started");
    child = Session.parse(JSON.parse(readFileSync(join(s.path, ".loki", "session.json"), "utf8"))).pid;
    await body({ s, launcher, exited, child, sleep: ["sleep", readFileSync(marker, "utf8")], env });
  } finally {
    // loki ends its agent's process group on SIGTERM.
    if (child && alive(child)) process.kill(child, "SIGTERM");
    if (launcher.exitCode === null && launcher.signalCode === null) launcher.kill("SIGKILL");
    const deadline = Date.now() + 10_000;
    while (child && alive(child) && Date.now() < deadline) await Bun.sleep(50);
  }
}

function parentOf(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ")[1]);
}

async function gone(pid: number, argv: string[]): Promise<void> {
  const deadline = Date.now() + 5_000;
  while ((alive(pid) || processesWith(argv).length > 0) && Date.now() < deadline) await Bun.sleep(50);
  expect(alive(pid)).toBe(false);
  expect(processesWith(argv)).toEqual([]);
}

describe("signals pass through the launcher", () => {
  test("SIGTERM to the launcher reaches loki: the run ends interrupted (130), nothing outlives it", async () => {
    await withHangingRun({}, async (run) => {
      expect(parentOf(run.child)).toBe(run.launcher.pid ?? 0);
      run.launcher.kill("SIGTERM");
      expect(await run.exited).toEqual({ code: 130, signal: null });
      await gone(run.child, run.sleep);
      expect(run.s.completion().outcome).toBe("interrupted");
    });
  });

  test("Ctrl+C in a terminal (SIGINT to the whole group, so loki gets it twice) also ends in 130", async () => {
    await withHangingRun({ detached: true }, async (run) => {
      process.kill(-(run.launcher.pid ?? 0), "SIGINT");
      expect(await run.exited).toEqual({ code: 130, signal: null });
      await gone(run.child, run.sleep);
    });
  });

  test("loki killed by a signal: the launcher dies of the same signal; `loki stop` clears what it left", async () => {
    await withHangingRun({}, async (run) => {
      process.kill(run.child, "SIGKILL");
      expect(await run.exited).toEqual({ code: null, signal: "SIGKILL" });
      await sh(["node", LAUNCHER, "stop"], run.s.path, run.env, true);
      await gone(run.child, run.sleep);
    });
  });
});

describe("the README's quick start", () => {
  test("runs this checkout's loki, also in a demo/ that has its own package.json", async () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const line = readme.split("\n").find((l) => l.includes(" init demo ")) ?? "";
    const steps = line.replace(/#.*$/, "").trim().split(" && ");
    expect(steps[0]).toBe("npm ci");
    // A checkout after `npm ci`: its files, and the node_modules this one has.
    await using checkout = await tmpdir();
    for (const entry of ["bin", "src", "templates", "skills", "node_modules", "package.json"])
      symlinkSync(join(ROOT, entry), join(checkout.path, entry));
    // Offline: were the README's command to reach for the registry's `loki`, it fails here at once.
    const env = cleanEnv(noBun, { npm_config_offline: "true" });
    let cwd = checkout.path;
    for (const step of steps.slice(1)) {
      const [program, ...args] = step.split(" ");
      if (program === "cd") {
        cwd = join(cwd, args[0] ?? "");
        // What the agent will write first, and what makes `npx loki` fetch the registry's `loki`.
        await Bun.write(join(cwd, "package.json"), '{ "name": "demo", "version": "1.0.0" }\n');
        continue;
      }
      // `start` would spend money: what runs it is checked with `version` in its place.
      const start = args.indexOf("start");
      const argv = [program ?? "", ...(start < 0 ? args : [...args.slice(0, start), "version"])];
      const result = await sh(argv, cwd, env, true);
      if (start >= 0) expect(result.stdout.trim()).toBe(`loki ${VERSION}`);
    }
    expect(existsSync(join(checkout.path, "demo", "prd.md"))).toBe(true);
  });
});
