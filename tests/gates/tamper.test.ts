// The tamper gate's rules, each with samples that must fire and look-alikes that must not: test
// paths, every skip/only marker family, assertion counting, and runner-config exclusions.
import { describe, expect, test } from "bun:test";
import type { GateResult } from "../../src/core/schema.ts";
import type { ChangedFile } from "../../src/gates/gate.ts";
import { linesOf, NO_LINES } from "../../src/gates/diff-lines.ts";
import { countAssertions } from "../../src/gates/assertions.ts";
import { tamperGate } from "../../src/gates/tamper.ts";
import { isTestPath } from "../../src/gates/test-paths.ts";
import { tmpdir } from "../helpers/tmp.ts";
import { gradeOne, subjectOf } from "../helpers/subject.ts";

const numbered = (lines: string[], from = 1) => lines.map((text, i) => ({ line: from + i, text }));

function changed(path: string, added: string[], removed: string[] = [], extra: Partial<ChangedFile> = {}): ChangedFile {
  return {
    path,
    status: "modified",
    binary: false,
    added: linesOf(numbered(added)),
    removed: linesOf(numbered(removed)),
    removedCount: removed.length,
    ...extra,
  };
}

async function tamper(files: ChangedFile[], root = "/nonexistent-loki-root"): Promise<GateResult> {
  const subject = subjectOf(files, { root, base: "b".repeat(40), head: "h".repeat(40), includesWorktree: true });
  return await gradeOne(tamperGate, subject);
}

describe("isTestPath", () => {
  test.each([
    ["src/a.test.ts", true],
    ["web/x.spec.jsx", true],
    ["pkg/x_test.go", true],
    ["test_x.py", true],
    ["app/x_test.py", true],
    ["tests/helpers/x.ts", true],
    ["test/x.js", true],
    ["ui/__tests__/a.js", true],
    ["spec/models/user_spec.rb", true],
    ["src/test/java/FooTest.java", true],
    ["src/testing.ts", false],
    ["latest/x.js", false],
    ["contest.py", false],
    ["src/spec.ts", false],
    ["attest_x.py", false],
    ["docs/test-plan.md", false],
  ] as const)("%s → %p", (path, expected) => expect(isTestPath(path)).toBe(expected));
});

describe("skip/only/focus markers", () => {
  // Skip and focus markers as strings: the lines an agent adds to a test file, which the gate must flag.
  const fires: [string, string][] = [
    ["a.test.ts", 'it.skip("x", () => {})'],
    ["a.test.ts", "test.skip('x', f)"],
    ["a.test.ts", "describe.skip('x', f)"],
    ["a.test.js", "xit('x', f)"],
    ["a.test.js", "xdescribe('x', f)"],
    ["a.test.js", "xtest('x', f)"],
    ["a.spec.ts", "it.only('x', f)"],
    ["a.spec.ts", "test.only('x', f)"],
    ["a.spec.ts", "describe.only('x', f)"],
    ["a.spec.ts", 'const name = "x"; it.skip(name, f)'],
    ["a.spec.ts", 'test.todo("later")'],
    ["a.spec.ts", "it.concurrent.skip('x', f)"],
    ["a.spec.ts", "fit('x', f)"],
    ["tests/test_a.py", '@pytest.mark.skip(reason="x")'],
    ["tests/test_a.py", '@unittest.skip("x")'],
    ["tests/test_a.py", '    pytest.skip("later")'],
    ["tests/test_a.py", "@pytest.mark.xfail"],
    ["a_test.go", '\tt.Skip("flaky")'],
    ["a_test.go", "\tt.SkipNow()"],
    ["a_test.go", '\tt.Skipf("x %d", 1)'],
    ["tests/a.rs", "#[ignore]"],
    ["tests/a.rs", '#[ignore = "slow"]'],
    ["src/test/java/ATest.java", "  @Disabled"],
    ["src/test/java/ATest.java", '  @Ignore("x")'],
    ["src/test/kotlin/ATest.kt", "@Disabled"],
    ["spec/a_spec.rb", '    skip "not yet"'],
    ["spec/a_spec.rb", '  xit "does it" do'],
    ["spec/a_spec.rb", '  pending "later"'],
  ];
  test.each(fires)("%s: %s fires", async (path, line) => {
    const result = await tamper([changed(path, [line])]);
    expect(result.status).toBe("fail");
    expect(result.findings[0]).toMatchObject({ severity: "high", file: path, line: 1, rule: "skip-marker" });
    expect(result.findings[0]?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  test.each([
    ["tests/test_a.py", '@pytest.mark.skipif(sys.platform == "win32", reason="")'],
    ["a.test.ts", 'test.skipIf(process.platform === "win32")("x", f)'],
    ["a.test.ts", "it.runIf(hasDocker)('x', f)"],
  ] as const)("%s: a conditional skip %s is a medium finding (CONCERNS), not a block", async (path, line) => {
    const result = await tamper([changed(path, [line])]);
    expect(result.status).toBe("fail");
    expect(result.findings[0]).toMatchObject({ severity: "medium", rule: "conditional-skip", file: path });
  });

  const quiet: [string, string][] = [
    ["a.test.ts", 'it("skips nothing", () => {})'],
    ["a.test.ts", "const skip = list.filter((x) => x.skip);"],
    ["a.test.ts", "// it.skip('later')"],
    ["tests/test_a.py", '# pytest.skip("x")'],
    ["a_test.go", "\t// t.Skip()"],
    ["a_test.go", "\tskip := true"],
    ["tests/a.rs", "#[test]"],
    ["spec/a_spec.rb", '  it "skips the header" do'],
    ["src/a.js", "it.skip('not a test file', f)"],
    ["tests/fixtures/agent.ts", "write(src.replace('test(\"sub\"', 'test.skip(\"sub\"'));"],
  ];
  test.each(quiet)("%s: %s does not fire", async (path, line) => {
    expect((await tamper([changed(path, [line])])).status).toBe("pass");
  });

  test("a marker line that was only moved or re-indented is not new", async () => {
    const result = await tamper([changed("a.test.ts", ["    it.skip('x', f)"], ["  it.skip('x', f)"])]);
    expect(result).toMatchObject({ status: "pass", reason: "1 test file changed, no tampering" });
  });
});

describe("deleted and renamed test files", () => {
  test("a deleted test file blocks at line 1", async () => {
    const result = await tamper([changed("test/a.test.js", [], ["assert(1)"], { status: "deleted" })]);
    expect(result).toMatchObject({ status: "fail", reason: "test tampering: test file deleted: test/a.test.js" });
    expect(result.findings).toEqual([expect.objectContaining({ file: "test/a.test.js", line: 1, rule: "test-deleted", severity: "high" })]);
  });

  test("a test renamed to a non-test path blocks; renamed to another test path does not", async () => {
    const away = await tamper([changed("src/a.js", [], [], { status: "renamed", oldPath: "test/a.test.js" })]);
    expect(away.findings[0]).toMatchObject({ rule: "test-renamed-away", file: "src/a.js", line: 1 });
    expect((await tamper([changed("tests/b.test.js", [], [], { status: "renamed", oldPath: "test/a.test.js" })])).status).toBe("pass");
  });

  test("no test files touched says so", async () => {
    expect(await tamper([changed("src/a.ts", ["export const a = 1;"])])).toMatchObject({ status: "pass", reason: "no test files changed" });
  });
});

describe("assertion counting", () => {
  test.each([
    ["expect(a).toBe(1);", 1],
    ["assert.equal(a, b);", 1],
    ["assert_eq!(a, b);", 1],
    ['t.Errorf("got %d", n)', 1],
    ["t.Fatal(err)", 1],
    ["x.should.equal(1)", 1],
    ["    .toBe(2);", 1],
    ["self.assertEqual(a, b)", 1],
    ["assert x == 1", 1],
    ["require.NoError(t, err)", 1],
    ["expect(a).toBe(1); expect(b).toBe(2);", 2],
    ['import assert from "node:assert";', 0],
    ["const assert = require('assert');", 0],
    ["// expect(a).toBe(1)", 0],
    ["# assert x", 0],
    ["const total = a + b;", 0],
  ] as const)("%s → %d", (line, n) => expect(countAssertions([line])).toBe(n));

  test("removed > added in a changed test file fails with the counts", async () => {
    const result = await tamper([changed("test/a.test.js", ["  const ok = true;"], ["  expect(a).toBe(1);", "  assert.ok(b);"])]);
    expect(result.status).toBe("fail");
    expect(result.findings[0]).toMatchObject({
      rule: "fewer-assertions",
      file: "test/a.test.js",
      line: 1,
      message: "fewer assertions in test/a.test.js: 2 removed, 0 added",
    });
  });

  test("rewriting expect(…).toBe(…) as assert.equal(…) is not fewer assertions", async () => {
    expect((await tamper([changed("test/a.test.js", ["  assert.equal(a, 1);"], ["  expect(a).toBe(1);"])])).status).toBe("pass");
  });
});

describe("test-runner config that excludes tests", () => {
  /** Writes `text` as `path` in a temp root; `lines` (1-based) are the added ones. */
  async function config(path: string, text: string, lines: number[]): Promise<GateResult> {
    await using dir = await tmpdir({ files: { [path]: text } });
    const all = text.split("\n");
    const added = lines.map((line) => ({ line, text: all[line - 1] ?? "" }));
    return tamper([{ path, status: "modified", binary: false, added: linesOf(added), removed: NO_LINES, removedCount: 0 }], dir.path);
  }
  const jest =
    'module.exports = {\n  testPathIgnorePatterns: [\n    "/node_modules/",\n    "/auth/",\n  ],\n  coveragePathIgnorePatterns: [\n    "/gen/",\n  ],\n};\n';

  test.each([
    ["jest.config.js", 'module.exports = { testPathIgnorePatterns: ["/slow/"] };\n', [1]],
    ["jest.config.js", jest, [4]],
    ["vitest.config.ts", 'export default defineConfig({\n  test: {\n    exclude: ["**/auth/**"],\n  },\n});\n', [3]],
    ["package.json", '{\n  "jest": {\n    "testPathIgnorePatterns": ["slow"]\n  }\n}\n', [3]],
    ["package.json", '{\n  "scripts": {\n    "test": "mocha --ignore \'test/slow/**\'"\n  }\n}\n', [3]],
    ["pyproject.toml", "[tool.pytest.ini_options]\naddopts = \"-k 'not slow'\"\n", [2]],
    ["setup.cfg", "[tool:pytest]\naddopts = --ignore=tests/integration\n", [2]],
    ["pytest.ini", "[pytest]\nnorecursedirs = slow\n", [2]],
    ["tox.ini", "[testenv]\ncommands = pytest --deselect tests/test_a.py::test_x\n", [2]],
    [".mocharc.yml", "ignore: test/slow/**\n", [1]],
    ["Makefile", "test:\n\tgo test -skip TestSlow ./...\n", [2]],
    ["Makefile", "test:\n\tgo test -run TestOnly ./...\n", [2]],
    ["playwright.config.ts", 'export default { testIgnore: "**/auth/**" };\n', [1]],
    ["package.json", '{ "jest": { "testPathIgnorePatterns": ["slow"] } }\n', [1]],
    ["package.json", '{\n  "scripts": {\n    "test:ci": "jest --testPathIgnorePatterns=e2e"\n  }\n}\n', [3]],
    ["setup.cfg", "[tool:pytest]\naddopts =\n    --ignore=tests/slow\n", [3]],
    ["pyproject.toml", '[tool.pytest.ini_options]\naddopts = [\n  "-k", "not slow",\n]\n', [3]],
    ["pyproject.toml", '[tool.pytest.ini_options]\nnorecursedirs = [\n  "slow",\n]\n', [3]],
  ] as const)("%s (%#) fires", async (path, text, lines) => {
    const result = await config(path, text, [...lines]);
    expect(result.status).toBe("fail");
    expect(result.findings[0]).toMatchObject({ rule: "test-config-exclusion", file: path, line: lines[0], severity: "high" });
  });

  test.each([
    ["jest.config.js", 'module.exports = { coveragePathIgnorePatterns: ["/gen/"] };\n', [1]],
    ["jest.config.js", jest, [7]],
    ["vitest.config.ts", 'export default defineConfig({\n  test: {\n    coverage: { exclude: ["gen/**"] },\n  },\n});\n', [3]],
    ["vite.config.ts", 'export default defineConfig({\n  optimizeDeps: {\n    exclude: ["big-lib"],\n  },\n});\n', [3]],
    ["package.json", '{\n  "nyc": {\n    "exclude": ["gen"]\n  }\n}\n', [3]],
    ["pyproject.toml", '[tool.ruff]\nexclude = ["build"]\n', [2]],
    ["bunfig.toml", '[test]\ncoveragePathIgnorePatterns = ["gen/**"]\n', [2]],
    ["Makefile", "dist:\n\trsync -a --exclude .git . out/\n", [2]],
    ["pyproject.toml", '[tool.pytest.ini_options]\nmarkers = ["slow: marks tests as slow (deselect with \'-m "not slow"\')"]\n', [2]],
    ["jest.config.js", 'module.exports = { displayName: "skip nothing" };\n', [1]],
    ["setup.cfg", "[flake8]\nexclude = build\n", [2]],
  ] as const)("%s (%#) does not fire", async (path, text, lines) => {
    expect((await config(path, text, [...lines])).status).toBe("pass");
  });
});
