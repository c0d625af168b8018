// Every gate against a passing and a failing fixture repo, end to end: a real throwaway repo, a
// change committed on top, readSubject → detectProject → runGates. One table; add a gate, add rows.
import { describe, expect, test } from "bun:test";
import { Config } from "../../src/core/config.ts";
import type { GateStatus } from "../../src/core/schema.ts";
import { detectProject } from "../../src/gates/detect.ts";
import { readSubject } from "../../src/gates/diff.ts";
import { emptyDiffGate } from "../../src/gates/empty-diff.ts";
import { runGates, type Gate } from "../../src/gates/gate.ts";
import { testsGate } from "../../src/gates/tests.ts";
import { git, tmpdir } from "../helpers/tmp.ts";

type Row = {
  gate: Gate;
  fixture: string;
  /** The first commit: the base. */
  files: Record<string, string>;
  /** Written and committed on top of the base; none means an empty diff. */
  change?: Record<string, string>;
  verify?: Config["verify"];
  env?: Record<string, string>;
  status: GateStatus;
  reason: string | RegExp;
};

const nodeTestProject = {
  "package.json": JSON.stringify({ name: "fixture", version: "1.0.0", scripts: { test: "node --test" } }),
  "test/sum.test.js": 'const test = require("node:test");\nconst assert = require("node:assert");\nconst { sum } = require("../sum.js");\ntest("adds", () => assert.equal(sum(2, 3), 5));\ntest("zero", () => assert.equal(sum(0, 0), 0));\n',
  "sum.js": "exports.sum = () => 0;\n",
};
const nodeScriptProject = {
  "package.json": JSON.stringify({ name: "fixture", version: "1.0.0", scripts: { test: "node test.js" } }),
  "test.js": 'const assert = require("node:assert");\nassert.equal(require("./greet.js").greet("Ada"), "Hello, Ada");\n',
  "greet.js": "exports.greet = () => '';\n",
};
const makeProject = { Makefile: "test:\n\t@sh check.sh\n", "check.sh": "grep -qx 'version=2' app.conf\n", "app.conf": "version=1\n" };

const ROWS: Row[] = [
  { gate: emptyDiffGate, fixture: "a commit that adds a file", files: { "README.md": "# x\n" }, change: { "src/a.txt": "one\ntwo\n" }, status: "pass", reason: "1 file changed, +2 −0" },
  { gate: emptyDiffGate, fixture: "no commit on top of the base", files: { "README.md": "# x\n" }, status: "fail", reason: /^no changes since [0-9a-f]{7}$/ },
  { gate: testsGate, fixture: "node --test, fixed", files: nodeTestProject, change: { "sum.js": "exports.sum = (a, b) => a + b;\n" }, status: "pass", reason: "2 passed — package.json scripts.test" },
  { gate: testsGate, fixture: "node --test, still broken", files: nodeTestProject, change: { "sum.js": "exports.sum = (a, b) => a * b;\n" }, status: "fail", reason: "tests failed: 1 failed, 1 passed" },
  { gate: testsGate, fixture: "node test.js, fixed", files: nodeScriptProject, change: { "greet.js": "exports.greet = (n) => `Hello, ${n}`;\n" }, status: "pass", reason: "`npm test` exited 0 (no test counts printed) — package.json scripts.test" },
  { gate: testsGate, fixture: "node test.js, still broken", files: nodeScriptProject, change: { "greet.js": "exports.greet = (n) => `Hi, ${n}`;\n" }, status: "fail", reason: "tests failed: exit code 1" },
  { gate: testsGate, fixture: "make test, fixed", files: makeProject, change: { "app.conf": "version=2\n" }, status: "pass", reason: "`make test` exited 0 (no test counts printed) — Makefile test target" },
  { gate: testsGate, fixture: "make test, wrong value", files: makeProject, change: { "app.conf": "version=3\n" }, status: "fail", reason: "tests failed: exit code 2" },
  { gate: testsGate, fixture: "no test runner", files: { "README.md": "# x\n" }, change: { "notes.txt": "hi\n" }, status: "inconclusive", reason: "no test runner found (set verify.test in loki.yaml)" },
  { gate: testsGate, fixture: "node --test with no test files", files: { "package.json": JSON.stringify({ name: "f", scripts: { test: "node --test" } }) }, change: { "index.js": "module.exports = 1;\n" }, status: "inconclusive", reason: "the test command ran no tests (`npm test`)" },
  { gate: testsGate, fixture: "verify.test names a command that does not exist", files: { "README.md": "# x\n" }, change: { "a.txt": "a\n" }, verify: { test: "no-such-runner-xyz --all" }, status: "inconclusive", reason: /^`sh -c no-such-runner-xyz --all` could not find its test runner/ },
  { gate: testsGate, fixture: "a script that hides red tests behind `|| true`", files: { ...nodeTestProject, "package.json": JSON.stringify({ name: "f", scripts: { test: "node --test || true" } }) }, change: { "sum.js": "exports.sum = (a, b) => a * b;\n" }, status: "fail", reason: "tests failed: 1 failed, 1 passed (though `npm test` exited 0)" },
  { gate: testsGate, fixture: "a suite that hangs", files: { Makefile: "test:\n\t@sleep 30\n" }, change: { "a.txt": "a\n" }, env: { LOKI_TEST_TIMEOUT_MS: "500" }, status: "inconclusive", reason: /^tests timed out after 500 ms/ },
];

describe("gates on fixture repos", () => {
  for (const row of ROWS) {
    test(`${row.gate.id}: ${row.fixture} → ${row.status}`, async () => {
      await using dir = await tmpdir({ commit: true, files: row.files });
      const base = git(dir.path, ["rev-parse", "HEAD"]).trim();
      if (row.change) {
        for (const [path, text] of Object.entries(row.change)) dir.write(path, text);
        git(dir.path, ["add", "-A"]);
        git(dir.path, ["commit", "-qm", "change"]);
      }
      for (const [name, value] of Object.entries(row.env ?? {})) process.env[name] = value;
      const config = Config.parse({ verify: row.verify ?? {} });
      const subject = await readSubject(dir.path, base, { includeWorktree: false });
      const [result] = await runGates([row.gate], { subject, project: detectProject(subject.root, config), config }).finally(() => {
        for (const name of Object.keys(row.env ?? {})) delete process.env[name];
      });
      expect({ status: result?.status, reason: result?.reason }).toEqual({ status: row.status, reason: row.reason instanceof RegExp ? expect.stringMatching(row.reason) : row.reason });
      if (row.status === "fail") expect(result?.findings.length).toBeGreaterThan(0);
    });
  }
});
