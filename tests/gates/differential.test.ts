// The differential gate on real repositories and the real `node --test`: new tests that also pass
// on the code before the change are named (medium; high when the run's spec asks for new
// behaviour), tests that catch the change pass, and the base copy never touches the repository.
import { describe, expect, test } from "bun:test";
import { Config } from "../../src/core/config.ts";
import { detectProject } from "../../src/gates/detect.ts";
import { readSubject } from "../../src/gates/diff.ts";
import { differentialGate } from "../../src/gates/differential.ts";
import { runGates } from "../../src/gates/gate.ts";
import { asksForNewBehaviour } from "../../src/loop/verify.ts";
import { git } from "../helpers/tmp.ts";
import { commitAll, gateOf, NODE_PROJECT, verifyJson, verifyRepo } from "../helpers/verify-repo.ts";

const TEST_HEAD = 'const test = require("node:test");\nconst assert = require("node:assert");\n';
const VACUOUS = { "test/extra.test.js": `${TEST_HEAD}test("works", () => assert.ok(true));\n` };
const MUL = { "sum.js": "exports.sum = (a, b) => a + b;\nexports.mul = (a, b) => a * b;\n" };
const MUL_TEST = {
  "test/mul.test.js": `${TEST_HEAD}const { mul } = require("../sum.js");\ntest("multiplies", () => assert.equal(mul(3, 4), 12));\n`,
};

async function grade(change: Record<string, string>, expectsNewBehaviour = false) {
  await using repo = await verifyRepo(NODE_PROJECT, change);
  const subject = await readSubject(repo.path, repo.base, { includeWorktree: false });
  const config = Config.parse({});
  const [result] = await runGates([differentialGate], { subject, project: detectProject(repo.path, config), config, expectsNewBehaviour });
  const status = git(repo.path, ["status", "--porcelain"]);
  return { result, status };
}

describe("differential", () => {
  test("adversarial: a code change with a vacuous new test → finding naming the test, medium outside a run", async () => {
    const { result } = await grade({ ...MUL, ...VACUOUS });
    expect(result?.status).toBe("fail");
    expect(result?.findings).toMatchObject([{ rule: "tests-do-not-distinguish", severity: "medium", file: "test/extra.test.js" }]);
    expect(result?.reason).toBe(
      `the 1 test in 1 new or changed test file passes on the code before this change too (${result?.details?.base?.toString().slice(0, 12)}): they do not tell the new code from the old (test/extra.test.js)`,
    );
  });

  test("in a run whose spec asks for new behaviour the same finding blocks (high)", async () => {
    const { result } = await grade({ ...MUL, ...VACUOUS }, true);
    expect(result?.findings[0]?.severity).toBe("high");
  });

  test("honest twin: a test of the new function fails on the base code → pass; the repository is untouched", async () => {
    const { result, status } = await grade({ ...MUL, ...MUL_TEST });
    expect(result?.status).toBe("pass");
    expect(result?.reason).toMatch(
      /^1 of 1 test in 1 new or changed test file fails on the base code \([0-9a-f]{12}\): they tell the change apart$/,
    );
    expect(status).toBe("");
  });

  test("a test of a module the base lacks fails there (cannot import it) → pass", async () => {
    const { result } = await grade({
      "lib/max.js": "exports.max = (a, b) => (a > b ? a : b);\n",
      "test/max.test.js": `${TEST_HEAD}const { max } = require("../lib/max.js");\ntest("max", () => assert.equal(max(1, 2), 2));\n`,
    });
    expect(result?.status).toBe("pass");
  });

  test("does not apply without a code change or without new tests, and says which", async () => {
    expect((await grade(VACUOUS)).result).toMatchObject({ status: "skipped", reason: "no source code changed" });
    expect((await grade(MUL)).result).toMatchObject({ status: "skipped", reason: "no test file added or changed" });
  });

  test("loki verify: the vacuous test is CONCERNS with the finding named; the honest twin VERIFIED", async () => {
    await using bad = await verifyRepo(NODE_PROJECT, { ...MUL, ...VACUOUS });
    const concerns = await verifyJson(bad.path);
    expect(gateOf(concerns.evidence, "differential")).toMatchObject({ status: "fail", findings: [{ rule: "tests-do-not-distinguish" }] });
    expect(concerns.code).toBe(1);
    await using good = await verifyRepo(NODE_PROJECT, { ...MUL, ...MUL_TEST });
    commitAll(good.path, {});
    const verified = await verifyJson(good.path);
    expect(gateOf(verified.evidence, "differential")?.status).toBe("pass");
  });

  test("asksForNewBehaviour: any item beyond a refactor, rename, docs or tidy-up", () => {
    expect(asksForNewBehaviour(["add a mul() function"])).toBe(true);
    expect(asksForNewBehaviour(["refactor sum.js into lib/", "rename total to sum"])).toBe(false);
    expect(asksForNewBehaviour(["rename total to sum", "return 0 for an empty cart"])).toBe(true);
  });
});
