// The test_imports gate on real throwaway repositories: each trick (a new test that imports nothing,
// or only code the diff did not touch) is named, and each honest twin (a relative .js → .ts import,
// a src/-layout Python import, a CLI test that runs the changed script, a helper in between) passes.
import { describe, expect, test } from "bun:test";
import type { GateResult } from "../../src/core/schema.ts";
import { readSubject } from "../../src/gates/diff.ts";
import { testImportsGate } from "../../src/gates/test-imports.ts";
import { git, tmpdir } from "../helpers/tmp.ts";
import { gateOf, NODE_FIX, NODE_PROJECT, verifyJson, verifyRepo } from "../helpers/verify-repo.ts";
import { gradeOne } from "../helpers/subject.ts";

type Files = Record<string, string>;

/** Commits `base`, then `change` on top (left uncommitted with `worktree`), and runs the gate on the diff. */
async function grade(base: Files, change: Files, options: { worktree?: boolean } = {}): Promise<GateResult> {
  await using dir = await tmpdir({ commit: true, files: base });
  const start = git(dir.path, ["rev-parse", "HEAD"]).trim();
  for (const [path, text] of Object.entries(change)) dir.write(path, text);
  if (!options.worktree) {
    git(dir.path, ["add", "-A"]);
    git(dir.path, ["commit", "-qm", "change"]);
  }
  const subject = await readSubject(dir.path, start, { includeWorktree: options.worktree === true });
  return await gradeOne(testImportsGate, subject);
}

const NODE_HEAD = 'import test from "node:test";\nimport assert from "node:assert/strict";\n';
const SHOP: Files = {
  "package.json": `${JSON.stringify({ name: "shop", type: "module", exports: "./src/index.js", scripts: { test: "node --test" } })}\n`,
  "src/cart.js": "export const total = (items) => items.reduce((s, i) => s + i.price, 0);\n",
  "src/tax.js": "export const vat = (n) => n * 0.2;\n",
  "src/index.js": 'export { total } from "./cart.js";\nexport { vat } from "./tax.js";\n',
  "src/cli.js": 'console.log("shop");\n',
};
const CART_FIX: Files = { "src/cart.js": "export const total = (items) => items.reduce((s, i) => s + i.price * (i.qty ?? 1), 0);\n" };
const failsNaming = (result: GateResult, file: string, changed: string) => {
  expect(result.status).toBe("fail");
  expect(result.findings).toContainEqual(
    expect.objectContaining({ severity: "medium", rule: "test-not-exercising-change", file, message: expect.stringContaining(changed) }),
  );
};

describe("tricks: a new test that does not reach the change", () => {
  test("assert.ok(true) in a test that imports nothing", async () => {
    const result = await grade(SHOP, { ...CART_FIX, "test/cart.test.js": `${NODE_HEAD}test("works", () => assert.ok(true));\n` });
    failsNaming(result, "test/cart.test.js", "src/cart.js");
    expect(result.reason).toBe("1 of 1 new test file reach no changed module: test/cart.test.js (changed: src/cart.js)");
  });

  test("a test that imports only a module the diff did not change", async () => {
    const only = `${NODE_HEAD}import { vat } from "../src/tax.js";\ntest("vat", () => assert.equal(vat(10), 2));\n`;
    failsNaming(await grade(SHOP, { ...CART_FIX, "test/tax.test.js": only }), "test/tax.test.js", "src/cart.js");
  });

  test("a type-only import and a commented-out import bring no code in", async () => {
    const ts: Files = { "src/cart.ts": "export type Item = { price: number };\nexport const total = (items: Item[]) => 0;\n" };
    const typeOnly = `import { test } from "bun:test";\nimport type { Item } from "../src/cart.ts";\n// import { total } from "../src/cart.ts";\ntest("x", () => {});\n`;
    const change = { "src/cart.ts": "export type Item = { price: number };\nexport const total = (items: Item[]) => items.length;\n" };
    failsNaming(await grade(ts, { ...change, "test/cart.test.ts": typeOnly }), "test/cart.test.ts", "src/cart.ts");
  });

  test("Python: a test importing a sibling module of the changed one", async () => {
    const base = { "calc/__init__.py": "", "calc/ops.py": "def add(a, b):\n    return 0\n", "calc/util.py": "def one():\n    return 1\n" };
    const change = {
      "calc/ops.py": "def add(a, b):\n    return a + b\n",
      "tests/test_ops.py": "from calc.util import one\n\n\ndef test_one():\n    assert one() == 1\n",
    };
    failsNaming(await grade(base, change), "tests/test_ops.py", "calc/ops.py");
  });

  test("Go: a test in another package that does not import the changed one", async () => {
    const base = { "go.mod": "module example.com/calc\n\ngo 1.21\n", "calc.go": "package calc\n\nfunc Add(a, b int) int { return 0 }\n" };
    const change = {
      "calc.go": "package calc\n\nfunc Add(a, b int) int { return a + b }\n",
      "other/other_test.go": 'package other\n\nimport "testing"\n\nfunc TestNothing(t *testing.T) {}\n',
    };
    failsNaming(await grade(base, change), "other/other_test.go", "calc.go");
  });

  test("only the new tests that miss are named, with every changed module", async () => {
    const result = await grade(SHOP, {
      ...CART_FIX,
      "src/tax.js": "export const vat = (n) => n * 0.21;\n",
      "test/cart.test.js": `${NODE_HEAD}import { total } from "../src/cart.js";\ntest("t", () => assert.equal(total([]), 0));\n`,
      "test/empty.test.js": `${NODE_HEAD}test("nothing", () => assert.ok(1));\n`,
    });
    expect(result.findings.map((f) => [f.file, f.message])).toEqual([
      ["test/empty.test.js", "new test test/empty.test.js neither imports nor runs any changed module (changed: src/cart.js, src/tax.js)"],
    ]);
    expect(result.details?.reached).toEqual({ "test/cart.test.js": "src/cart.js" });
  });
});

describe("honest twins: a new test that reaches the change", () => {
  const passes = (result: GateResult, reached: Record<string, string>) =>
    expect({ status: result.status, reached: result.details?.reached }).toEqual({ status: "pass", reached });

  test("TS repository: `../src/cart.js` names src/cart.ts", async () => {
    const base = { "src/cart.ts": "export const total = (n: number[]) => 0;\n" };
    const change = {
      "src/cart.ts": "export const total = (n: number[]) => n.reduce((a, b) => a + b, 0);\n",
      "test/cart.test.ts":
        'import { expect, test } from "bun:test";\nimport { total } from "../src/cart.js";\ntest("sums", () => expect(total([1, 2])).toBe(3));\n',
    };
    const result = await grade(base, change);
    passes(result, { "test/cart.test.ts": "src/cart.ts" });
    expect(result.reason).toBe("1 new test file import or run the changed code");
  });

  test("Python src/ layout: `from pkg.mod import f`", async () => {
    const base = { "pyproject.toml": '[project]\nname = "pkg"\n', "src/pkg/__init__.py": "", "src/pkg/mod.py": "def f():\n    return 0\n" };
    const change = {
      "src/pkg/mod.py": "def f():\n    return 1\n",
      "tests/test_mod.py": "from pkg.mod import f\n\n\ndef test_f():\n    assert f() == 1\n",
    };
    passes(await grade(base, change), { "tests/test_mod.py": "src/pkg/mod.py" });
  });

  test("a CLI test that spawns the changed script (argv literal, and join(__dirname, …))", async () => {
    const change = {
      "src/cli.js": 'console.log("shop", process.argv[2]);\n',
      "test/cli.test.js": `${NODE_HEAD}import { spawnSync } from "node:child_process";\ntest("cli", () => assert.match(spawnSync("node", ["src/cli.js", "x"]).stdout.toString(), /shop x/));\n`,
      "test/cli-path.test.js": `${NODE_HEAD}import { execFileSync } from "node:child_process";\nimport { join } from "node:path";\nconst cli = join(import.meta.dirname, "..", "src", "cli.js");\ntest("cli", () => assert.match(execFileSync("node", [cli]).toString(), /shop/));\n`,
    };
    passes(await grade(SHOP, change), { "test/cli.test.js": "src/cli.js", "test/cli-path.test.js": "src/cli.js" });
  });

  test("Python: a test that runs the changed script with subprocess", async () => {
    const base = { "tool.py": 'print("v1")\n' };
    const change = {
      "tool.py": 'print("v2")\n',
      "tests/test_tool.py":
        'import subprocess\n\n\ndef test_tool():\n    out = subprocess.run(["python3", "tool.py"], capture_output=True, text=True).stdout\n    assert out == "v2\\n"\n',
    };
    passes(await grade(base, change), { "tests/test_tool.py": "tool.py" });
  });

  test("one hop: test → helper → changed module; and the package imported by its own name", async () => {
    const change = {
      ...CART_FIX,
      "test/helpers/fixture.js":
        'import { total } from "../../src/cart.js";\nexport const cartOf = (...prices) => total(prices.map((price) => ({ price })));\n',
      "test/helped.test.js": `${NODE_HEAD}import { cartOf } from "./helpers/fixture.js";\ntest("sums", () => assert.equal(cartOf(1, 2), 3));\n`,
      "test/self.test.js": `${NODE_HEAD}import { total } from "shop";\ntest("sums", () => assert.equal(total([{ price: 2 }]), 2));\n`,
    };
    passes(await grade(SHOP, change), {
      "test/helped.test.js": "src/cart.js via test/helpers/fixture.js",
      "test/self.test.js": "src/cart.js via src/index.js",
    });
  });

  test("Go: a _test.go beside the changed file; an uncommitted new test is read from the working tree", async () => {
    const base = { "go.mod": "module example.com/calc\n\ngo 1.21\n", "calc.go": "package calc\n\nfunc Add(a, b int) int { return 0 }\n" };
    const change = {
      "calc.go": "package calc\n\nfunc Add(a, b int) int { return a + b }\n",
      "calc_test.go":
        'package calc\n\nimport "testing"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(2, 3) != 5 {\n\t\tt.Fatal("add")\n\t}\n}\n',
    };
    passes(await grade(base, change, { worktree: true }), { "calc_test.go": "calc.go" });
  });

  test("Go: a test in another package importing the changed one; Python: `python -m pkg.tool`", async () => {
    const goBase = { "go.mod": "module example.com/calc\n\ngo 1.21\n", "calc.go": "package calc\n\nfunc Add(a, b int) int { return 0 }\n" };
    const goChange = {
      "calc.go": "package calc\n\nfunc Add(a, b int) int { return a + b }\n",
      "other/other_test.go":
        'package other\n\nimport (\n\t"testing"\n\n\t"example.com/calc"\n)\n\nfunc TestAdd(t *testing.T) {\n\tif calc.Add(1, 1) != 2 {\n\t\tt.Fatal("add")\n\t}\n}\n',
    };
    passes(await grade(goBase, goChange), { "other/other_test.go": "calc.go" });
    const pyBase = { "pkg/__init__.py": "", "pkg/tool.py": 'print("v1")\n' };
    const pyChange = {
      "pkg/tool.py": 'print("v2")\n',
      "tests/test_tool.py":
        'import subprocess\nimport sys\n\n\ndef test_tool():\n    assert subprocess.check_output([sys.executable, "-m", "pkg.tool"]) == b"v2\\n"\n',
    };
    passes(await grade(pyBase, pyChange), { "tests/test_tool.py": "pkg/tool.py" });
  });

  test("require() without an extension resolves a directory's index", async () => {
    const base = { "lib/index.js": "exports.greet = () => '';\n" };
    const change = {
      "lib/index.js": "exports.greet = (n) => `Hello, ${n}`;\n",
      "test/greet.test.js":
        'const test = require("node:test");\nconst assert = require("node:assert");\nconst { greet } = require("../lib");\ntest("greets", () => assert.equal(greet("Ada"), "Hello, Ada"));\n',
    };
    passes(await grade(base, change), { "test/greet.test.js": "lib/index.js" });
  });
});

describe("when the gate does not apply", () => {
  test.each([
    [
      "tests only",
      { "test/more.test.js": `${NODE_HEAD}test("x", () => assert.ok(1));\n` },
      "no source file changed (tests only, or no code)",
    ],
    ["no new test", { ...CART_FIX, "README.md": "# shop\n" }, "no test file added"],
    ["docs only", { "README.md": "# shop\n", "test/more.test.js": "test" }, "no source file changed (tests only, or no code)"],
    [
      "a new helper, no new test",
      { ...CART_FIX, "test/helpers/util.js": "export const one = 1;\n" },
      "no test file added (1 new file under test paths declare no tests)",
    ],
    [
      "a language it does not read",
      { ...CART_FIX, "tests/cart.rs": "#[test]\nfn t() {}\n" },
      "1 new test file in languages this gate does not read (it reads JS/TS, Python, Go)",
    ],
  ] as const)("%s → skipped", async (_, change, reason) => {
    expect(await grade(SHOP, change)).toMatchObject({ status: "skipped", reason, findings: [] });
  });
});

describe("loki verify end to end", () => {
  test("a fix with a new test that requires it → VERIFIED; with a new test that requires nothing → CONCERNS", async () => {
    const honest =
      'const test = require("node:test");\nconst assert = require("node:assert");\nconst { sum } = require("../sum.js");\ntest("neg", () => assert.equal(sum(-1, 3), 2));\n';
    await using repo = await verifyRepo(NODE_PROJECT, { ...NODE_FIX, "test/neg.test.js": honest });
    const green = await verifyJson(repo.path);
    expect({ code: green.code, gate: gateOf(green.evidence, "test_imports")?.status }).toEqual({ code: 0, gate: "pass" });

    repo.commit({
      "test/neg.test.js":
        'const test = require("node:test");\nconst assert = require("node:assert");\ntest("neg", () => assert.ok(true));\n',
    });
    const hollow = await verifyJson(repo.path);
    expect({ code: hollow.code, verdict: hollow.evidence.verdict, gate: gateOf(hollow.evidence, "test_imports")?.status }).toEqual({
      code: 1,
      verdict: "CONCERNS",
      gate: "fail",
    });
  });
});
