// The mutation gate with the real StrykerJS and `node --test`: a change whose tests only check
// truthiness lets mutants of its lines survive (a finding naming them); the honest twin, whose
// tests pin values, kills them; a project without StrykerJS skips, naming the install command.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { Config } from "../../src/core/config.ts";
import { detectProject } from "../../src/gates/detect.ts";
import { readSubject } from "../../src/gates/diff.ts";
import { runGates } from "../../src/gates/gate.ts";
import { linesOf, NO_LINES } from "../../src/gates/diff-lines.ts";
import { mutateRanges, mutationGate } from "../../src/gates/mutation.ts";
import { verifyRepo } from "../helpers/verify-repo.ts";

const MODULES = resolve(import.meta.dir, "..", "..", "node_modules");
const HEAD = 'const test = require("node:test");\nconst assert = require("node:assert");\nconst { total } = require("../cart.js");\n';
const BASE = {
  "package.json": JSON.stringify({ name: "cart", private: true, scripts: { test: "node --test" } }),
  "cart.js": "exports.total = (items) => items.reduce((s, i) => s + i.price, 0);\n",
  "test/cart.test.js": `${HEAD}test("sums", () => assert.equal(total([{ price: 2 }]), 2));\n`,
};
const CHANGE =
  "exports.total = (items, discount = 0) => {\n  const sum = items.reduce((s, i) => s + i.price * i.qty, 0);\n  return sum > discount ? sum - discount : 0;\n};\n";
const WEAK = `${HEAD}test("discount", () => assert.ok(total([{ price: 2, qty: 3 }], 1)));\n`;
const STRONG = `${HEAD}test("discount", () => {\n  assert.equal(total([{ price: 2, qty: 3 }], 1), 5);\n  assert.equal(total([{ price: 2, qty: 3 }]), 6);\n  assert.equal(total([{ price: 2, qty: 1 }], 2), 0);\n  assert.equal(total([{ price: 2, qty: 1 }], 3), 0);\n  assert.equal(total([{ price: 1, qty: 1 }, { price: 2, qty: 2 }], 1), 4);\n});\n`;

async function grade(testFile: string, installed = true) {
  await using repo = await verifyRepo(BASE, { "cart.js": CHANGE, "test/cart.test.js": testFile });
  if (installed) symlinkSync(MODULES, join(repo.path, "node_modules"));
  const subject = await readSubject(repo.path, repo.base, { includeWorktree: false });
  const config = Config.parse({});
  const [result] = await runGates([mutationGate], { subject, project: detectProject(repo.path, config), config });
  return { result, left: readdirSync(repo.path).filter((n) => n.startsWith(".stryker")) };
}

describe.skipIf(!existsSync(join(MODULES, ".bin", "stryker")))("mutation (StrykerJS)", () => {
  test("mutates only the changed lines", () => {
    const file = { path: "a.js", status: "modified" as const, binary: false, removed: NO_LINES, removedCount: 0 };
    const added = linesOf([1, 2, 3, 7, 9, 10].map((line) => ({ line, text: "x" })));
    expect(mutateRanges([{ ...file, added }])).toEqual(["a.js:1-3", "a.js:7-7", "a.js:9-10"]);
    expect(
      mutateRanges([
        { ...file, path: "test/a.test.js", added },
        { ...file, path: "README.md", added },
      ]),
    ).toEqual([]);
  });

  test("adversarial: a truthiness-only test lets mutants of the changed lines survive → finding, score in the evidence", async () => {
    const { result, left } = await grade(WEAK);
    expect(result?.status).toBe("fail");
    expect(result?.reason).toMatch(/^mutation score \d+%: \d+ of \d+ mutants of the changed lines caught \(below 80%\)$/);
    expect(result?.findings[0]).toMatchObject({ rule: "mutant-survived", severity: "medium", file: "cart.js" });
    expect(result?.details?.mutation_score).toBeLessThan(0.8);
    expect(left).toEqual([]);
  });

  test("honest twin: tests that pin values kill the mutants → pass", async () => {
    const { result } = await grade(STRONG);
    expect(result?.status).toBe("pass");
    expect(result?.details?.mutation_score).toBeGreaterThanOrEqual(0.8);
  });

  test("a project without StrykerJS skips, naming the install", async () => {
    const { result } = await grade(STRONG, false);
    expect(result).toMatchObject({
      status: "skipped",
      reason: "StrykerJS is not installed in this project (npm i -D @stryker-mutator/core)",
    });
  });
});
