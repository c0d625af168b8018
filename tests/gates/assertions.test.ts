// Assertion strength: each language's strong and weak samples, and the tamper gate on real repos —
// a value check swapped for a truthiness/type check is named (JS, Python, Go); refactors that keep
// or raise strength (equal → strictEqual, toEqual → toStrictEqual, a moved assertion) pass.
import { describe, expect, test } from "bun:test";
import type { GateResult } from "../../src/core/schema.ts";
import { classifyLine } from "../../src/gates/assertions.ts";
import { readSubject } from "../../src/gates/diff.ts";
import { tamperGate } from "../../src/gates/tamper.ts";
import { git, tmpdir } from "../helpers/tmp.ts";
import { gradeOne } from "../helpers/subject.ts";

describe("classifyLine", () => {
  const strong: [string, string][] = [
    ["js", "expect(total(cart)).toBe(42);"],
    ["js", "expect(x).toEqual({ a: 1 });"],
    ["js", "expect(x).toStrictEqual([1]);"],
    ["js", "await expect(p).rejects.toThrow('boom');"],
    ["js", "expect(out).toMatch(/ok/);"],
    ["js", "expect(a === b).toBe(true);"],
    ["js", "assert.equal(sum(2, 3), 5);"],
    ["js", "assert.strictEqual(a, 1);"],
    ["js", "assert.deepStrictEqual(a, [1]);"],
    ["js", "assert.throws(() => parse(''), /empty/);"],
    ["js", "await assert.rejects(load());"],
    ["js", "assert.match(out, /shop/);"],
    ["js", "assert(total(cart) === 42);"],
    ["js", "expect(x).to.deep.equal({ a: 1 });"],
    ["js", "x.should.equal(5);"],
    ["js", "t.assert.equal(x, 5);"],
    ["js", "  ).toBe(42);"],
    ["python", "    assert add(2, 3) == 5"],
    ["python", "    assert 'Ada' in out"],
    ["python", "    self.assertEqual(a, b)"],
    ["python", "    with pytest.raises(ValueError):"],
    ["python", "    assert x == pytest.approx(0.3)"],
    ["go", "\tif got != want {"],
    ["go", "\tif !reflect.DeepEqual(got, want) {"],
    ["go", "\trequire.Equal(t, 5, got)"],
    ["rust", "    assert_eq!(add(2, 3), 5);"],
    ["rust", "    assert!(matches!(parse(s), Ok(5)));"],
    ["java", "    assertEquals(5, add(2, 3));"],
    ["js", "assert.equal(total(cart), expected);"],
    ["js", "assert.deepEqual(parse(a), {x: 1});"],
    ["js", "expect(sum(1,2)).toBe(3);"],
    ["js", "expect(render(page).title).toBe(`Shop ${n}`);"],
  ];
  const weak: [string, string][] = [
    ["js", 'expect(typeof total(cart)).toBe("number");'],
    ["js", "expect(x).toBeTruthy();"],
    ["js", "expect(x).toBeDefined();"],
    ["js", "expect(x).toHaveLength(3);"],
    ["js", "expect(x).toBeInstanceOf(Cart);"],
    ["js", "expect(x).not.toBe(1);"],
    ["js", "expect(ok).toBe(true);"],
    ["js", "expect(items.length).toBeGreaterThan(0);"],
    ["js", "assert.ok(result);"],
    ["js", "assert(result);"],
    ["js", 'assert.ok(typeof total(cart) === "number");'],
    ["js", "assert.equal(items.length, 3);"],
    ["js", "expect(x).to.be.ok;"],
    ["js", 'expect(x).to.be.a("string");'],
    ["python", "    assert result"],
    ["python", "    assert isinstance(r, int)"],
    ["python", "    assert len(r) == 3"],
    ["python", "    assert r is not None"],
    ["python", "    self.assertTrue(x)"],
    ["python", "    self.assertIsNotNone(x)"],
    ["go", "\tif err != nil {"],
    ["go", "\tif len(got) != 3 {"],
    ["go", "\tassert.NotNil(t, got)"],
    ["rust", "    assert!(parse(s).is_ok());"],
    ["rust", "    assert_ne!(a, b);"],
    ["java", "    assertNotNull(add(2, 3));"],
    ["js", "assert.equal(add(2, 3), add(3, 2));"],
    ["js", "expect(add(2, 3)).toBe(add(3, 2));"],
    ["js", "assert.deepStrictEqual(result, result);"],
    ["js", "assert.equal(await calc.add(2, 3), calc.mul(1, 5));"],
    ["python", "    assert add(2,3) == add(3,2)"],
    ["python", "    self.assertEqual(add(2, 3), add(3, 2))"],
    ["go", "\trequire.Equal(t, Add(3, 2), Add(2, 3))"],
    ["rust", "    assert_eq!(add(2, 3), add(3, 2));"],
  ];
  test.each(strong)("%s: %s is strong", (family, line) => expect(classifyLine(line, family)).toEqual(["strong"]));
  test.each(weak)("%s: %s is weak", (family, line) => expect(classifyLine(line, family)).toEqual(["weak"]));
  test.each([
    ["js", "const x = 'expect(a).toBe(1)';"],
    ["js", "// assert.equal(a, 1)"],
    ["js", 'import assert from "node:assert";'],
    ["python", "    # assert x == 1"],
    ["go", "\tif testing.Short() {"],
  ] as const)("%s: %s is not an assertion", (family, line) => expect(classifyLine(line, family)).toEqual([]));
  test("two assertions on a line are graded one by one", () => {
    expect(classifyLine("expect(a).toBe(1); expect(b).toBeDefined();", "js")).toEqual(["strong", "weak"]);
  });
});

/** Commits `path` with `before`, rewrites it to `after`, and runs the tamper gate on the real diff. */
async function tamperOn(path: string, before: string, after: string): Promise<GateResult> {
  await using dir = await tmpdir({ commit: true, files: { [path]: before } });
  const start = git(dir.path, ["rev-parse", "HEAD"]).trim();
  dir.write(path, after);
  git(dir.path, ["commit", "-qam", "change"]);
  const subject = await readSubject(dir.path, start, { includeWorktree: false });
  return await gradeOne(tamperGate, subject);
}

const JS = (body: string) =>
  `import test from "node:test";\nimport assert from "node:assert/strict";\nimport { total } from "../src/cart.js";\n\ntest("total", () => {\n  const cart = [{ price: 40 }, { price: 2 }];\n${body}});\n`;
const PY = (body: string) => `from calc.ops import add\n\n\ndef test_add():\n${body}`;
const GO = (body: string) => `package calc\n\nimport "testing"\n\nfunc TestAdd(t *testing.T) {\n\tgot := Add(2, 3)\n${body}}\n`;

describe("weakened assertions in a changed test block", () => {
  test.each([
    [
      "test/cart.test.js",
      JS("  assert.equal(total(cart), 42);\n"),
      JS("  assert.ok(total(cart));\n"),
      7,
      "assert.ok(total(cart));",
      "assert.equal(total(cart), 42);",
    ],
    [
      "test/cart.test.js",
      JS("  expect(total(cart)).toBe(42);\n"),
      JS('  expect(typeof total(cart)).toBe("number");\n'),
      7,
      'expect(typeof total(cart)).toBe("number");',
      "expect(total(cart)).toBe(42);",
    ],
    [
      "tests/test_ops.py",
      PY("    assert add(2, 3) == 5\n"),
      PY("    assert isinstance(add(2, 3), int)\n"),
      5,
      "assert isinstance(add(2, 3), int)",
      "assert add(2, 3) == 5",
    ],
    [
      "tests/test_ops.py",
      PY("    self.assertEqual(add(2, 3), 5)\n"),
      PY("    self.assertTrue(add(2, 3))\n"),
      5,
      "self.assertTrue(add(2, 3))",
      "self.assertEqual(add(2, 3), 5)",
    ],
    [
      "calc_test.go",
      GO('\tif got != 5 {\n\t\tt.Fatal("add")\n\t}\n'),
      GO('\tif got == 0 {\n\t\tt.Fatal("add")\n\t}\n'),
      7,
      "if got == 0 {",
      "if got != 5 {",
    ],
    [
      "test/cart.test.js",
      JS("  assert.equal(total(cart), 42);\n"),
      JS("  assert.equal(total(cart), total([...cart]));\n"),
      7,
      "assert.equal(total(cart), total([...cart]));",
      "assert.equal(total(cart), 42);",
    ],
    [
      "test/cart.test.js",
      JS("  const n = cart.length;\n  assert.equal(total(cart), 42);\n"),
      JS("  const want = total(cart);\n  assert.equal(total(cart), want);\n"),
      8,
      "assert.equal(total(cart), want);",
      "assert.equal(total(cart), 42);",
    ],
    [
      "tests/test_ops.py",
      PY("    assert add(2, 3) == 5\n"),
      PY("    assert add(2,3) == add(3,2)\n"),
      5,
      "assert add(2,3) == add(3,2)",
      "assert add(2, 3) == 5",
    ],
  ] as const)("%s: %s", async (path, before, after, line, weak, replaced) => {
    const result = await tamperOn(path, before, after);
    expect(result.status).toBe("fail");
    expect(result.findings).toEqual([
      expect.objectContaining({
        severity: "high",
        rule: "assertion-weakened",
        file: path,
        line,
        message: expect.stringContaining(`${path}:${line}: \`${weak}\` in place of \`${replaced}\` (was line ${line};`),
      }),
    ]);
  });
});

describe("refactors that keep or raise strength pass", () => {
  test.each([
    ["equal → strictEqual", "test/cart.test.js", JS("  assert.equal(total(cart), 42);\n"), JS("  assert.strictEqual(total(cart), 42);\n")],
    [
      "toEqual → toStrictEqual",
      "test/cart.test.js",
      JS("  expect(total(cart)).toEqual(42);\n"),
      JS("  expect(total(cart)).toStrictEqual(42);\n"),
    ],
    [
      "a strong assertion moved, a weak one added beside it",
      "test/cart.test.js",
      JS("  assert.equal(total(cart), 42);\n  const n = cart.length;\n"),
      JS("  const n = cart.length;\n  assert.ok(n);\n  assert.equal(total(cart), 42);\n"),
    ],
    ["weak → strong", "test/cart.test.js", JS("  assert.ok(total(cart));\n"), JS("  assert.equal(total(cart), 42);\n")],
    [
      "a new expected value",
      "tests/test_ops.py",
      PY("    assert add(2, 3) == 5\n"),
      PY("    assert add(2, 3) == 5, 'adds'\n    assert add(0, 0) == 0\n"),
    ],
    ["unittest to pytest style", "tests/test_ops.py", PY("    self.assertEqual(add(2, 3), 5)\n"), PY("    assert add(2, 3) == 5\n")],
    [
      "the expected value named by a new local",
      "test/cart.test.js",
      JS("  assert.equal(total(cart), 42);\n"),
      JS("  const expected = 42;\n  assert.equal(total(cart), expected);\n"),
    ],
    [
      "the expected value named by a constant already in the file",
      "test/cart.test.js",
      `const expected = 42;\n${JS("  assert.equal(total(cart), 42);\n")}`,
      `const expected = 42;\n${JS("  assert.equal(total(cart), expected);\n")}`,
    ],
    [
      "deep equality with an object literal",
      "test/cart.test.js",
      JS("  assert.deepEqual(parse(a), { x: 2 });\n"),
      JS("  assert.deepEqual(parse(a), {x: 1});\n"),
    ],
    ["assert.equal to expect", "test/cart.test.js", JS("  assert.equal(sum(1, 2), 3);\n"), JS("  expect(sum(1,2)).toBe(3);\n")],
  ] as const)("%s", async (_, path, before, after) => {
    expect(await tamperOn(path, before, after)).toMatchObject({ status: "pass", findings: [] });
  });
});
