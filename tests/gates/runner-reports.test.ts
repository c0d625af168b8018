// Runner reports read into counts (samples as the real runners wrote them on this machine), reports
// that are cut off or empty (never a count of zero), and how planTestRun rewrites a test command.
// Stdout is no evidence any more: what parseTestCounts once read from output is read from reports.
import { describe, expect, test } from "bun:test";
import { parseReport, type TestResult } from "../../src/gates/runners/report.ts";
import { planTestRun } from "../../src/gates/runners/plan.ts";
import type { ReportFormat } from "../../src/gates/runners/table.ts";

const count = (results: TestResult[]) => ({
  passed: results.filter((r) => r.status === "passed").length,
  failed: results.filter((r) => r.status === "failed").length,
  skipped: results.filter((r) => r.status === "skipped").length,
});

const SAMPLES: { name: string; format: ReportFormat; text: string; expected: { passed: number; failed: number; skipped: number } }[] = [
  {
    name: "node --test junit (a file with no subtests shows as a test named after the file)",
    format: "junit",
    text: '<?xml version="1.0" encoding="utf-8"?>\n<testsuites>\n\t<testcase name="adds" time="0.001769" classname="test"/>\n\t<testcase name="bad" time="0.002914" classname="test" failure="2 == 3">\n\t\t<failure type="testCodeFailure" message="2 == 3">boom</failure>\n\t</testcase>\n\t<testcase name="skipped one" classname="test"><skipped type="skipped" message="later"/></testcase>\n\t<!-- tests 3 -->\n</testsuites>\n',
    expected: { passed: 1, failed: 1, skipped: 1 },
  },
  {
    name: "vitest junit",
    format: "junit",
    text: '<?xml version="1.0" encoding="UTF-8" ?>\n<testsuites name="vitest tests" tests="3" failures="2" errors="0" time="0.04">\n    <testsuite name="v.test.js" tests="2" failures="1" errors="0" skipped="0" time="0.04">\n        <testcase classname="v.test.js" name="adds" time="0.001">\n        </testcase>\n        <testcase classname="v.test.js" name="bad" time="0.03">\n            <failure message="expected 2 to be 3" type="AssertionError">x</failure>\n        </testcase>\n    </testsuite>\n    <testsuite name="w.test.js" tests="1" failures="1" errors="0" skipped="0" time="0">\n        <testcase classname="w.test.js" name="w.test.js" time="0">\n            <failure message="process.exit unexpectedly called with &quot;0&quot;" type="Error">x</failure>\n        </testcase>\n    </testsuite>\n</testsuites>\n',
    expected: { passed: 1, failed: 2, skipped: 0 },
  },
  {
    name: "mocha xunit (errors count as failures)",
    format: "junit",
    text: '<testsuite name="Mocha Tests" tests="3" failures="0" errors="1" skipped="1" time="0.004">\n<testcase classname="" name="adds" file="/r/a.spec.js" time="0"/>\n<testcase classname="" name="bad" file="/r/a.spec.js" time="0.001"><failure>2 == 3</failure></testcase>\n<testcase classname="" name="later" file="/r/a.spec.js" time="0"><skipped/></testcase>\n</testsuite>',
    expected: { passed: 1, failed: 1, skipped: 1 },
  },
  {
    name: "bun test junit",
    format: "junit",
    text: '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="bun test" tests="2" assertions="2" failures="1" skipped="0" time="0.03">\n  <testsuite name="a.test.ts" file="a.test.ts" tests="2" failures="1" skipped="0" time="0.007">\n    <testcase name="adds" classname="" time="0.0001" file="a.test.ts" line="2" assertions="1" />\n    <testcase name="bad" classname="" time="0.001" file="a.test.ts" line="3" assertions="1">\n      <failure type="AssertionError" message="x">x</failure>\n    </testcase>\n  </testsuite>\n</testsuites>',
    expected: { passed: 1, failed: 1, skipped: 0 },
  },
  {
    name: "pytest junitxml",
    format: "junit",
    text: '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="4"><testcase classname="test_a" name="test_a" time="0.000" /><testcase classname="test_a" name="test_b" time="0.001"><failure message="assert 1 == 2">x</failure></testcase><testcase classname="test_a" name="test_c"><error message="fixture">x</error></testcase><testcase classname="test_a" name="test_d"><skipped message="no db"/></testcase></testsuite></testsuites>',
    expected: { passed: 1, failed: 2, skipped: 1 },
  },
  {
    name: "jest --json (a file that failed to load counts as a failure)",
    format: "jest-json",
    text: JSON.stringify({
      numTotalTests: 3,
      testResults: [
        {
          name: "/r/a.test.js",
          status: "failed",
          assertionResults: [
            { fullName: "adds", status: "passed" },
            { fullName: "bad", status: "failed" },
            { fullName: "later", status: "pending" },
          ],
        },
        { name: "/r/broken.test.js", status: "failed", message: "SyntaxError", assertionResults: [] },
      ],
    }),
    expected: { passed: 1, failed: 2, skipped: 1 },
  },
  {
    name: "go test -json (a package that fails to build counts as a failure)",
    format: "go-json",
    text: [
      '{"Action":"run","Package":"example.com/sum","Test":"TestAdd"}',
      '{"Action":"pass","Package":"example.com/sum","Test":"TestAdd","Elapsed":0}',
      '{"Action":"fail","Package":"example.com/sum","Test":"TestBad","Elapsed":0}',
      '{"Action":"skip","Package":"example.com/sum","Test":"TestLater","Elapsed":0}',
      '{"Action":"fail","Package":"example.com/sum","Elapsed":0.02}',
      '{"Action":"output","Package":"example.com/cmd","Output":"?   \\texample.com/cmd\\t[no test files]\\n"}',
      '{"Action":"skip","Package":"example.com/cmd","Elapsed":0}',
      '{"Action":"output","Package":"example.com/broken","Output":"FAIL\\texample.com/broken [build failed]\\n"}',
      '{"Action":"fail","Package":"example.com/broken","Elapsed":0}',
    ].join("\n"),
    expected: { passed: 1, failed: 2, skipped: 1 },
  },
  {
    name: "cargo test libtest json (one suite per test binary)",
    format: "cargo-json",
    text: '{ "type": "suite", "event": "started", "test_count": 2 }\n{ "type": "test", "event": "started", "name": "tests::adds" }\n{ "type": "test", "name": "tests::adds", "event": "ok" }\n{ "type": "test", "name": "tests::bad", "event": "failed", "stdout": "{ \\"type\\": \\"suite\\" }" }\n{ "type": "suite", "event": "failed", "passed": 1, "failed": 1 }\n{ "type": "suite", "event": "started", "test_count": 1 }\n{ "type": "test", "name": "later", "event": "ignored" }\n{ "type": "suite", "event": "ok", "passed": 0, "failed": 0, "ignored": 1 }\n',
    expected: { passed: 1, failed: 1, skipped: 1 },
  },
];

describe("parseReport", () => {
  for (const s of SAMPLES) {
    test(s.name, () => {
      const parsed = parseReport(s.format, s.text);
      expect(parsed.complete).toBe(true);
      expect(count(parsed.results)).toEqual(s.expected);
    });
  }
  test("a go package that ran no test while it has test files is an empty group", () => {
    const parsed = parseReport(
      "go-json",
      '{"Action":"output","Package":"example.com/sum","Output":"ok  \\texample.com/sum\\t0.017s\\n"}\n{"Action":"pass","Package":"example.com/sum","Elapsed":0.017}\n',
    );
    expect(parsed).toMatchObject({ complete: true, results: [], emptyGroups: ["example.com/sum"] });
  });
  const BROKEN: [string, ReportFormat, string][] = [
    ["an empty report", "junit", ""],
    ["a JUnit report cut off mid-way", "junit", '<?xml version="1.0"?>\n<testsuites>\n\t<testcase name="adds"/>\n\t<testcase name="b'],
    ["XML that is no JUnit report", "junit", "<html><body>ok</body></html>"],
    ["jest JSON cut off", "jest-json", '{"numTotalTests": 3, "testResults": [{"name"'],
    [
      "go events of a package that never finished",
      "go-json",
      '{"Action":"run","Package":"p","Test":"TestA"}\n{"Action":"pass","Package":"p","Test":"TestA"}\n',
    ],
    [
      "a libtest suite that started and never finished (std::process::exit)",
      "cargo-json",
      '{ "type": "suite", "event": "started", "test_count": 3 }\n{ "type": "test", "event": "started", "name": "ex" }\n',
    ],
    ["printed TAP in place of a report", "cargo-json", "TAP version 13\nok 1 - a\n# tests 1\n# pass 1\n"],
  ];
  for (const [name, format, text] of BROKEN) {
    test(`${name} is incomplete, not zero tests`, () => {
      expect(parseReport(format, text)).toMatchObject({ complete: false, results: [] });
    });
  }
});

describe("planTestRun", () => {
  const plan = (shell: string, files?: string[]) =>
    planTestRun(
      { argv: ["npm", "test"], source: "package.json scripts.test", shell },
      { root: "/repo", reportDir: "/r", ...(files ? { files } : {}) },
    );
  test("each runner segment gets its report flags; the rest of the shell text is kept", () => {
    const p = plan("tsc && NODE_ENV=test npx vitest run --coverage; python -m pytest -q tests");
    expect(p.runners).toEqual(["vitest", "pytest"]);
    const [vitest, pytest] = p.reports.map((r) => r.file);
    expect(vitest).toMatch(/^\/r\/[0-9a-f-]{36}\.xml$/);
    expect(p.argv).toEqual([
      "sh",
      "-c",
      `tsc && NODE_ENV=test npx vitest --reporter=default --reporter=junit --outputFile.junit=${vitest} run --coverage; python -m pytest --junitxml=${pytest} -p no:cacheprovider -q tests`,
    ]);
    expect(p.env.PATH?.startsWith("/repo/node_modules/.bin:")).toBe(true);
  });
  test("go test's and cargo test's stdout becomes the report; libtest's flags go after --", () => {
    const p = plan("go test ./... && cargo test --release -- --nocapture");
    const [go, cargo] = p.reports.map((r) => r.file);
    expect(p.argv[2]).toBe(
      `go test -json ./... >${go} && cargo test --release -- -Z unstable-options --format json --report-time --nocapture >${cargo}`,
    );
    expect(plan("cargo test").env.RUSTC_BOOTSTRAP).toBe("1");
  });
  test("an unknown runner has no report to read", () => {
    for (const shell of ["node -e 0", "make test", 'echo "# pass 3" && echo "Tests: 3 passed, 3 total"', "npm test"])
      expect(plan(shell).reports).toEqual([]);
  });
  test("selected files replace the command's own test paths", () => {
    const jest = plan("jest --ci src/*.test.js", ["src/a.test.js"]);
    expect(jest.argv[2]).toBe(`jest --json --outputFile=${jest.reports[0]?.file} --runTestsByPath src/a.test.js --ci `);
    const go = plan("go test ./...", ["pkg/a/a_test.go", "pkg/a/b_test.go"]);
    expect(go.argv[2]).toBe(`go test -json ./pkg/a  >${go.reports[0]?.file}`);
  });
});
