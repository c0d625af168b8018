// The kernel under real conditions: config layering and errors, atomic JSON writes, JSONL appends
// from concurrent processes, subprocess timeouts that kill a whole process group, tree hashes.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { loadConfig, parseDuration } from "../../src/core/config.ts";
import { digestOf, run } from "../../src/core/exec.ts";
import { workingTreeHash } from "../../src/core/git.ts";
import { fileLogger } from "../../src/core/log.ts";
import { appendJsonl, appendJsonlMany, COMPACT_JSON_BYTES, readJson, readJsonl, writeJson } from "../../src/core/workspace.ts";
import { loki } from "../helpers/cli.ts";
import { git, tmpdir } from "../helpers/tmp.ts";

describe("config", () => {
  test("defaults < loki.yaml < .loki/config.yaml < env < flags", async () => {
    await using dir = await tmpdir({
      files: { "loki.yaml": "provider: codex\nmax_iterations: 5\nbudget_usd: 3\n", ".loki/config.yaml": "max_iterations: 6\n" },
    });
    const base = loadConfig(dir.path, {});
    expect(base.config).toMatchObject({ provider: "codex", max_iterations: 6, budget_usd: 3, heldout: true });
    expect(base.origins.get("max_iterations")).toBe(join(dir.path, ".loki", "config.yaml"));
    const env = loadConfig(dir.path, { LOKI_MAX_ITERATIONS: "9", LOKI_FAILOVER: "claude, codex", LOKI_HELDOUT: "false" });
    expect(env.config).toMatchObject({ max_iterations: 9, failover: ["claude", "codex"], heldout: false });
    expect(loadConfig(dir.path, { LOKI_MAX_ITERATIONS: "9" }, { max_iterations: 11 }).config.max_iterations).toBe(11);
  });

  test("ecosystem variables set tracker URLs; LOKI_* beats them", () => {
    const c = loadConfig("/nonexistent", {
      GITHUB_API_URL: "http://127.0.0.1:1/api",
      CI_API_V4_URL: "http://127.0.0.1:2/api/v4",
      LOKI_TRACKERS_GITHUB_API_URL: "http://127.0.0.1:3/",
    }).config;
    expect(c.trackers.github.api_url).toBe("http://127.0.0.1:3/");
    expect(c.trackers.gitlab.api_url).toBe("http://127.0.0.1:2/api/v4");
  });

  test("unknown keys warn, with their full path", async () => {
    await using dir = await tmpdir({ files: { "loki.yaml": "provider: claude\ncolour: blue\ntrackers:\n  github:\n    api_uri: x\n" } });
    const { warnings } = loadConfig(dir.path, {});
    expect(warnings.join("\n")).toContain('unknown key "colour"');
    expect(warnings.join("\n")).toContain('unknown key "trackers.github.api_uri"');
  });

  test("a bad value names its key and origin", async () => {
    await using dir = await tmpdir({ files: { "loki.yaml": "max_iterations: lots\n" } });
    expect(() => loadConfig(dir.path, {})).toThrow(/config key "max_iterations" \(from .*loki.yaml\)/);
    expect(() => loadConfig("/nonexistent", { LOKI_PROVIDER: "gpt" })).toThrow(/config key "provider" \(from environment\)/);
    expect(() => loadConfig("/nonexistent", {}, { max_iterations: Number.NaN })).toThrow(/from flags/);
  });

  test("invalid YAML reports line:col", async () => {
    await using dir = await tmpdir({ files: { "loki.yaml": "provider: claude\nbudget_usd: [1, 2\n" } });
    expect(() => loadConfig(dir.path, {})).toThrow(/loki.yaml:\d+:\d+: invalid YAML/);
  });

  test("a YAML alias bomb in loki.yaml is a config error naming the file and the fix, not an internal error", async () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (const [i, name] of [..."bcdefghi"].entries()) levels.push(`${name}: &${name} [${Array(9).fill(`*${"abcdefghi"[i]}`).join(", ")}]`);
    await using dir = await tmpdir({ files: { "loki.yaml": `${levels.join("\n")}\n` } });
    let error: unknown;
    try {
      loadConfig(dir.path, {});
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ kind: "config", message: expect.stringContaining("loki.yaml: YAML that expands too far") });
    expect((error as { hint: string }).hint).toContain("remove the anchors and aliases");
  });

  test("durations", () => {
    expect(parseDuration("90m")).toBe(5400);
    expect(parseDuration("2h")).toBe(7200);
    expect(parseDuration("45")).toBe(45);
    expect(() => parseDuration("soon")).toThrow(/invalid duration/);
  });
});

const Rec = z.object({ n: z.number(), who: z.string() });

describe("workspace", () => {
  test("writeJson validates, then replaces atomically; readJson validates", async () => {
    await using dir = await tmpdir();
    const file = join(dir.path, "a", "b.json");
    writeJson(file, Rec, { n: 1, who: "x" });
    expect(readJson(file, Rec)).toEqual({ n: 1, who: "x" });
    expect(() => writeJson(file, Rec, { n: "no" } as never)).toThrow(/refusing to write invalid data/);
    expect(readJson(file, Rec)).toEqual({ n: 1, who: "x" });
    expect(readdirSync(join(dir.path, "a"))).toEqual(["b.json"]);
    writeFileSync(file, "{ torn");
    expect(() => readJson(file, Rec)).toThrow(/not valid JSON/);
    expect(readJson(join(dir.path, "missing.json"), Rec)).toBeUndefined();
  });

  test("writeJson indents a small file and writes a large one on one line; readJson takes both back", async () => {
    await using dir = await tmpdir();
    const List = z.object({ items: z.array(Rec) });
    const small = { items: [{ n: 1, who: "x" }] };
    const large = { items: Array.from({ length: COMPACT_JSON_BYTES / 10 }, (_, n) => ({ n, who: "x" })) };
    const file = join(dir.path, "list.json");
    writeJson(file, List, small);
    expect(readFileSync(file, "utf8")).toBe(`${JSON.stringify(small, null, 2)}\n`);
    expect(readJson(file, List)).toEqual(small);
    writeJson(file, List, large);
    const text = readFileSync(file, "utf8");
    expect(text).toBe(`${JSON.stringify(large)}\n`);
    expect(text.length).toBeGreaterThan(COMPACT_JSON_BYTES);
    expect(readJson(file, List)).toEqual(large);
  });

  test("a file from a newer loki is named as such (never overwritten, never 'corrupt')", async () => {
    await using dir = await tmpdir({ git: true });
    mkdirSync(join(dir.path, ".loki"));
    const file = join(dir.path, ".loki", "session.json");
    const Versioned = z.object({ schema_version: z.literal(1), n: z.number() });
    writeFileSync(file, JSON.stringify({ schema_version: 99, n: 1 }));
    expect(() => readJson(file, Versioned)).toThrow(/session.json was written by a newer loki \(schema_version 99; this one reads 1\)/);
    expect(readFileSync(file, "utf8")).toBe(JSON.stringify({ schema_version: 99, n: 1 }));
    writeFileSync(file, JSON.stringify({ schema_version: 99, run_id: "r", pid: 1, status: "running" }));
    const status = await loki(["status"], { cwd: dir.path });
    expect([status.code, status.stderr]).toEqual([3, expect.stringContaining("was written by a newer loki")]);
  });

  test("appends from 4 concurrent processes never tear a line", async () => {
    await using dir = await tmpdir();
    const file = join(dir.path, "events.jsonl");
    const script = join(dir.path, "writer.ts");
    writeFileSync(
      script,
      `import { appendJsonl } from ${JSON.stringify(join(import.meta.dir, "../../src/core/workspace.ts"))};
import { z } from "zod";
const who = process.argv[2]!;
for (let n = 0; n < 200; n++) appendJsonl(${JSON.stringify(file)}, z.object({ n: z.number(), who: z.string(), pad: z.string() }), { n, who, pad: "x".repeat(5000) });
`,
    );
    const procs = ["a", "b", "c", "d"].map((who) =>
      Bun.spawn([process.execPath, script, who], { cwd: join(import.meta.dir, "../.."), stdout: "ignore", stderr: "pipe" }),
    );
    const codes = await Promise.all(procs.map((p) => p.exited));
    expect(codes).toEqual([0, 0, 0, 0]);
    const records = readJsonl(file, Rec.extend({ pad: z.string() }));
    expect(records).toHaveLength(800);
    for (const who of ["a", "b", "c", "d"]) expect(records.filter((r) => r.who === who).map((r) => r.n)).toEqual([...Array(200).keys()]);
  });

  test("readJsonl skips and reports a bad line instead of refusing the stream; the next append cuts a torn tail", async () => {
    await using dir = await tmpdir();
    const file = join(dir.path, "x.jsonl");
    appendJsonl(file, Rec, { n: 1, who: "a" });
    writeFileSync(file, `${readFileSync(file, "utf8")}{"n":2,"wh`);
    const problems: string[] = [];
    expect(readJsonl(file, Rec, (p) => problems.push(p))).toEqual([{ n: 1, who: "a" }]);
    expect(problems).toEqual([`${file}: skipped 1 unreadable line (line 2); the other 1 records count`]);
    // The torn tail a crash left is cut off by the next locked append, not glued to its line.
    appendJsonl(file, Rec, { n: 3, who: "b" });
    expect(readFileSync(file, "utf8")).toBe('{"n":1,"who":"a"}\n{"n":3,"who":"b"}\n');
    writeFileSync(file, `{"bad": true}\n{"n":3,"who":"b"}\nnot json\n{"n":4,"who":"c"}\n`);
    problems.length = 0;
    expect(readJsonl(file, Rec, (p) => problems.push(p))).toEqual([
      { n: 3, who: "b" },
      { n: 4, who: "c" },
    ]);
    expect(problems[0]).toContain("skipped 2 unreadable lines (line 1, 3)");
  });

  test("appendJsonlMany writes every record or none: one invalid record leaves the file as it was", async () => {
    await using dir = await tmpdir();
    const file = join(dir.path, "x.jsonl");
    appendJsonlMany(file, Rec, [
      { n: 1, who: "a" },
      { n: 2, who: "b" },
    ]);
    expect(() => appendJsonlMany(file, Rec, [{ n: 3, who: "c" }, { n: "four", who: "d" } as never])).toThrow(
      "refusing to append invalid record",
    );
    expect(readFileSync(file, "utf8")).toBe('{"n":1,"who":"a"}\n{"n":2,"who":"b"}\n');
    appendJsonlMany(file, Rec, []);
    expect(readJsonl(file, Rec)).toHaveLength(2);
  });

  test("what loki writes is the user's alone: files 0600, directories 0700", async () => {
    await using dir = await tmpdir();
    const file = join(dir.path, "state", "s.json");
    writeJson(file, Rec, { n: 1, who: "x" });
    appendJsonl(join(dir.path, "metrics", "m.jsonl"), Rec, { n: 1, who: "x" });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir.path, "state")).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir.path, "metrics", "m.jsonl")).mode & 0o777).toBe(0o600);
  });

  test("the log file is the user's alone and redacted: 0600 in a 0700 directory, no secret, one JSON object a line", async () => {
    await using dir = await tmpdir();
    const file = join(dir.path, "logs", "loki.log");
    const key = `sk-ant-api03-${"Zq7Xw2Lk9Pm4".repeat(3)}`;
    const logger = await fileLogger(file);
    logger.error(
      { err: { message: `the agent printed ${key}`, stack: `Error: ${key}\n    at x (${dir.path}/a.ts:1:1)` } },
      "the loop failed",
    );
    logger.info({ run_id: "r1" }, "done");
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain(key);
    expect(text).toContain("[REDACTED:anthropic-key]");
    const lines = text.trimEnd().split("\n");
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(["the loop failed", "done"]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir.path, "logs")).mode & 0o777).toBe(0o700);
  });
});

describe("workspace on a full disk (a real 64 KiB tmpfs)", () => {
  /** Runs `body` (TypeScript using core/workspace.ts) with a 64 KiB tmpfs mounted at `mount`, in a private mount namespace. */
  async function onTinyDisk(mount: string, body: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const script = join(mount, "..", "script.ts");
    writeFileSync(
      script,
      `import { appendJsonl, readJsonl, writeFileAtomic, writeJson } from ${JSON.stringify(join(import.meta.dir, "../../src/core/workspace.ts"))};
import { z } from "zod";
const Rec = z.object({ n: z.number(), who: z.string(), pad: z.string() });
const dir = ${JSON.stringify(mount)};
${body}`,
    );
    const proc = Bun.spawn(
      ["unshare", "-rm", "sh", "-c", 'mount -t tmpfs -o size=64k tmpfs "$1" && exec "$2" "$3"', "sh", mount, process.execPath, script],
      {
        cwd: join(import.meta.dir, "../.."),
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    return { code, stdout, stderr };
  }

  test("a replace that does not fit fails naming the file and ENOSPC; the old file is intact and no temp file is left", async () => {
    await using dir = await tmpdir();
    const mount = join(dir.path, "disk");
    mkdirSync(mount);
    const result = await onTinyDisk(
      mount,
      `const file = dir + "/state.json";
writeJson(file, Rec, { n: 1, who: "old", pad: "" });
try { writeJson(file, Rec, { n: 2, who: "new", pad: "x".repeat(200_000) }); console.log("WROTE"); }
catch (e) { console.log("ERROR " + e.message + " | " + e.hint); }
console.log("AFTER " + require("node:fs").readFileSync(file, "utf8").length + " " + JSON.stringify(require("node:fs").readdirSync(dir)));
console.log("READ " + JSON.stringify(JSON.parse(require("node:fs").readFileSync(file, "utf8"))));`,
    );
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain(`ERROR could not write ${mount}/state.json: no space left on the device (ENOSPC) | free disk space`);
    expect(result.stdout).not.toContain("WROTE");
    expect(result.stdout).toContain('AFTER 42 ["state.json"]');
    expect(result.stdout).toContain('READ {"n":1,"who":"old","pad":""}');
  });

  test("an append that does not fit fails and leaves no partial line: the stream still reads whole", async () => {
    await using dir = await tmpdir();
    const mount = join(dir.path, "disk");
    mkdirSync(mount);
    const result = await onTinyDisk(
      mount,
      `const file = dir + "/cost.jsonl";
let ok = 0;
try { for (;;) { appendJsonl(file, Rec, { n: ok, who: "w", pad: "x".repeat(3000) }); ok++; } }
catch (e) { console.log("ERROR " + e.message); }
const problems = [];
const records = readJsonl(file, Rec, (p) => problems.push(p));
console.log("APPENDED " + ok + " READ " + records.length + " PROBLEMS " + problems.length);
console.log("ENDS " + JSON.stringify(require("node:fs").readFileSync(file, "utf8").slice(-1)));`,
    );
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain(`ERROR could not write ${mount}/cost.jsonl: no space left on the device (ENOSPC)`);
    const [, appended, read, problems] = result.stdout.match(/APPENDED (\d+) READ (\d+) PROBLEMS (\d+)/) ?? [];
    expect(Number(appended)).toBeGreaterThan(10);
    expect([read, problems]).toEqual([appended, "0"]);
    expect(result.stdout).toContain('ENDS "\\n"');
  });
});

describe("exec", () => {
  test("a timeout kills the whole process group, grandchildren included", async () => {
    await using dir = await tmpdir();
    const pidFile = join(dir.path, "grandchild.pid");
    const result = await run(["sh", "-c", `sleep 30 & echo $! > ${pidFile}; wait`], { timeoutMs: 300, killGraceMs: 200 });
    expect(result.timedOut).toBe(true);
    expect(result.ok).toBe(false);
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    await Bun.sleep(100);
    let alive = true;
    try {
      process.kill(grandchild, 0);
      alive = !readFileSync(`/proc/${grandchild}/stat`, "utf8").split(" ")[2]?.startsWith("Z");
    } catch {
      alive = false;
    }
    expect(alive).toBe(false);
  });

  test("never throws: missing binary and non-zero exits are data", async () => {
    const missing = await run(["loki-no-such-binary"]);
    expect(missing.spawnError).not.toBeNull();
    expect(missing.ok).toBe(false);
    const failing = await run(["sh", "-c", "echo fine; echo 'Error: boom' >&2; exit 4"]);
    expect(failing).toMatchObject({ exitCode: 4, ok: false, timedOut: false });
    expect(failing.digest).toBe("Error: boom");
  });

  test("stdin is closed, so a reader sees EOF at once", async () => {
    const result = await run(["cat"], { timeoutMs: 5000 });
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, stdout: "" });
  });

  test("onLine streams complete lines from both streams", async () => {
    const lines: string[] = [];
    await run(["sh", "-c", "printf 'a\\nb'; echo c >&2"], { onLine: (line, stream) => lines.push(`${stream}:${line}`) });
    expect(lines.sort()).toEqual(["stderr:c", "stdout:a", "stdout:b"]);
  });

  test("digest keeps failing lines only, capped", () => {
    const noisy = Array.from({ length: 100 }, (_, i) => (i % 10 === 0 ? `FAIL test ${i}` : `ok ${i}`)).join("\n");
    expect(digestOf(noisy, "").split("\n")).toHaveLength(10);
    expect(digestOf("a\nb\nc", "")).toBe("a\nb\nc");
  });
});

describe("git", () => {
  test("working tree hash covers untracked files and leaves the index alone", async () => {
    await using dir = await tmpdir({ commit: true });
    const before = await workingTreeHash(dir.path);
    dir.write("new.txt", "untracked\n");
    const after = await workingTreeHash(dir.path);
    expect(after).not.toBe(before);
    expect(git(dir.path, ["status", "--porcelain"])).toBe("?? new.txt\n");
    expect(existsSync(join(dir.path, "new.txt"))).toBe(true);
  });
});

describe("config defaults", () => {
  test("every load gets its own nested objects", () => {
    const a = loadConfig("/nonexistent", {}).config;
    const b = loadConfig("/nonexistent", {}).config;
    a.trackers.jira.email = "changed@example.com";
    a.failover.push("codex");
    expect(b.trackers.jira.email).toBeUndefined();
    expect(b.failover).toEqual([]);
  });
});

describe("a read-only .loki/", () => {
  test("`loki plan` names the file and EROFS with exit 3, not an internal error about a temp file", async () => {
    await using dir = await tmpdir({ commit: true, files: { "prd.md": "# T\n\n## Acceptance criteria\n- [ ] a works\n- [ ] b works\n" } });
    expect((await loki(["plan", "prd.md"], { cwd: dir.path })).code).toBe(0);
    const lokiBin = [process.execPath, join(import.meta.dir, "../../src/cli.ts")];
    const proc = Bun.spawn(
      [
        "unshare",
        "-rm",
        "sh",
        "-c",
        'mount --bind .loki .loki && mount -o remount,bind,ro .loki && exec "$@"',
        "sh",
        ...lokiBin,
        "plan",
        "prd.md",
      ],
      { cwd: dir.path, stdout: "pipe", stderr: "pipe", env: process.env },
    );
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(code).toBe(3);
    expect(stderr).toContain(`could not write ${dir.path}/.loki/spec/spec.json: the file system is read-only (EROFS)`);
    expect(stderr).not.toContain("internal error");
  });
});

describe("a full disk under .loki/ (a real tmpfs)", () => {
  test("`loki plan` that cannot write its spec names ENOSPC with exit 3; no temp file is left and every JSON file left parses", async () => {
    const items = Array.from(
      { length: 400 },
      (_, i) => `- [ ] requirement number ${i + 1} is met by the system in every case we list here`,
    );
    await using dir = await tmpdir({ commit: true, files: { "prd.md": `# Big\n\n## Acceptance criteria\n${items.join("\n")}\n` } });
    mkdirSync(join(dir.path, ".loki"));
    writeFileSync(join(dir.path, "check.js"), 'JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));\n');
    // Inside a private mount namespace (the tmpfs goes with it): run loki, then list what is left and parse every JSON file.
    const script = [
      'mount -t tmpfs -o size=24k tmpfs .loki && "$@"; code=$?',
      "ls -R .loki > .listing",
      'for f in $(find .loki -type f -name "*.json"); do "$1" check.js "$f" || echo "$f" >> .unparsable; done',
      "exit $code",
    ].join("; ");
    const argv = [
      "unshare",
      "-rm",
      "sh",
      "-c",
      script,
      "sh",
      process.execPath,
      join(import.meta.dir, "../../src/cli.ts"),
      "plan",
      "prd.md",
    ];
    const proc = Bun.spawn(argv, { cwd: dir.path, stdout: "pipe", stderr: "pipe", env: process.env });
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/could not write .*\.loki\/.*: no space left on the device \(ENOSPC\)/);
    expect(stderr).not.toContain("internal error");
    const listing = readFileSync(join(dir.path, ".listing"), "utf8");
    expect(listing).toContain("spec");
    expect(listing).not.toContain(".tmp");
    expect(existsSync(join(dir.path, ".unparsable"))).toBe(false);
  });
});
