// Locks and process identity with real processes: an append lock whose owner died (or whose pid a
// stranger now has) is broken at once; a live owner's is waited for and never broken; only a lock
// naming no owner falls back to age. A pid is the recorded process only while its start time matches.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { readLockOwner, withLock } from "../../src/core/lock.ts";
import { ownStartSync, pidState, processStart, signalSaved } from "../../src/core/process-identity.ts";
import { appendJsonl } from "../../src/core/workspace.ts";
import { alive } from "../helpers/scenario.ts";
import { tmpdir } from "../helpers/tmp.ts";

const Rec = z.object({ n: z.number() });

/** A live process with no tie to the test's locks, leading its own process group. */
const stranger = () => Bun.spawn(["setsid", "sleep", "120"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });

async function deadPid(): Promise<number> {
  const proc = Bun.spawn(["true"]);
  await proc.exited;
  return proc.pid;
}

function leaveLock(file: string, owner: Record<string, unknown> | null): string {
  const lock = `${file}.lock`;
  mkdirSync(lock, { recursive: true });
  if (owner) writeFileSync(join(lock, "owner.json"), JSON.stringify({ acquired_at: new Date().toISOString(), ...owner }));
  return lock;
}

function timedAppend(file: string): number {
  const started = performance.now();
  appendJsonl(file, Rec, { n: 1 });
  return performance.now() - started;
}

describe("the append lock", () => {
  test("a lock left by a dead owner is broken at once, not after an age threshold", async () => {
    await using dir = await tmpdir();
    const file = join(dir.path, "events.jsonl");
    const lock = leaveLock(file, { pid: await deadPid(), start: "linux:gone:1" });
    expect(timedAppend(file)).toBeLessThan(1_000);
    expect(readFileSync(file, "utf8")).toBe('{"n":1}\n');
    expect(existsSync(lock)).toBe(false);
  });

  test("a lock whose pid now belongs to another process (another start time) is broken at once; that process is left alone", async () => {
    await using dir = await tmpdir();
    const other = stranger();
    try {
      const file = join(dir.path, "events.jsonl");
      leaveLock(file, { pid: other.pid, start: "linux:an-earlier-process:1" });
      expect(timedAppend(file)).toBeLessThan(1_000);
      expect(alive(other.pid)).toBe(true);
    } finally {
      other.kill("SIGKILL");
    }
  });

  test("a live owner's lock is waited for and never broken by the waiter", async () => {
    await using dir = await tmpdir();
    const other = stranger();
    try {
      const file = join(dir.path, "events.jsonl");
      const owner = { pid: other.pid, start: await processStart(other.pid) };
      const lock = leaveLock(file, owner);
      const started = Date.now();
      expect(() => appendJsonl(file, Rec, { n: 1 })).toThrow(`timed out waiting for lock ${lock} (held by pid ${other.pid})`);
      expect(Date.now() - started).toBeGreaterThanOrEqual(4_900);
      expect(readLockOwner(lock)).toMatchObject(owner);
      expect(existsSync(file)).toBe(false);
    } finally {
      other.kill("SIGKILL");
    }
  }, 30_000);

  test("a lock that names no owner (a crash between creating and naming it) falls back to age", async () => {
    await using dir = await tmpdir();
    const file = join(dir.path, "events.jsonl");
    const lock = leaveLock(file, null);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    expect(timedAppend(file)).toBeLessThan(1_000);
    expect(existsSync(lock)).toBe(false);
  });

  test("writers killed at random moments while appending never leave a lock that holds the next one up", async () => {
    await using dir = await tmpdir();
    const file = join(dir.path, "events.jsonl");
    const script = join(dir.path, "writer.ts");
    writeFileSync(
      script,
      `import { z } from "zod";\nimport { appendJsonl } from ${JSON.stringify(join(import.meta.dir, "../../src/core/workspace.ts"))};\n` +
        `for (let n = 0; ; n++) appendJsonl(${JSON.stringify(file)}, z.object({ n: z.number() }), { n });\n`,
    );
    for (let round = 0; round < 25; round++) {
      const writer = Bun.spawn([process.execPath, script], { cwd: join(import.meta.dir, "../.."), stdout: "ignore", stderr: "ignore" });
      await Bun.sleep(60 + ((round * 7) % 40));
      writer.kill("SIGKILL");
      await writer.exited;
      expect(timedAppend(file)).toBeLessThan(1_000);
    }
    // Every line whole (a torn tail is cut by the next append), and no lock left behind.
    for (const line of readFileSync(file, "utf8").trimEnd().split("\n")) expect(Rec.safeParse(JSON.parse(line)).success).toBe(true);
    expect(existsSync(`${file}.lock`)).toBe(false);
  }, 60_000);

  test("the lock names its holder while held, and is gone after", async () => {
    await using dir = await tmpdir();
    const file = join(dir.path, "events.jsonl");
    let seen: unknown = null;
    withLock(file, () => {
      seen = readLockOwner(`${file}.lock`);
    });
    expect(seen).toMatchObject({ pid: process.pid, start: ownStartSync() });
    expect(existsSync(`${file}.lock`)).toBe(false);
  });
});

describe("process identity", () => {
  test("a pid is the recorded process only while its start time matches", async () => {
    const other = stranger();
    try {
      const start = await processStart(other.pid);
      expect(start).toMatch(/^linux:[^:]+:\d+$/);
      expect(await processStart(other.pid)).toBe(start);
      expect(await pidState(other.pid, start)).toBe("same");
      expect(await pidState(other.pid, "linux:an-earlier-process:1")).toBe("reused");
      // Older records without a start time: a live pid is all there is to go on.
      expect(await pidState(other.pid, undefined)).toBe("same");
      expect(await pidState(await deadPid(), start)).toBe("gone");
    } finally {
      other.kill("SIGKILL");
    }
  });

  test("signalSaved withholds the signal from a reused pid and its group, and sends it to the recorded one", async () => {
    const other = stranger();
    try {
      expect(await signalSaved(other.pid, "linux:an-earlier-process:1", "SIGKILL", { group: true })).toBe("reused");
      await Bun.sleep(100);
      expect(alive(other.pid)).toBe(true);
      expect(await signalSaved(other.pid, await processStart(other.pid), "SIGKILL", { group: true })).toBe("signalled");
      await other.exited;
      expect(alive(other.pid)).toBe(false);
    } finally {
      other.kill("SIGKILL");
    }
  });
});
