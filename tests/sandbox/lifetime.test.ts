// Nothing an agent call starts outlives it (PID namespace): daemons started with setsid, nohup and a
// double fork die with the call (the kernel kills its PID namespace) — on a normal exit, a timeout, and a cancellation.
import { describe, expect, test } from "bun:test";
import type { ExecOptions } from "../../src/core/exec.ts";
import { run } from "../../src/core/exec.ts";
import { sandboxWorld } from "./fixture.ts";

let counter = 0;
const newMarker = () => `loki-sbx-daemon-${process.pid}-${Date.now()}-${counter++}`;

/** Three ways an agent detaches a process, then a line saying they are up, then `tail`. */
function daemonScript(marker: string, tail: string): string {
  return [
    `setsid sh -c 'sleep 301; :' ${marker} >/dev/null 2>&1 &`,
    `nohup sh -c 'sleep 302; :' ${marker} >/dev/null 2>&1 &`,
    `(sh -c 'sleep 303; :' ${marker} >/dev/null 2>&1 &)`,
    "sleep 0.2",
    "echo daemons-up",
    tail,
  ].join("\n");
}

/** Host pids of the daemons (not of the script that names them). */
async function daemons(marker: string): Promise<number[]> {
  const found = await run(["pgrep", "-f", `^sh -c sleep 30[0-9]; : ${marker}$`]);
  return found.stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map(Number);
}

/**
 * The daemons still alive once the kernel has finished killing the call's PID namespace: it kills every
 * member when the namespace's init dies, but reaps them asynchronously — on a loaded machine a member
 * can show in /proc for some milliseconds after run() returned. Polled for at most 2 s, then returned.
 */
async function gone(marker: string): Promise<number[]> {
  let left = await daemons(marker);
  for (const until = Date.now() + 2000; left.length > 0 && Date.now() < until; left = await daemons(marker)) await Bun.sleep(25);
  return left;
}

/** Runs the script sandboxed; counts the daemons once they are up (so the attack is not vacuous). */
async function runWithDaemons(tail: string, options: ExecOptions & { onUp?: () => void } = {}) {
  await using w = await sandboxWorld();
  const marker = newMarker();
  let whileRunning: Promise<number[]> = Promise.resolve([]);
  const result = await w.inside("build", daemonScript(marker, tail), {
    ...options,
    onLine: (line) => {
      if (line !== "daemons-up") return;
      whileRunning = daemons(marker);
      void whileRunning.then(() => options.onUp?.());
    },
  });
  return { result, during: await whileRunning, after: await gone(marker) };
}

describe.skipIf(process.platform !== "linux")("sandbox: nothing outlives the call (bwrap)", () => {
  test("unsandboxed, the same daemons survive a normal exit (the attack works)", async () => {
    const marker = newMarker();
    const result = await run(["sh", "-c", daemonScript(marker, "")]);
    const alive = await daemons(marker);
    for (const pid of alive) process.kill(pid, "SIGKILL");
    expect(result.exitCode).toBe(0);
    expect(alive).toHaveLength(3);
  });

  test("normal exit: every daemon dies with the call", async () => {
    const { result, during, after } = await runWithDaemons("sleep 1; exit 0");
    expect(result.exitCode).toBe(0);
    expect(during).toHaveLength(3);
    expect(after).toEqual([]);
  });

  test("timeout: the call is killed and its daemons with it", async () => {
    const { result, during, after } = await runWithDaemons("sleep 60", { timeoutMs: 2500, killGraceMs: 500 });
    expect(result.timedOut).toBe(true);
    expect(result.durationMs).toBeLessThan(10_000);
    expect(during).toHaveLength(3);
    expect(after).toEqual([]);
  });

  test("cancellation: aborting the call kills its daemons", async () => {
    const controller = new AbortController();
    const { result, during, after } = await runWithDaemons("sleep 60", {
      signal: controller.signal,
      killGraceMs: 500,
      onUp: () => controller.abort(),
    });
    expect(result.ok).toBe(false);
    expect(result.durationMs).toBeLessThan(10_000);
    expect(during).toHaveLength(3);
    expect(after).toEqual([]);
  });

  test("loki itself killed with SIGKILL: the sandbox dies with its parent, daemons included", async () => {
    await using w = await sandboxWorld();
    const marker = newMarker();
    const command = w.wrap("build", daemonScript(marker, "sleep 60"));
    let parent = 0;
    let whileRunning: Promise<number[]> = Promise.resolve([]);
    // `sh` stands in for loki: it launches the sandbox and is then killed without a chance to clean up.
    const result = await run(["sh", "-c", '"$@" & wait', "sh", ...command.argv], {
      env: command.env,
      cwd: w.repo,
      timeoutMs: 20_000,
      onSpawn: (pid) => (parent = pid),
      onLine: (line) => {
        if (line !== "daemons-up") return;
        whileRunning = daemons(marker);
        void whileRunning.then(() => process.kill(parent, "SIGKILL"));
      },
    });
    expect(result.signal).toBe("SIGKILL");
    expect(result.timedOut).toBe(false);
    expect(await whileRunning).toHaveLength(3);
    expect(await daemons(marker)).toEqual([]);
  });
});
