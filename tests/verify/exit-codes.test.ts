// Every exit code of `loki verify`, through the real CLI in throwaway repositories: 0 VERIFIED,
// 1 CONCERNS, 2 BLOCKED, 3 could not verify (bad repo, base or flags). One table; add rows.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Evidence } from "../../src/core/evidence-schema.ts";
import { loki } from "../helpers/cli.ts";
import { git } from "../helpers/tmp.ts";
import { NODE_BREAK, NODE_FIX, NODE_PROJECT, verifyRepo, type Files } from "../helpers/verify-repo.ts";

// Each test runs the real CLI several times (and real test suites): well past the 5 s default.
setDefaultTimeout(60_000);

type Row = {
  name: string;
  base: Files;
  change?: Files;
  args?: string[];
  code: number;
  verdict?: Evidence["verdict"];
  stderr?: RegExp;
  gate?: [string, string];
};

const README = { "README.md": "# fixture\n" };

const ROWS: Row[] = [
  {
    name: "a fix that turns node --test green",
    base: NODE_PROJECT,
    change: NODE_FIX,
    code: 0,
    verdict: "VERIFIED",
    gate: ["tests", "pass"],
  },
  { name: "an empty diff", base: README, code: 1, verdict: "CONCERNS", gate: ["diff", "fail"] },
  {
    name: "no test runner",
    base: README,
    change: { "notes.md": "some notes\n" },
    code: 1,
    verdict: "CONCERNS",
    gate: ["tests", "inconclusive"],
  },
  { name: "red tests", base: NODE_PROJECT, change: NODE_BREAK, code: 2, verdict: "BLOCKED", gate: ["tests", "fail"] },
  {
    name: "red tests, but only the diff gate asked for",
    base: NODE_PROJECT,
    change: NODE_BREAK,
    args: ["--only", "diff"],
    code: 0,
    verdict: "VERIFIED",
  },
  {
    name: "red tests skipped with --skip tests",
    base: NODE_PROJECT,
    change: NODE_BREAK,
    args: ["--skip", "tests"],
    code: 0,
    verdict: "VERIFIED",
    gate: ["diff", "pass"],
  },
  { name: "an empty diff with --block-on medium", base: README, args: ["--block-on", "critical,high,medium"], code: 2, verdict: "BLOCKED" },
  {
    name: "an unknown base",
    base: README,
    change: README,
    args: ["no-such-branch"],
    code: 3,
    stderr: /unknown base "no-such-branch"[\s\S]*hint:/,
  },
  {
    name: "a bad --block-on",
    base: README,
    change: README,
    args: ["--block-on", "critical,severe"],
    code: 3,
    stderr: /--block-on: unknown value severe[\s\S]*valid values: critical, high, medium, low, info/,
  },
  {
    name: "an unknown --only gate",
    base: README,
    change: README,
    args: ["--only", "tests,lint"],
    code: 3,
    stderr: /--only: unknown value lint[\s\S]*valid values: diff,/,
  },
  { name: "an unknown --skip gate", base: README, change: README, args: ["--skip", "nope"], code: 3, stderr: /--skip: unknown value nope/ },
  {
    name: "--only and --skip leaving nothing",
    base: README,
    change: README,
    args: ["--only", "diff", "--skip", "diff"],
    code: 3,
    stderr: /leave no gate to run/,
  },
  {
    name: "a bad --scope",
    base: README,
    change: README,
    args: ["--scope", "everything"],
    code: 3,
    stderr: /--scope: unknown scope "everything"/,
  },
  {
    name: "a missing baseline file",
    base: README,
    change: README,
    args: ["--baseline", "nope.json"],
    code: 3,
    stderr: /baseline nope\.json does not exist[\s\S]*--write-baseline/,
  },
  {
    name: "a baseline that is not a baseline",
    base: README,
    change: { "bad.json": '{"fingerprints": "x"}\n' },
    args: ["--baseline", "bad.json"],
    code: 3,
    stderr: /baseline bad\.json does not match its format/,
  },
];

describe("loki verify exit codes", () => {
  for (const row of ROWS) {
    test(`${row.name} → exit ${row.code}`, async () => {
      await using repo = await verifyRepo(row.base, row.change);
      const result = await loki(["verify", ...(row.args ?? []), "--json"], { cwd: repo.path });
      expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: row.code });
      if (row.stderr) expect(result.stderr).toMatch(row.stderr);
      if (row.code === 3) {
        expect(result.json<{ ok: boolean; error: { exit_code: number } }>()).toMatchObject({ ok: false, error: { exit_code: 3 } });
        return;
      }
      const evidence = Evidence.parse(result.json());
      expect(evidence.verdict).toBe(row.verdict as Evidence["verdict"]);
      expect(evidence.exit_code).toBe(row.code);
      if (row.gate)
        expect(evidence.gates.find((g) => g.id === row.gate?.[0])?.status).toBe(row.gate[1] as Evidence["gates"][number]["status"]);
    });
  }

  test("outside a git repository → exit 3 naming the fix", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loki-norepo-"));
    try {
      const result = await loki(["verify"], { cwd: dir, env: { GIT_CEILING_DIRECTORIES: tmpdir() } });
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/not inside a git repository[\s\S]*hint: run `git init`/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a repository without commits → exit 3", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loki-empty-"));
    try {
      git(dir, ["init", "-q"]);
      const result = await loki(["verify"], { cwd: dir });
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/no commits yet/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("no base at all (no upstream, no origin, no main or master) → exit 3", async () => {
    await using repo = await verifyRepo(README, README, { defaultBranch: "trunk" });
    const result = await loki(["verify"], { cwd: repo.path });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/no base to verify against[\s\S]*loki verify origin\/main/);
  });

  test("the human output lists every gate with status, duration and reason, then the verdict", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, NODE_BREAK);
    const result = await loki(["verify"], { cwd: repo.path });
    expect(result.code).toBe(2);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toMatch(/^loki verify: main \(default branch, merge base [0-9a-f]{7}\): 1 file, \+1 −1, scope diff$/);
    expect(lines.find((l) => /^\s+fail\s+tests\s+\d+(\.\d)? m?s\s+tests failed: 1 failed, 1 passed/.test(l))).toBeDefined();
    expect(lines.find((l) => /^\s+skipped\s+heldout\s+\d+ ms\s+no loki run in this repository$/.test(l))).toBeDefined();
    expect(result.stdout).toMatch(/\(no file\)\s+high\s+tests\/tests-failed\s+tests failed/);
    expect(result.stdout).toMatch(/\nBLOCKED \(exit 2\): tests fail\n/);
    expect(result.stdout).toContain("evidence: .loki/verify/evidence.json, .loki/verify/report.md");
    const report = await Bun.file(join(repo.path, ".loki/verify/report.md")).text();
    expect(report).toMatch(/^# loki verify: BLOCKED \(exit 2\)/);
    expect(report).toMatch(/\| tests \| fail \| [\d.]+ m?s \| 1 \| tests failed: 1 failed, 1 passed/);
  });
});
