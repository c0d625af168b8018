// The kernel under real conditions: config layering and errors, atomic JSON writes, JSONL appends
// from concurrent processes, subprocess timeouts that kill a whole process group, tree hashes.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { loadConfig, parseDuration } from "../../src/core/config.ts";
import { digestOf, run } from "../../src/core/exec.ts";
import { workingTreeHash } from "../../src/core/git.ts";
import { appendJsonl, readJson, readJsonl, writeJson } from "../../src/core/workspace.ts";
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

  test("readJsonl skips only a torn last line", async () => {
    await using dir = await tmpdir();
    const file = join(dir.path, "x.jsonl");
    appendJsonl(file, Rec, { n: 1, who: "a" });
    writeFileSync(file, `${readFileSync(file, "utf8")}{"n":2,"wh`);
    expect(readJsonl(file, Rec)).toEqual([{ n: 1, who: "a" }]);
    writeFileSync(file, `{"bad": true}\n{"n":3,"who":"b"}\n`);
    expect(() => readJsonl(file, Rec)).toThrow(/x.jsonl:1 is not a valid record/);
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
