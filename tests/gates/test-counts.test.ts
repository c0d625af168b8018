// parseTestCounts on what runners really print (bun, node, pytest and cargo captured from runs on
// this machine; the others in their documented summary formats), plus output it must not guess at.
import { describe, expect, test } from "bun:test";
import { parseTestCounts, type TestCounts } from "../../src/gates/tests.ts";

const SAMPLES: { name: string; output: string; expected: TestCounts | null }[] = [
  {
    name: "bun test",
    output:
      "bun test v1.4.5 (a7733435c)\n\na.test.ts:\n(pass) one [0.07ms]\nerror: expect(received).toBe(expected)\n(fail) two [0.29ms]\n(skip) three\n(todo) four\n\n 1 pass\n 1 skip\n 1 todo\n 1 fail\n 2 expect() calls\nRan 4 tests across 1 file. [4.00ms]\n",
    expected: { passed: 1, failed: 1, skipped: 2, runner: "bun" },
  },
  {
    name: "node --test (TAP reporter)",
    output:
      "TAP version 13\n# Subtest: one\nok 1 - one\n  ---\n  duration_ms: 0.104636\n  ...\n1..3\n# tests 3\n# suites 0\n# pass 1\n# fail 1\n# cancelled 0\n# skipped 1\n# todo 0\n# duration_ms 110.578731\n",
    expected: { passed: 1, failed: 1, skipped: 1, runner: "node --test" },
  },
  {
    name: "node --test (spec reporter)",
    output:
      "✔ one (0.5ms)\n✖ two (1.1ms)\nℹ tests 3\nℹ suites 0\nℹ pass 2\nℹ fail 0\nℹ cancelled 1\nℹ skipped 0\nℹ todo 0\nℹ duration_ms 70.408173\n",
    expected: { passed: 2, failed: 1, runner: "node --test" },
  },
  {
    name: "node --test with no test files",
    output:
      "TAP version 13\n1..0\n# tests 0\n# suites 0\n# pass 0\n# fail 0\n# cancelled 0\n# skipped 0\n# todo 0\n# duration_ms 2.361151\n",
    expected: { passed: 0, failed: 0, runner: "node --test" },
  },
  {
    name: "tape",
    output: "TAP version 13\n# add\nok 1 should be equal\nnot ok 2 should be equal\n\n1..2\n# tests 2\n# pass  1\n# fail  1\n",
    expected: { passed: 1, failed: 1, runner: "tap" },
  },
  {
    name: "bare TAP",
    output: "TAP version 13\nok 1 - a\nnot ok 2 - b\nok 3 - c # SKIP no db\n1..3\n",
    expected: { passed: 1, failed: 1, skipped: 1, runner: "tap" },
  },
  {
    name: "jest",
    output:
      "FAIL src/sum.test.js\n  ● sum › adds\n\nTest Suites: 1 failed, 2 passed, 3 total\nTests:       1 failed, 1 skipped, 7 passed, 9 total\nSnapshots:   0 total\nTime:        1.234 s\nRan all test suites.\n",
    expected: { passed: 7, failed: 1, skipped: 1, runner: "jest" },
  },
  {
    name: "vitest (with color codes)",
    output:
      "\x1b[31m FAIL \x1b[39m src/a.test.ts > a > b\n\n\x1b[2m Test Files \x1b[22m \x1b[1m\x1b[31m1 failed\x1b[39m\x1b[22m\x1b[2m | \x1b[22m\x1b[1m\x1b[32m2 passed\x1b[39m\x1b[22m (3)\n\x1b[2m      Tests \x1b[22m \x1b[1m\x1b[31m2 failed\x1b[39m\x1b[22m\x1b[2m | \x1b[22m\x1b[1m\x1b[32m10 passed\x1b[39m\x1b[22m\x1b[2m | \x1b[22m1 skipped (13)\n\x1b[2m   Start at \x1b[22m 10:00:00\n",
    expected: { passed: 10, failed: 2, skipped: 1, runner: "vitest" },
  },
  {
    name: "pytest -q",
    output:
      "..F.s\n=========================== short test summary info ============================\nFAILED test_x.py::test_b - assert 0\n1 failed, 1 passed, 1 skipped in 0.74s\n",
    expected: { passed: 1, failed: 1, skipped: 1, runner: "pytest" },
  },
  {
    name: "pytest (errors count as failures)",
    output: "==================== 3 passed, 2 errors, 1 warning in 0.54s ====================\n",
    expected: { passed: 3, failed: 2, runner: "pytest" },
  },
  { name: "pytest with no tests", output: "\nno tests ran in 0.55s\n", expected: { passed: 0, failed: 0, runner: "pytest" } },
  {
    name: "cargo (one line per test binary, summed)",
    output:
      "running 3 tests\ntest bad ... FAILED\nfailures:\ntest result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.14s\n\n   Doc-tests x\nrunning 2 tests\ntest result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s\n",
    expected: { passed: 3, failed: 1, skipped: 1, runner: "cargo" },
  },
  {
    name: "mocha",
    output:
      "  sum\n    ✓ adds\n    1) subtracts\n\n  4 passing (12ms)\n  2 pending\n  1 failing\n\n  1) sum\n       subtracts:\n     AssertionError",
    expected: { passed: 4, failed: 1, skipped: 2, runner: "mocha" },
  },
  {
    name: "go test (packages)",
    output:
      "ok  \texample.com/a\t0.005s\n?   \texample.com/cmd\t[no test files]\n--- FAIL: TestB (0.00s)\n    b_test.go:9: want 2\nFAIL\nFAIL\texample.com/b\t0.004s\nok  \texample.com/c\t(cached)\nok  \texample.com/d\t0.002s [no tests to run]\nFAIL\n",
    expected: { passed: 2, failed: 1, runner: "go test" },
  },
  {
    name: "go test with no tests anywhere",
    output: "?   \texample.com/a\t[no test files]\n",
    expected: { passed: 0, failed: 0, runner: "go test" },
  },
  {
    name: "rspec",
    output: "..F*\n\nFinished in 0.01 seconds (files took 0.1 seconds to load)\n10 examples, 2 failures, 1 pending\n",
    expected: { passed: 7, failed: 2, skipped: 1, runner: "rspec" },
  },
  {
    name: "minitest",
    output: "Finished in 0.002s\n8 runs, 12 assertions, 1 failures, 1 errors, 2 skips\n",
    expected: { passed: 4, failed: 2, skipped: 2, runner: "minitest" },
  },
  {
    name: "maven surefire (class lines ignored, module totals summed)",
    output:
      "[INFO] Tests run: 3, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.05 s <<< FAILURE! - in com.x.ATest\n[INFO] Results:\n[ERROR] Tests run: 3, Failures: 1, Errors: 0, Skipped: 0\n[INFO] Tests run: 5, Failures: 0, Errors: 1, Skipped: 1\n",
    expected: { passed: 5, failed: 2, skipped: 1, runner: "maven" },
  },
  { name: "a script that prints no summary", output: "all good\n", expected: null },
  { name: "prose that mentions passing is not mocha", output: "the build is passing, 3 failed attempts earlier\n", expected: null },
];

describe("parseTestCounts", () => {
  for (const sample of SAMPLES) {
    test(sample.name, () => {
      expect(parseTestCounts(sample.output)).toEqual(sample.expected);
    });
  }
});
