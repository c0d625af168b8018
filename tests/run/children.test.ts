// A run's record of its children (.loki/state/children.json) and the reaping of what a dead run left
// running, with real process groups: a group is ended whole (TERM before KILL, also when its leader
// already exited); a live recorder's children, and a pid now naming another process, are never touched.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { run, watchSpawns } from "../../src/core/exec.ts";
import { git, readOnly } from "../../src/core/git.ts";
import { processStartTime } from "../../src/core/proc.ts";
import { SCHEMA_VERSION } from "../../src/core/schema.ts";
import { workspaceAt, writeJson } from "../../src/core/workspace.ts";
import { reapChildren, RunChildren, trackChildren } from "../../src/run/children.ts";
import { alive } from "../helpers/scenario.ts";
import { tmpdir } from "../helpers/tmp.ts";

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await Bun.sleep(20);
  }
}

const recorded = (path: string) => RunChildren.parse(JSON.parse(readFileSync(path, "utf8")));

/** A process group loki could have started (sh leading it); resolves the leader's pid. */
function startGroup(script: string) {
  let resolvePid: (pid: number) => void = () => {};
  const pid = new Promise<number>((resolve) => {
    resolvePid = resolve;
  });
  const done = run(["sh", "-c", script], { onSpawn: (p) => resolvePid(p), timeoutMs: 60_000 });
  return { pid, done };
}

/** children.json as a dead loki process left it: its owner no longer the process it was. */
function leftBehind(path: string, children: { pid: number; start_time: number | null; command: string }[]) {
  writeJson(path, RunChildren, {
    schema_version: SCHEMA_VERSION,
    owner: { pid: process.pid, start_time: (processStartTime(process.pid) ?? 0) + 1 },
    children: children.map((c) => ({ ...c, started_at: new Date().toISOString() })),
  });
}

describe("a run's children", () => {
  test("are listed with their start time while they run and dropped once they end", async () => {
    await using dir = await tmpdir({ git: true });
    const ws = workspaceAt(dir.path);
    const tracker = trackChildren(ws);
    let pid = 0;
    const running = watchSpawns(tracker, () => run(["sh", "-c", "sleep 0.5"], { onSpawn: (p) => (pid = p) }));
    await until(() => pid !== 0);
    expect(recorded(ws.children)).toMatchObject({
      owner: { pid: process.pid, start_time: processStartTime(process.pid) },
      children: [{ pid, start_time: processStartTime(pid), command: "sh -c sleep 0.5" }],
    });
    await running;
    await until(() => recorded(ws.children).children.length === 0, 2000);
    tracker.close();
    expect(recorded(ws.children).children).toEqual([]);
  });

  test("read-only git queries are not recorded (they end by themselves); git calls that write, and other commands, are", async () => {
    await using dir = await tmpdir({ commit: true, files: { "a.txt": "a\n" } });
    const started: string[] = [];
    const watch = { spawned: ({ argv }: { argv: readonly string[] }) => void started.push(argv.join(" ")), exited: () => {} };
    await watchSpawns(watch, async () => {
      for (const args of [
        ["rev-parse", "HEAD"],
        ["-c", "core.quotepath=false", "diff", "--name-only", "HEAD"],
        ["status", "--porcelain"],
        ["config", "--get", "core.bare"],
        ["config", "loki.test", "yes"],
        ["add", "-A"],
      ])
        expect((await git(args, { cwd: dir.path })).ok).toBe(true);
      await run(["true"], { cwd: dir.path });
    });
    const subcommands = started.filter((argv) => !argv.includes("safe.directory")).map((argv) => argv.replace(/^\S*git (-c \S+ )*/, ""));
    expect(subcommands).toEqual(["config loki.test yes", "add -A", "true"]);
    expect([readOnly(["-c", "x=y", "ls-files"]), readOnly(["config", "--get-all", "k"]), readOnly(["commit", "-m", "x"])]).toEqual([
      true,
      true,
      false,
    ]);
  });

  test("a dead run's group is ended whole, TERM first; its leader's pid reused by another process is spared", async () => {
    await using dir = await tmpdir({ git: true });
    const ws = workspaceAt(dir.path);
    const termed = join(dir.path, "termed");
    const gate = startGroup(`trap 'echo term > ${termed}; kill $c; exit 0' TERM; sleep 60 & c=$!; wait`);
    const other = startGroup("sleep 60");
    const [gatePid, otherPid] = [await gate.pid, await other.pid];
    await until(() => groupSize(gatePid) === 2);
    leftBehind(ws.children, [
      { pid: gatePid, start_time: processStartTime(gatePid), command: "sh -c npm test" },
      // Same pid, other start time: to loki this is no longer the child it started.
      { pid: otherPid, start_time: (processStartTime(otherPid) ?? 0) - 1, command: "git commit" },
    ]);
    const reaped = await reapChildren(ws);
    expect(reaped).toEqual([`sh -c npm test (pid ${gatePid})`]);
    expect(groupSize(gatePid)).toBe(0);
    expect(readFileSync(termed, "utf8")).toBe("term\n");
    expect(alive(otherPid)).toBe(true);
    expect(recorded(ws.children).children).toEqual([]);
    process.kill(-otherPid, "SIGKILL");
    await Promise.all([gate.done, other.done]);
  });

  test("what is left of a group whose leader exited is ended too", async () => {
    await using dir = await tmpdir({ git: true });
    const ws = workspaceAt(dir.path);
    const child = startGroup("sleep 60 >/dev/null 2>&1 & echo $!");
    const leader = await child.pid;
    const start = processStartTime(leader);
    const sleeper = Number((await child.done).stdout.trim());
    expect(alive(sleeper)).toBe(true);
    leftBehind(ws.children, [{ pid: leader, start_time: start, command: "sh -c reviewer" }]);
    expect(await reapChildren(ws)).toHaveLength(1);
    expect(alive(sleeper)).toBe(false);
  });

  test("the children of a live recorder are its own: nothing is reaped", async () => {
    await using dir = await tmpdir({ git: true });
    const ws = workspaceAt(dir.path);
    const tracker = trackChildren(ws);
    let pid = 0;
    const running = watchSpawns(tracker, () => run(["sleep", "30"], { onSpawn: (p) => (pid = p), timeoutMs: 30_000 }));
    await until(() => pid !== 0);
    expect(await reapChildren(ws)).toEqual([]);
    expect(alive(pid)).toBe(true);
    process.kill(-pid, "SIGKILL");
    await running;
    tracker.close();
  });

  test("no record, or an unreadable one, reaps nothing", async () => {
    await using dir = await tmpdir({ git: true });
    const ws = workspaceAt(dir.path);
    expect(await reapChildren(ws)).toEqual([]);
    expect(existsSync(ws.children)).toBe(false);
    dir.write(".loki/state/children.json", "{ torn");
    expect(await reapChildren(ws)).toEqual([]);
  });
});

/** Live (not zombie) members of process group `pgid`, as ps sees them. */
function groupSize(pgid: number): number {
  const rows = Bun.spawnSync(["ps", "-e", "-o", "pgid=,stat="]).stdout.toString().trim().split("\n");
  return rows.map((row) => row.trim().split(/\s+/)).filter(([group, stat]) => Number(group) === pgid && !stat?.startsWith("Z")).length;
}
