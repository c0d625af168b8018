// The tricks a paid-per-green-check agent plays on the tests gate, each on the node:test fixture
// repo: a test command that runs nothing, printed summaries, an early exit, a forged report, a stale
// configured report, uncommitted edits the diff never showed. None passes, and the reason says why.
import { describe, expect, test } from "bun:test";
import { cpSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { Config } from "../../src/core/config.ts";
import type { GateResult, GateStatus } from "../../src/core/schema.ts";
import { detectProject } from "../../src/gates/detect.ts";
import { readSubject } from "../../src/gates/diff.ts";
import { runGates } from "../../src/gates/gate.ts";
import { tamperGate } from "../../src/gates/tamper.ts";
import { testsGate } from "../../src/gates/tests.ts";
import { gradeFixture, LOKI } from "../helpers/runner-fixture.ts";
import { git, tmpdir } from "../helpers/tmp.ts";

const script = (test: string) => ({ "package.json": JSON.stringify({ name: "fixture", private: true, scripts: { test } }) });
const wrong = { "sum.js": "exports.sum = (a, b) => a - b;\n" };
const UNREADABLE = /^loki cannot read this runner's results; set verify\.test_report/;
// A passing JUnit report written everywhere a test could guess, before it ends the run early.
const forger = `const fs = require("node:fs"), os = require("node:os"), path = require("node:path");
const fake = '<?xml version="1.0"?><testsuites><testcase name="adds"/><testcase name="more"/></testsuites>';
const dirs = [process.cwd(), os.tmpdir(), ...fs.readdirSync(os.tmpdir()).map((d) => path.join(os.tmpdir(), d))];
for (const dir of dirs) for (const name of ["junit.xml", "report.xml", "0-node-test.xml", "test-results.xml"]) {
  try { fs.writeFileSync(path.join(dir, name), fake); } catch {}
}
process.exit(0);
`;

const ROWS: { name: string; change: Record<string, string>; verify?: Record<string, string>; status: GateStatus; reason: RegExp }[] = [
  { name: '"test": "node -e 0"', change: script("node -e 0"), status: "inconclusive", reason: UNREADABLE },
  {
    name: "a script that echoes TAP and jest summaries",
    change: script("echo '# tests 3' && echo '# pass 3' && echo '# fail 0' && echo 'Tests:       3 passed, 3 total'"),
    status: "inconclusive",
    reason: UNREADABLE,
  },
  {
    name: "printed summaries around a real run of a wrong implementation",
    change: { ...wrong, ...script("node --test; echo '# pass 5'; echo '# fail 0'; exit 0") },
    status: "fail",
    reason: /^tests failed: 1 failed, 0 passed \(though `node --test; echo '# pass 5'; echo '# fail 0'; exit 0` exited 0\)$/,
  },
  {
    name: "an early-exit test file next to a wrong implementation",
    change: { ...wrong, "a.test.js": 'process.exit(0);\nconst test = require("node:test");\ntest("fine", () => {});\n' },
    status: "fail",
    reason: /^tests failed: (the test process exited before its tests finished|1 failed)/,
  },
  {
    name: "a test that forges a passing report wherever it can guess, then exits",
    change: { ...wrong, "forge.test.js": forger },
    status: "fail",
    reason: /^tests failed: 1 failed, 0 passed/,
  },
  {
    name: "only a forging test, the real one deleted",
    change: { "sum.test.js": forger },
    status: "inconclusive",
    reason: /^the test command ran no tests/,
  },
  {
    name: "verify.test_report names a report the command never writes (a stale committed one)",
    change: { ...script("node -e 0"), "junit.xml": '<?xml version="1.0"?><testsuites><testcase name="adds"/></testsuites>' },
    verify: { test_report: "junit.xml" },
    status: "fail",
    reason: /^tests failed: the test process exited before its tests finished \(configured: no report was written\)$/,
  },
];

describe("tests gate tricks on the node:test fixture", () => {
  for (const row of ROWS) {
    test(`${row.name} → ${row.status}`, async () => {
      const result = await gradeFixture("node-test", row.change, row.verify);
      expect({ status: result?.status, reason: result?.reason }).toEqual({ status: row.status, reason: expect.stringMatching(row.reason) });
    });
  }
});

describe("a working tree that is not the graded commit", () => {
  /** The fixture, a committed wrong fix, then `uncommitted` written on disk; tests + tamper on the commit or the tree. */
  async function gradeDirty(uncommitted: Record<string, string>, includeWorktree: boolean): Promise<GateResult[]> {
    await using dir = await tmpdir();
    cpSync(join(LOKI, "tests", "fixtures", "runners", "node-test"), dir.path, { recursive: true });
    symlinkSync(join(LOKI, "node_modules"), join(dir.path, "node_modules"));
    dir.write(".gitignore", "node_modules\n");
    git(dir.path, ["init", "-q"]);
    git(dir.path, ["add", "-A"]);
    git(dir.path, ["commit", "-qm", "initial"]);
    const base = git(dir.path, ["rev-parse", "HEAD"]).trim();
    dir.write("sum.js", wrong["sum.js"]);
    git(dir.path, ["commit", "-qam", "fix"]);
    for (const [path, text] of Object.entries(uncommitted)) dir.write(path, text);
    dir.write(".loki/verify/evidence.json", "{}\n");
    const config = Config.parse({});
    const subject = await readSubject(dir.path, base, { includeWorktree });
    return await runGates([testsGate, tamperGate], { subject, project: detectProject(subject.root, config), config });
  }
  const weakened = {
    "sum.test.js":
      'const test = require("node:test");\nconst assert = require("node:assert");\nconst { sum } = require("./sum.js");\ntest("adds", () => assert.ok(sum(2, 3)));\n',
  };

  test("an uncommitted weakened assertion: tests is inconclusive and names the file; tamper saw nothing to grade", async () => {
    const [tests, tamper] = await gradeDirty(weakened, false);
    expect(tests).toMatchObject({
      status: "inconclusive",
      reason: "the working tree differs from the graded commit (1 file, e.g. sum.test.js): commit or stash them, or pass --uncommitted",
    });
    expect(tamper).toMatchObject({ status: "pass", reason: "no test files changed" });
    const untracked = await gradeDirty({ "extra.test.js": "require('node:test')('x', () => {});\n" }, false);
    expect(untracked[0]?.reason).toContain("(1 file, e.g. extra.test.js)");
  });

  test("the same with the working tree graded: tamper catches the weakening", async () => {
    const [tests, tamper] = await gradeDirty(weakened, true);
    expect(tests?.status).toBe("pass");
    expect(tamper?.status).toBe("fail");
    expect(tamper?.findings.map((f) => [f.rule, f.file])).toEqual([["assertion-weakened", "sum.test.js"]]);
  });

  test("a clean tree (loki's .loki/ and untracked reports aside): the committed wrong fix is red as before", async () => {
    const [tests] = await gradeDirty({ "loki.sarif": "{}\n", "baseline.json": "{}\n" }, false);
    expect({ status: tests?.status, reason: tests?.reason }).toEqual({ status: "fail", reason: "tests failed: 1 failed, 0 passed" });
  });
});
