// The tests gate against a real runner of every kind loki reads: each fixture in
// tests/fixtures/runners/<runner>/ (one module, one honest test) copied into a throwaway repo. Honest
// passes with counts from the report; a wrong implementation fails; a test file that exits before its
// tests ran does not pass. A runner missing on this machine skips its rows, saying which.
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { gradeFixture, LOKI } from "../helpers/runner-fixture.ts";

const bin = (name: string) => existsSync(join(LOKI, "node_modules", ".bin", name));
// preload.ts gives tests a throwaway HOME; rustup finds its toolchains under the real one.
const realHome = userInfo().homedir;
if (existsSync(join(realHome, ".rustup"))) process.env.RUSTUP_HOME ??= join(realHome, ".rustup");
if (existsSync(join(realHome, ".cargo"))) process.env.CARGO_HOME ??= join(realHome, ".cargo");
const pytest = Bun.spawnSync(["python3", "-c", "import pytest"], { stdin: "ignore" }).exitCode === 0;

type Case = {
  runner: string;
  /** Why this machine cannot run it, or null. */
  missing: string | null;
  /** The implementation file and a wrong version of it. */
  wrong: Record<string, string>;
  /** A test file whose first statement ends the process before its tests run. */
  early: Record<string, string>;
  earlyReason?: RegExp;
  /** The fixture's test files: deleted, the repository has none. */
  tests: string[];
  /** A test file that prints the runner's own "no test found" line and exits with its code. */
  saysNone?: Record<string, string>;
};

const EARLY = /^tests failed: the test process exited before its tests finished/;
const CASES: Case[] = [
  {
    runner: "node-test",
    tests: ["sum.test.js"],
    missing: null,
    wrong: { "sum.js": "exports.sum = (a, b) => a - b;\n" },
    early: { "early.test.js": 'process.exit(0);\nconst test = require("node:test");\ntest("never", () => {});\n' },
  },
  {
    runner: "vitest",
    tests: ["sum.test.js"],
    saysNone: { "sum.test.js": 'console.log("No test files found, exiting with code 1");\nprocess.exit(1);\n' },
    missing: bin("vitest") ? null : "vitest is not installed (npm ci)",
    wrong: { "sum.js": "export const sum = (a, b) => a - b;\n" },
    early: { "early.test.js": 'process.exit(0);\nimport { test } from "vitest";\ntest("never", () => {});\n' },
    // vitest itself reports the exit as a failed test.
    earlyReason: /^tests failed: 1 failed, 1 passed$/,
  },
  {
    runner: "jest",
    tests: ["sum.test.js"],
    saysNone: { "sum.test.js": 'console.log("No tests found, exiting with code 1");\nprocess.exit(1);\n' },
    missing: bin("jest") ? null : "jest is not installed (npm ci)",
    wrong: { "sum.js": "exports.sum = (a, b) => a - b;\n" },
    early: { "early.test.js": 'process.exit(0);\ntest("never", () => {});\n' },
  },
  {
    runner: "mocha",
    tests: ["test/sum.spec.js"],
    saysNone: { "test/sum.spec.js": 'console.error("Error: No test files found: \\"test\\"");\nprocess.exit(1);\n' },
    missing: bin("mocha") ? null : "mocha is not installed (npm ci)",
    wrong: { "sum.js": "exports.sum = (a, b) => a - b;\n" },
    early: { "test/early.spec.js": 'process.exit(0);\nit("never", () => {});\n' },
  },
  {
    runner: "bun-test",
    tests: ["sum.test.ts"],
    saysNone: { "sum.test.ts": 'console.log("No tests found!");\nprocess.exit(1);\n' },
    missing: bin("bun") ? null : "bun is not installed (npm ci)",
    wrong: { "sum.ts": "export const sum = (a: number, b: number) => a - b;\n" },
    early: { "early.test.ts": 'process.exit(0);\nimport { test } from "bun:test";\ntest("never", () => {});\n' },
  },
  {
    runner: "pytest",
    tests: ["test_calc.py"],
    // Emptied of tests, the file makes pytest itself exit 5 with "no tests ran".
    saysNone: { "test_calc.py": "# every test removed\n" },
    missing: pytest ? null : "python3 has no pytest module",
    wrong: { "calc.py": "def add(a, b):\n    return a - b\n" },
    early: { "test_early.py": '__import__("os")._exit(0)\n\n\ndef test_never():\n    pass\n' },
  },
  {
    runner: "go-test",
    tests: ["sum_test.go"],
    missing: Bun.which("go") ? null : "go is not installed (apt-get install golang-go)",
    wrong: { "sum.go": "package sum\n\nfunc Sum(a, b int) int { return a - b }\n" },
    early: {
      "early_test.go": 'package sum\n\nimport (\n\t"os"\n\t"testing"\n)\n\nfunc init() { os.Exit(0) }\n\nfunc TestNever(t *testing.T) {}\n',
    },
  },
  {
    runner: "cargo-test",
    tests: [],
    missing: Bun.which("cargo") ? null : "cargo is not installed",
    wrong: {
      "src/lib.rs":
        "pub fn sum(a: i32, b: i32) -> i32 {\n    a - b\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn adds() {\n        assert_eq!(super::sum(2, 3), 5);\n    }\n}\n",
    },
    early: { "tests/early.rs": "#[test]\nfn early() {\n    std::process::exit(0);\n}\n\n#[test]\nfn never() {}\n" },
  },
];

describe("tests gate on every runner's fixture", () => {
  for (const c of CASES) {
    const run = c.missing === null ? test : test.skip;
    const why = c.missing === null ? "" : ` (skipped: ${c.missing})`;
    run(`${c.runner}: honest → pass, counted from the report${why}`, async () => {
      const result = await gradeFixture(c.runner, { "NOTES.md": "a change\n" });
      expect({ status: result?.status, reason: result?.reason }).toEqual({ status: "pass", reason: expect.stringMatching(/^1 passed — /) });
      expect(result?.details?.runner).toBe(c.runner);
    });
    run(`${c.runner}: wrong implementation → fail${why}`, async () => {
      const result = await gradeFixture(c.runner, c.wrong);
      expect({ status: result?.status, reason: result?.reason }).toEqual({
        status: "fail",
        reason: expect.stringMatching(/^tests failed: /),
      });
    });
    if (c.tests.length > 0)
      run(`${c.runner}: no test file in the repository → inconclusive, never a red suite${why}`, async () => {
        const result = await gradeFixture(c.runner, Object.fromEntries(c.tests.map((t) => [t, null])));
        expect({ status: result?.status, reason: result?.reason }).toEqual({
          status: "inconclusive",
          reason: expect.stringMatching(/^the test command ran no tests \(/),
        });
      });
    if (c.saysNone)
      run(`${c.runner}: a test file that prints the runner's "no test found" line and exits → fail${why}`, async () => {
        const result = await gradeFixture(c.runner, c.saysNone ?? {});
        expect({ status: result?.status, reason: result?.reason }).toEqual({
          status: "fail",
          reason: expect.stringMatching(/^tests failed: /),
        });
      });
    run(`${c.runner}: a test file that exits first → fail${why}`, async () => {
      const result = await gradeFixture(c.runner, c.early);
      expect({ status: result?.status, reason: result?.reason }).toEqual({
        status: "fail",
        reason: expect.stringMatching(c.earlyReason ?? EARLY),
      });
    });
  }
});
