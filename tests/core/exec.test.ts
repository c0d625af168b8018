// core/exec's limits on real processes: the output cap and the idle timer end the whole group, a
// cancel does too, input and latin1 bytes arrive intact, and a loki process that exits (or is ended
// by a signal) while it waits on a child takes that child's group with it.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { run } from "../../src/core/exec.ts";
import { alive } from "../helpers/scenario.ts";
import { tmpdir } from "../helpers/tmp.ts";

const EXEC = resolve(import.meta.dir, "..", "..", "src", "core", "exec.ts");

async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await Bun.sleep(20);
  }
  return true;
}

describe("exec's limits", () => {
  test("stdout handed to onStdout is not kept, and the cap still ends the process at the same byte", async () => {
    const seen: Uint8Array[] = [];
    const result = await run(["sh", "-c", "yes loki"], {
      maxOutputBytes: 1000,
      timeoutMs: 10_000,
      killGraceMs: 200,
      onStdout: (chunk) => seen.push(chunk),
    });
    expect(result).toMatchObject({ truncated: true, stdout: "", ok: false });
    expect(Buffer.concat(seen).toString()).toBe("loki\n".repeat(200));
    const whole: Uint8Array[] = [];
    const done = await run(["printf", "a\\nb"], { onStdout: (chunk) => whole.push(chunk) });
    expect(done).toMatchObject({ ok: true, stdout: "", truncated: false });
    expect(Buffer.concat(whole).toString()).toBe("a\nb");
  });

  test("output past the cap ends the process: the first bytes are kept and the result says truncated", async () => {
    const result = await run(["sh", "-c", "yes loki"], { maxOutputBytes: 1000, timeoutMs: 10_000, killGraceMs: 200 });
    expect(result).toMatchObject({ truncated: true, timedOut: false, ok: false, signal: "SIGTERM" });
    expect(result.stdout).toHaveLength(1000);
    expect(result.stdout.startsWith("loki\nloki\n")).toBe(true);
  });

  test("output that reaches the cap exactly, then goes on, is truncated and ends the process; exactly the cap is a whole answer", async () => {
    // Pipe reads end on 4 KiB multiples: the first 64 KiB arrive whole, the rest in a read that starts at the cap.
    const over = await run(["sh", "-c", "head -c 65536 /dev/zero; sleep 0.3; head -c 1000 /dev/zero; sleep 30"], {
      maxOutputBytes: 65536,
      timeoutMs: 20_000,
      killGraceMs: 200,
    });
    expect(over).toMatchObject({ truncated: true, timedOut: false, ok: false });
    expect(over.stdout).toHaveLength(65536);
    expect(over.durationMs).toBeLessThan(10_000);
    const whole = await run(["sh", "-c", "head -c 65536 /dev/zero"], { maxOutputBytes: 65536 });
    expect(whole).toMatchObject({ truncated: false, ok: true });
    expect(whole.stdout).toHaveLength(65536);
  });

  test("a process silent for longer than the idle timer is ended, and says which limit ended it", async () => {
    const result = await run(["sh", "-c", "echo started; sleep 30"], { idleTimeoutMs: 300, timeoutMs: 20_000, killGraceMs: 200 });
    expect(result).toMatchObject({ timedOut: true, timeoutKind: "idle", ok: false, stdout: "started\n" });
    expect(result.durationMs).toBeLessThan(10_000);
  });

  test("a cancel ends the whole group, a grandchild included", async () => {
    await using dir = await tmpdir();
    const pidFile = join(dir.path, "grandchild.pid");
    const stop = new AbortController();
    const pending = run(["sh", "-c", `sleep 30 & echo $! > ${pidFile}; wait`], { signal: stop.signal, killGraceMs: 200 });
    expect(await until(() => existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== "")).toBe(true);
    stop.abort();
    const result = await pending;
    expect(result.ok).toBe(false);
    expect(await until(() => !alive(Number(readFileSync(pidFile, "utf8"))))).toBe(true);
  });

  test("a cancel returns even when a descendant that left the group still holds the pipes", async () => {
    await using dir = await tmpdir();
    const pidFile = join(dir.path, "escaped.pid");
    const stop = new AbortController();
    // setsid: a new session, out of reach of the group signal — as a sandbox's process that had just
    // left bwrap's group when the signal came. It keeps stdout open for 30 s.
    const pending = run(["sh", "-c", `setsid sh -c 'echo $$ > ${pidFile}; exec sleep 30' & wait`], {
      signal: stop.signal,
      killGraceMs: 200,
    });
    expect(await until(() => existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== "")).toBe(true);
    const escaped = Number(readFileSync(pidFile, "utf8"));
    stop.abort();
    const result = await Promise.race([pending, Bun.sleep(10_000).then(() => null)]);
    process.kill(escaped, "SIGKILL");
    expect(result).toMatchObject({ ok: false });
  });

  test("input reaches stdin whole; latin1 output keeps one character per byte", async () => {
    const text = `héllo ${"x".repeat(200_000)}\n`;
    expect((await run(["cat"], { input: text })).stdout).toBe(text);
    const bytes = await run(["printf", "\\377\\000\\101"], { encoding: "latin1" });
    expect([...bytes.stdout].map((c) => c.charCodeAt(0))).toEqual([255, 0, 65]);
  });
});

describe("a loki process that ends while a child runs", () => {
  for (const how of ["exits", "is ended by SIGTERM"] as const) {
    test(`${how}: the child's whole group is ended with it`, async () => {
      await using dir = await tmpdir();
      const pidFile = join(dir.path, "grandchild.pid");
      const script = join(dir.path, "parent.ts");
      writeFileSync(
        script,
        `import { run } from ${JSON.stringify(EXEC)};\n` +
          `void run(["sh", "-c", "sleep 30 & echo $! > ${pidFile}; wait"]);\n` +
          `setInterval(() => {}, 1000);\n` +
          (how === "exits" ? `setTimeout(() => process.exit(0), 300);\n` : ""),
      );
      const parent = Bun.spawn([process.execPath, script], { stdout: "ignore", stderr: "pipe" });
      expect(await until(() => existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== "")).toBe(true);
      const grandchild = Number(readFileSync(pidFile, "utf8"));
      expect(alive(grandchild)).toBe(true);
      if (how !== "exits") parent.kill("SIGTERM");
      await parent.exited;
      expect(await until(() => !alive(grandchild)), await new Response(parent.stderr).text()).toBe(true);
    });
  }
});
