// The log file under .loki/logs/: debug by default (LOKI_LOG_LEVEL overrides), every subprocess a
// pair of redacted debug lines once a run's log is in use, 0600 even over an older file, rotated to
// `.1` past its cap, and never a reason for the work to fail — nor for a deleted .loki/ to come back.
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../../src/core/exec.ts";
import { argvForLog, logDebug, logLevel, MAX_LOG_BYTES, openLog, useLogFile } from "../../src/core/log.ts";
import { tmpdir } from "../helpers/tmp.ts";

type Line = { level: number; msg: string; pid: number } & Record<string, unknown>;
const lines = (file: string): Line[] =>
  readFileSync(file, "utf8")
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as Line);

afterEach(() => useLogFile(null));

describe("the log level", () => {
  test("debug unless LOKI_LOG_LEVEL names another level", () => {
    expect(logLevel({})).toBe("debug");
    expect(logLevel({ LOKI_LOG_LEVEL: "INFO" })).toBe("info");
    expect(logLevel({ LOKI_LOG_LEVEL: " warn " })).toBe("warn");
    expect(logLevel({ LOKI_LOG_LEVEL: "trace" })).toBe("trace");
    expect(logLevel({ LOKI_LOG_LEVEL: "loud" })).toBe("debug");
    expect(logLevel({ LOKI_LOG_LEVEL: "silent" })).toBe("debug");
  });

  test("a file opened under LOKI_LOG_LEVEL=info keeps info and above only", async () => {
    await using dir = await tmpdir();
    const file = join(dir.path, "logs", "loki.log");
    const before = process.env.LOKI_LOG_LEVEL;
    process.env.LOKI_LOG_LEVEL = "info";
    try {
      const log = openLog(file);
      log.debug({ n: 1 }, "hidden");
      log.info({ n: 2 }, "shown");
      log.error({ n: 3 }, "failed");
    } finally {
      if (before === undefined) delete process.env.LOKI_LOG_LEVEL;
      else process.env.LOKI_LOG_LEVEL = before;
    }
    expect(lines(file).map((l) => [l.level, l.msg])).toEqual([
      [30, "shown"],
      [50, "failed"],
    ]);
  });
});

describe("subprocesses in the run's log", () => {
  test("each one is logged at debug when it starts and when it ends: command, cwd, its pid, exit, duration; a failure's digest, redacted", async () => {
    await using dir = await tmpdir({ files: { ".loki/.gitignore": "*\n" } });
    const file = join(dir.path, ".loki", "logs", "loki.log");
    const key = `ghp_${"A1b2C3d4E5".repeat(4)}`;
    await run(["true"], { cwd: dir.path });
    expect(existsSync(file)).toBe(false);
    useLogFile(file);
    await run(["sh", "-c", `echo "error: token ${key} refused" >&2; exit 3`, "x".repeat(1000)], { cwd: dir.path });
    await run(["/nonexistent/binary"], { cwd: dir.path });
    await run(["true"], { cwd: dir.path });
    const [started, finished, , missing, okStarted, okFinished] = lines(file);
    expect(started).toMatchObject({
      level: 20,
      msg: "exec started",
      cwd: dir.path,
      cmd: ["sh", "-c", expect.any(String), expect.any(String)],
    });
    expect(finished).toMatchObject({ level: 20, msg: "exec finished", exit: 3, signal: null, timed_out: null, spawn_error: null });
    expect(finished?.pid).toBe(process.pid);
    expect(finished?.child_pid).toBe(started?.child_pid as number);
    expect(typeof started?.child_pid).toBe("number");
    expect(typeof finished?.ms).toBe("number");
    expect(finished?.digest).toContain("refused");
    expect((finished?.cmd as string[])[3]).toBe(`${"x".repeat(300)}…(+700 chars)`);
    expect(missing).toMatchObject({ msg: "exec finished", exit: null, spawn_error: expect.any(String) });
    // A call that went well: its end names it by pid only, the command is on its start line.
    expect(okStarted).toMatchObject({ msg: "exec started", cmd: ["true"], cwd: dir.path });
    expect(okFinished).toMatchObject({ msg: "exec finished", child_pid: okStarted?.child_pid as number, exit: 0 });
    expect(okFinished).not.toHaveProperty("cmd");
    expect(okFinished).not.toHaveProperty("digest");
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain(key);
    expect(text).toContain("[REDACTED:");
  });

  test("a command line is cut to 40 arguments of 300 characters, saying how much was cut", () => {
    const argv = Array.from({ length: 45 }, (_, i) => `a${i}`);
    expect(argvForLog(argv).slice(-2)).toEqual(["a39", "…(+5 args)"]);
    expect(argvForLog(["x".repeat(301)])).toEqual([`${"x".repeat(300)}…(+1 chars)`]);
  });

  test("a log that cannot be written loses the line, not the work — and a deleted .loki/ is not made again", async () => {
    await using dir = await tmpdir();
    const gone = join(dir.path, "repo", ".loki", "logs", "loki.log");
    useLogFile(gone);
    logDebug({ n: 1 }, "lost");
    expect((await run(["true"])).ok).toBe(true);
    expect(existsSync(join(dir.path, "repo"))).toBe(false);
    mkdirSync(join(dir.path, "blocked"));
    writeFileSync(join(dir.path, "blocked", "logs"), "a file where the directory should be");
    useLogFile(join(dir.path, "blocked", "logs", "loki.log"));
    expect((await run(["true"])).ok).toBe(true);
  });
});

describe("the log file", () => {
  test("an older file loki finds readable by others is made the user's alone (0600) at the next line", async () => {
    await using dir = await tmpdir({ files: { "logs/loki.log": "" } });
    const file = join(dir.path, "logs", "loki.log");
    chmodSync(file, 0o644);
    openLog(file).info({}, "hello");
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  test(`past ${MAX_LOG_BYTES} bytes it is rotated to loki.log.1 (one generation kept), every line whole`, async () => {
    await using dir = await tmpdir({ files: { "logs/.keep": "" } });
    const file = join(dir.path, "logs", "loki.log");
    const log = openLog(file);
    const pad = "p".repeat(64 * 1024);
    const count = Math.ceil((2 * MAX_LOG_BYTES) / pad.length) + 4;
    for (let n = 0; n < count; n++) log.debug({ n, pad }, "line");
    const current = lines(file);
    const previous = lines(`${file}.1`);
    expect(statSync(file).size).toBeLessThanOrEqual(MAX_LOG_BYTES);
    expect(statSync(`${file}.1`).size).toBeLessThanOrEqual(MAX_LOG_BYTES);
    expect(statSync(`${file}.1`).mode & 0o777).toBe(0o600);
    // The newest lines are in the file, the ones before them in .1, with none missing between.
    expect(current.at(-1)?.n).toBe(count - 1);
    expect(previous.at(-1)?.n).toBe((current[0]?.n as number) - 1);
    expect(existsSync(`${file}.2`)).toBe(false);
  });
});
