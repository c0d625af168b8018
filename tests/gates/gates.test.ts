// Every gate against a passing and a failing fixture repo, end to end: a real throwaway repo, a
// change committed on top, readSubject → detectProject → runGates. One table; add a gate, add rows.
import { describe, expect, test } from "bun:test";
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { Config } from "../../src/core/config.ts";
import type { DriftReport, GateStatus, SpecDrift } from "../../src/core/schema.ts";
import { buildGate } from "../../src/gates/build.ts";
import { depsGate } from "../../src/gates/deps.ts";
import { detectProject } from "../../src/gates/detect.ts";
import { readSubject } from "../../src/gates/diff.ts";
import { emptyDiffGate } from "../../src/gates/empty-diff.ts";
import { runGates, type Gate, type GateContext } from "../../src/gates/gate.ts";
import { heldoutGate } from "../../src/gates/heldout.ts";
import { specDriftGate } from "../../src/gates/spec-drift.ts";
import { staticGate } from "../../src/gates/static.ts";
import { secretsGate } from "../../src/gates/secrets.ts";
import { tamperGate } from "../../src/gates/tamper.ts";
import { testImportsGate } from "../../src/gates/test-imports.ts";
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
  /** Paths made executable before the base commit (fake tools). */
  exec?: string[];
  /** Facts the caller computes for some gates. */
  context?: Pick<GateContext, "drift" | "heldout">;
  status: GateStatus;
  reason: string | RegExp;
};

const nodeTestProject = {
  "package.json": JSON.stringify({ name: "fixture", version: "1.0.0", scripts: { test: "node --test" } }),
  "test/sum.test.js":
    'const test = require("node:test");\nconst assert = require("node:assert");\nconst { sum } = require("../sum.js");\ntest("adds", () => assert.equal(sum(2, 3), 5));\ntest("zero", () => assert.equal(sum(0, 0), 0));\n',
  "sum.js": "exports.sum = () => 0;\n",
};
const nodeScriptProject = {
  "package.json": JSON.stringify({ name: "fixture", version: "1.0.0", scripts: { test: "node test.js" } }),
  "test.js": 'const assert = require("node:assert");\nassert.equal(require("./greet.js").greet("Ada"), "Hello, Ada");\n',
  "greet.js": "exports.greet = () => '';\n",
};
const makeProject = { Makefile: "test:\n\t@sh check.sh\n", "check.sh": "grep -qx 'version=2' app.conf\n", "app.conf": "version=1\n" };
const fakeTsc = {
  "tsconfig.json": '{ "compilerOptions": { "strict": true } }\n',
  "node_modules/.bin/tsc":
    "#!/bin/sh\nif grep -q BROKEN src/a.ts; then echo \"src/a.ts(1,14): error TS2322: Type 'string' is not assignable to type 'number'.\"; exit 2; fi\n",
  "src/a.ts": "export const a: number = 1;\n",
};
const lintScript = { "lint.sh": "! grep -n 'var ' src/*.js\n", "src/a.js": "let a = 1;\n" };
// `npm audit --json --omit=dev` output shapes (auditReportVersion 2) for lodash@4.17.15 + minimist@1.2.0,
// and what npm 10 printed offline (captured with an unresolvable --registry).
const npmAuditClean = {
  auditReportVersion: 2,
  vulnerabilities: {},
  metadata: {
    vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, total: 0 },
    dependencies: { prod: 3, dev: 0, optional: 0, peer: 0, peerOptional: 0, total: 2 },
  },
};
const npmAuditVulnerable = {
  auditReportVersion: 2,
  vulnerabilities: {
    lodash: {
      name: "lodash",
      severity: "high",
      isDirect: true,
      via: [
        {
          source: 1096307,
          name: "lodash",
          dependency: "lodash",
          title: "Command Injection in lodash",
          url: "https://github.com/advisories/GHSA-35jh-r3h4-6jhm",
          severity: "high",
          cwe: ["CWE-77", "CWE-94"],
          cvss: { score: 7.2, vectorString: "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H" },
          range: "<4.17.21",
        },
      ],
      effects: [],
      range: "<=4.17.20",
      nodes: ["node_modules/lodash"],
      fixAvailable: true,
    },
    minimist: {
      name: "minimist",
      severity: "critical",
      isDirect: true,
      via: [
        {
          source: 1097677,
          name: "minimist",
          dependency: "minimist",
          title: "Prototype Pollution in minimist",
          url: "https://github.com/advisories/GHSA-xvch-5gv4-984h",
          severity: "critical",
          cwe: ["CWE-1321"],
          cvss: { score: 9.8, vectorString: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" },
          range: ">=1.0.0 <1.2.6",
        },
      ],
      effects: [],
      range: "<=1.2.5",
      nodes: ["node_modules/minimist"],
      fixAvailable: true,
    },
  },
  metadata: {
    vulnerabilities: { info: 0, low: 0, moderate: 0, high: 1, critical: 1, total: 2 },
    dependencies: { prod: 3, dev: 0, optional: 0, peer: 0, peerOptional: 0, total: 2 },
  },
};
const npmOffline =
  '{\n  "message": "request to https://registry.npmjs.org/-/npm/v1/security/advisories/bulk failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org",\n  "error": {\n    "summary": "",\n    "detail": ""\n  }\n}\n';
const nodeDeps = (audit: string) => ({
  "package.json": JSON.stringify({ name: "f", version: "1.0.0", dependencies: { lodash: "4.17.15" } }),
  "package-lock.json": JSON.stringify({ name: "f", lockfileVersion: 3, packages: {} }),
  "recorded-audit.txt": audit,
  "offline-npm.sh": `cat recorded-audit.txt\necho "npm error audit endpoint returned an error" >&2\nexit 1\n`,
});
const bumpDeps = {
  "package.json": JSON.stringify({ name: "f", version: "1.0.0", dependencies: { lodash: "4.17.15", minimist: "1.2.0" } }),
};
const sha = (c: string) => c.repeat(64);
const drift = (over: Partial<DriftReport>): SpecDrift => ({
  state: "checked",
  source_kind: "markdown",
  report: {
    schema_version: 1,
    checked_at: "2026-01-01T00:00:00Z",
    in_sync: true,
    source_ref: "SPEC.md",
    locked_sha256: sha("a"),
    current_sha256: sha("a"),
    added: [],
    removed: [],
    changed: [],
    ...over,
  },
});
const aChange = { files: { "README.md": "# x\n" }, change: { "a.txt": "a\n" } };

const ROWS: Row[] = [
  {
    gate: emptyDiffGate,
    fixture: "a commit that adds a file",
    files: { "README.md": "# x\n" },
    change: { "src/a.txt": "one\ntwo\n" },
    status: "pass",
    reason: "1 file changed, +2 −0",
  },
  {
    gate: emptyDiffGate,
    fixture: "no commit on top of the base",
    files: { "README.md": "# x\n" },
    status: "fail",
    reason: /^no changes since [0-9a-f]{7}$/,
  },
  {
    gate: testsGate,
    fixture: "node --test, fixed",
    files: nodeTestProject,
    change: { "sum.js": "exports.sum = (a, b) => a + b;\n" },
    status: "pass",
    reason: "2 passed — package.json scripts.test",
  },
  {
    gate: testsGate,
    fixture: "node --test, still broken",
    files: nodeTestProject,
    change: { "sum.js": "exports.sum = (a, b) => a * b;\n" },
    status: "fail",
    reason: "tests failed: 1 failed, 1 passed",
  },
  {
    gate: testsGate,
    fixture: "node test.js, fixed: exit 0 alone is no evidence that tests ran",
    files: nodeScriptProject,
    change: { "greet.js": "exports.greet = (n) => `Hello, ${n}`;\n" },
    status: "inconclusive",
    reason: "loki cannot read this runner's results; set verify.test_report in loki.yaml to the JUnit XML file it writes (`node test.js`)",
  },
  {
    gate: testsGate,
    fixture: "the same check as a node:test file, fixed",
    files: {
      ...nodeScriptProject,
      "package.json": JSON.stringify({ name: "f", scripts: { test: "node --test" } }),
      "test.js": "",
      "greet.test.js":
        'const test = require("node:test");\nconst assert = require("node:assert");\ntest("greets", () => assert.equal(require("./greet.js").greet("Ada"), "Hello, Ada"));\n',
    },
    change: { "greet.js": "exports.greet = (n) => `Hello, ${n}`;\n" },
    status: "pass",
    reason: "1 passed — package.json scripts.test",
  },
  {
    gate: testsGate,
    fixture: "node test.js, still broken",
    files: nodeScriptProject,
    change: { "greet.js": "exports.greet = (n) => `Hi, ${n}`;\n" },
    status: "fail",
    reason: "tests failed: exit code 1",
  },
  {
    gate: testsGate,
    fixture: "make test, fixed: exit 0 alone is no evidence that tests ran",
    files: makeProject,
    change: { "app.conf": "version=2\n" },
    status: "inconclusive",
    reason: "loki cannot read this runner's results; set verify.test_report in loki.yaml to the JUnit XML file it writes (`make test`)",
  },
  {
    gate: testsGate,
    fixture: "make test writing the JUnit report verify.test_report names, fixed",
    files: {
      Makefile: "test:\n\t@node --test --test-reporter=junit --test-reporter-destination=junit.xml\n",
      "conf.test.js":
        'const test = require("node:test");\nconst assert = require("node:assert");\nconst fs = require("node:fs");\ntest("version", () => assert.match(fs.readFileSync("app.conf", "utf8"), /version=2/));\n',
      "app.conf": "version=1\n",
    },
    change: { "app.conf": "version=2\n" },
    verify: { test_report: "junit.xml" },
    status: "pass",
    reason: "1 passed — Makefile test target",
  },
  {
    gate: testsGate,
    fixture: "make test, wrong value",
    files: makeProject,
    change: { "app.conf": "version=3\n" },
    status: "fail",
    reason: "tests failed: exit code 2",
  },
  {
    gate: testsGate,
    fixture: "no test runner",
    files: { "README.md": "# x\n" },
    change: { "notes.txt": "hi\n" },
    status: "inconclusive",
    reason: "no test runner found (set verify.test in loki.yaml)",
  },
  {
    gate: testsGate,
    fixture: "node --test with no test files",
    files: { "package.json": JSON.stringify({ name: "f", scripts: { test: "node --test" } }) },
    change: { "index.js": "module.exports = 1;\n" },
    status: "inconclusive",
    reason: "the test command ran no tests (`node --test`)",
  },
  {
    gate: testsGate,
    fixture: "verify.test names a command that does not exist",
    files: { "README.md": "# x\n" },
    change: { "a.txt": "a\n" },
    verify: { test: "no-such-runner-xyz --all" },
    status: "inconclusive",
    reason: /^`no-such-runner-xyz --all` could not find its test runner/,
  },
  {
    gate: testsGate,
    fixture: "a script that hides red tests behind `|| true`",
    files: { ...nodeTestProject, "package.json": JSON.stringify({ name: "f", scripts: { test: "node --test || true" } }) },
    change: { "sum.js": "exports.sum = (a, b) => a * b;\n" },
    status: "fail",
    reason: "tests failed: 1 failed, 1 passed (though `node --test || true` exited 0)",
  },
  {
    gate: testsGate,
    fixture: "a suite that hangs",
    files: { Makefile: "test:\n\t@sleep 30\n" },
    change: { "a.txt": "a\n" },
    env: { LOKI_TEST_TIMEOUT_MS: "500" },
    status: "inconclusive",
    reason: /^tests timed out after 500 ms/,
  },
  {
    gate: buildGate,
    fixture: "verify.build on valid code",
    files: { "app.js": "module.exports = 1;\n" },
    change: { "app.js": "module.exports = 2;\n" },
    verify: { build: "node --check app.js" },
    status: "pass",
    reason: "`node --check app.js` succeeded — config verify.build",
  },
  {
    gate: buildGate,
    fixture: "verify.build on a syntax error",
    files: { "app.js": "module.exports = 1;\n" },
    change: { "app.js": "module.exports = ;\n" },
    verify: { build: "node --check app.js" },
    status: "fail",
    reason: "build failed: `node --check app.js` exit code 1",
  },
  { gate: buildGate, fixture: "no build command", ...aChange, status: "skipped", reason: "no build command detected (set verify.build)" },
  {
    gate: buildGate,
    fixture: "a build that hangs",
    ...aChange,
    verify: { build: "sleep 30" },
    env: { LOKI_BUILD_TIMEOUT_MS: "300" },
    status: "inconclusive",
    reason: /^build timed out after 300 ms/,
  },
  {
    gate: staticGate,
    fixture: "valid JSON, YAML and TS, no linter",
    files: { "README.md": "# x\n" },
    change: { "config.json": '{ "a": 1 }\n', "ci.yml": "on: push\n", "src/a.ts": "export const a: number = 1;\n" },
    status: "pass",
    reason: "3 files parsed — built-in syntax check (no linter configured)",
  },
  {
    gate: staticGate,
    fixture: "broken JSON, no linter",
    files: { "README.md": "# x\n" },
    change: { "config.json": '{\n  "a": 1,\n  "b": \n}\n' },
    status: "fail",
    reason: "1 syntax error: config.json:4: invalid JSON: ValueExpected — built-in syntax check (no linter configured)",
  },
  {
    gate: staticGate,
    fixture: "nothing checkable changed",
    ...aChange,
    status: "pass",
    reason: "nothing to check — built-in syntax check (no linter configured)",
  },
  {
    gate: staticGate,
    fixture: "verify.lint passes",
    files: lintScript,
    change: { "src/a.js": "let a = 2;\n" },
    verify: { lint: "sh lint.sh" },
    status: "pass",
    reason: "`sh -c sh lint.sh` passed (config verify.lint)",
  },
  {
    gate: staticGate,
    fixture: "verify.lint finds a var",
    files: lintScript,
    change: { "src/a.js": "var a = 2;\n" },
    verify: { lint: "sh lint.sh" },
    status: "fail",
    reason: "`sh -c sh lint.sh` failed (exit 1) (config verify.lint)",
  },
  {
    gate: staticGate,
    fixture: "tsconfig + node_modules/.bin/tsc, clean",
    files: fakeTsc,
    exec: ["node_modules/.bin/tsc"],
    change: { "src/a.ts": "export const a: number = 2;\n" },
    status: "pass",
    reason: "tsc passed",
  },
  {
    gate: staticGate,
    fixture: "tsconfig + node_modules/.bin/tsc, type error",
    files: fakeTsc,
    exec: ["node_modules/.bin/tsc"],
    change: { "src/a.ts": 'export const a: number = "BROKEN";\n' },
    status: "fail",
    reason: "tsc failed (exit 2)",
  },
  {
    gate: staticGate,
    fixture: "verify.lint names a missing tool",
    ...aChange,
    verify: { lint: "no-such-linter-xyz" },
    status: "inconclusive",
    reason: /^`sh -c no-such-linter-xyz` could not find its tool/,
  },
  {
    gate: depsGate,
    fixture: "a dependency added, audit clean",
    files: nodeDeps(JSON.stringify(npmAuditClean)),
    change: bumpDeps,
    env: { LOKI_NPM_AUDIT_CMD: "cat recorded-audit.txt" },
    status: "pass",
    reason: "no known vulnerabilities — LOKI_NPM_AUDIT_CMD",
  },
  {
    gate: depsGate,
    fixture: "a vulnerable dependency added",
    files: nodeDeps(JSON.stringify(npmAuditVulnerable)),
    change: bumpDeps,
    env: { LOKI_NPM_AUDIT_CMD: "cat recorded-audit.txt; exit 1" },
    status: "fail",
    reason: "2 vulnerable packages (1 critical, 1 high) — LOKI_NPM_AUDIT_CMD",
  },
  {
    gate: depsGate,
    fixture: "npm offline",
    files: nodeDeps(npmOffline),
    change: bumpDeps,
    env: { LOKI_NPM_AUDIT_CMD: "sh offline-npm.sh" },
    status: "inconclusive",
    reason: "registry unreachable: getaddrinfo ENOTFOUND registry.npmjs.org",
  },
  {
    gate: depsGate,
    fixture: "no manifest changed",
    files: nodeDeps(JSON.stringify(npmAuditClean)),
    change: { "index.js": "1;\n" },
    status: "skipped",
    reason: "no dependency changes",
  },
  {
    gate: depsGate,
    fixture: "package.json without a lockfile",
    files: { "package.json": "{}" },
    change: bumpDeps,
    status: "skipped",
    reason: "no lockfile",
  },
  {
    gate: secretsGate,
    fixture: "config read from the environment",
    files: { "README.md": "# x\n" },
    change: { "config.js": "export const token = process.env.API_TOKEN;\n" },
    status: "pass",
    reason: /^scanned 1 added line in 1 file, no secrets/,
  },
  // The key is assembled here so this test file itself carries no credential-shaped literal.
  {
    gate: secretsGate,
    fixture: "an AWS key committed",
    files: { "README.md": "# x\n" },
    change: { "config.js": `export const key = "${["AKIA", "Q3ZP7WJ2", "M5XH4LRT"].join("")}";\n` },
    status: "fail",
    reason: /AWS access key id .* at config\.js:1/,
  },
  {
    gate: tamperGate,
    fixture: "a test gains an assertion",
    files: nodeTestProject,
    change: { "test/sum.test.js": `${nodeTestProject["test/sum.test.js"]}test("neg", () => assert.equal(sum(-1, 1), 0));\n` },
    status: "pass",
    reason: "1 test file changed, no tampering",
  },
  {
    gate: tamperGate,
    fixture: "a test is skipped",
    files: nodeTestProject,
    // The adversarial change itself: a test skipped in the fixture repo, which tamper must block.
    change: { "test/sum.test.js": nodeTestProject["test/sum.test.js"].replace('test("zero"', 'test.skip("zero"') },
    status: "fail",
    reason: /^test tampering: skip\/only marker added in test\/sum\.test\.js:5: test\.skip/,
  },
  {
    gate: tamperGate,
    fixture: "no test touched",
    files: nodeTestProject,
    change: { "sum.js": "exports.sum = (a, b) => a + b;\n" },
    status: "pass",
    reason: "no test files changed",
  },
  {
    gate: testImportsGate,
    fixture: "a new test that requires the changed module",
    files: nodeTestProject,
    change: {
      "sum.js": "exports.sum = (a, b) => a + b;\n",
      "test/neg.test.js":
        'const test = require("node:test");\nconst assert = require("node:assert");\nconst { sum } = require("../sum.js");\ntest("neg", () => assert.equal(sum(-1, 1), 0));\n',
    },
    status: "pass",
    reason: "1 new test file import or run the changed code",
  },
  {
    gate: testImportsGate,
    fixture: "a new test that requires nothing",
    files: nodeTestProject,
    change: {
      "sum.js": "exports.sum = (a, b) => a + b;\n",
      "test/neg.test.js":
        'const test = require("node:test");\nconst assert = require("node:assert");\ntest("neg", () => assert.ok(true));\n',
    },
    status: "fail",
    reason: "1 of 1 new test file reach no changed module: test/neg.test.js (changed: sum.js)",
  },
  {
    gate: specDriftGate,
    fixture: "spec in sync with its lock",
    ...aChange,
    context: { drift: drift({}) },
    status: "pass",
    reason: "SPEC.md matches its lock (aaaaaaaaaaaa)",
  },
  {
    gate: specDriftGate,
    fixture: "spec item added after the lock",
    ...aChange,
    context: { drift: drift({ in_sync: false, current_sha256: sha("b"), added: [{ id: "R9", text: "Export to CSV" }] }) },
    status: "fail",
    reason: "SPEC.md changed since it was locked (+1 −0 ~0 items): re-run `loki spec lock` if intended",
  },
  {
    gate: specDriftGate,
    fixture: "no spec lock",
    ...aChange,
    context: { drift: { state: "unlocked" } },
    status: "skipped",
    reason: "no spec lock (loki spec lock)",
  },
  {
    gate: specDriftGate,
    fixture: "drift not checked by the caller",
    ...aChange,
    status: "skipped",
    reason: "no spec lock (loki spec lock)",
  },
  {
    gate: specDriftGate,
    fixture: "an issue-sourced lock the loop does not re-fetch",
    ...aChange,
    context: {
      drift: {
        state: "not_rechecked",
        source_kind: "issue",
        source_ref: "acme/shop#7",
        reason: "an issue is not re-fetched every iteration",
      },
    },
    status: "skipped",
    reason: "not re-checked: acme/shop#7: an issue is not re-fetched every iteration",
  },
  {
    gate: specDriftGate,
    fixture: "a locked spec that cannot be read",
    ...aChange,
    context: { drift: { state: "unreadable", source_kind: "markdown", source_ref: "SPEC.md", reason: "SPEC.md: no such file" } },
    status: "inconclusive",
    reason: "the spec could not be re-read: SPEC.md: no such file",
  },
  {
    gate: heldoutGate,
    fixture: "every held-out item passed",
    ...aChange,
    context: { heldout: { run_id: "r1", passed: 2, failed: 0, unknown: 0 } },
    status: "pass",
    reason: "all 2 held-out items passed",
  },
  {
    gate: heldoutGate,
    fixture: "a held-out item failed",
    ...aChange,
    context: { heldout: { run_id: "r1", passed: 1, failed: 1, unknown: 1 } },
    status: "fail",
    reason: "1 held-out item failed (1 passed, 1 undecided)",
  },
  {
    gate: heldoutGate,
    fixture: "a held-out item undecided",
    ...aChange,
    context: { heldout: { run_id: "r1", passed: 2, failed: 0, unknown: 1 } },
    status: "inconclusive",
    reason: "1 held-out item could not be judged (2 passed)",
  },
  { gate: heldoutGate, fixture: "no loki run", ...aChange, status: "skipped", reason: "no loki run in this repository" },
];

describe("gates on fixture repos", () => {
  for (const row of ROWS) {
    test(`${row.gate.id}: ${row.fixture} → ${row.status}`, async () => {
      await using dir = await tmpdir({ files: row.files });
      for (const path of row.exec ?? []) chmodSync(join(dir.path, path), 0o755);
      git(dir.path, ["init", "-q"]);
      git(dir.path, ["add", "-A"]);
      git(dir.path, ["commit", "-qm", "initial"]);
      const base = git(dir.path, ["rev-parse", "HEAD"]).trim();
      if (row.change) {
        for (const [path, text] of Object.entries(row.change)) dir.write(path, text);
        git(dir.path, ["add", "-A"]);
        git(dir.path, ["commit", "-qm", "change"]);
      }
      for (const [name, value] of Object.entries(row.env ?? {})) process.env[name] = value;
      const config = Config.parse({ verify: row.verify ?? {} });
      const subject = await readSubject(dir.path, base, { includeWorktree: false });
      const [result] = await runGates([row.gate], {
        subject,
        project: detectProject(subject.root, config),
        config,
        ...row.context,
      }).finally(() => {
        for (const name of Object.keys(row.env ?? {})) delete process.env[name];
      });
      expect({ status: result?.status, reason: result?.reason }).toEqual({
        status: row.status,
        reason: row.reason instanceof RegExp ? expect.stringMatching(row.reason) : row.reason,
      });
      if (row.status === "fail") expect(result?.findings.length).toBeGreaterThan(0);
    });
  }
});
