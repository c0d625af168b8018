// The differential gate on real repositories and the real `node --test`: new tests that do not pass
// on a copy of the change and fail on a copy of the base are named (medium; high when the run's spec
// asks for new behaviour), tests that catch the change pass, and the copies never touch the repository.
import { describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Config } from "../../src/core/config.ts";
import { detectProject } from "../../src/gates/detect.ts";
import { readSubject } from "../../src/gates/diff.ts";
import { differentialGate } from "../../src/gates/differential.ts";
import { runGates } from "../../src/gates/gate.ts";
import { asksForNewBehaviour } from "../../src/loop/verify.ts";
import { git } from "../helpers/tmp.ts";
import {
  commitAll,
  gateOf,
  NODE_BREAK,
  NODE_PROJECT as BASE_PROJECT,
  NODE_TEST_RUNNER,
  verifyJson,
  verifyRepo,
} from "../helpers/verify-repo.ts";

/** This file is about node's own runner: the fixture's tests run by `node --test`. */
const NODE_PROJECT = { ...BASE_PROJECT, ...NODE_TEST_RUNNER };
const TEST_HEAD = 'const test = require("node:test");\nconst assert = require("node:assert");\n';
const VACUOUS = { "test/extra.test.js": `${TEST_HEAD}test("works", () => assert.ok(true));\n` };
const MUL = { "sum.js": "exports.sum = (a, b) => a + b;\nexports.mul = (a, b) => a * b;\n" };
const MUL_TEST = {
  "test/mul.test.js": `${TEST_HEAD}const { mul } = require("../sum.js");\ntest("multiplies", () => assert.equal(mul(3, 4), 12));\n`,
};

/** The gate on `change` committed, or (worktree) left uncommitted in the working tree. */
// Wrong implementations (sum multiplies) whose new tests still fail on the base copy, for reasons that are not the change.
const LAYOUT = {
  ...NODE_BREAK,
  "test/layout.test.js": `${TEST_HEAD}const { existsSync } = require("node:fs");\nconst { sum } = require("../sum.js");\ntest("commutes", () => assert.equal(sum(2, 3), sum(3, 2)));\ntest("repo layout", () => assert.ok(existsSync("../.git") || existsSync(".git")));\n`,
};
const EMPTY_MODULE = {
  ...NODE_BREAK,
  "lib/util.js": "",
  "test/util.test.js": `${TEST_HEAD}require("../lib/util.js");\nconst { sum } = require("../sum.js");\ntest("commutes", () => assert.equal(sum(2, 3), sum(3, 2)));\n`,
};

async function grade(change: Record<string, string>, expectsNewBehaviour = false, worktree = false) {
  await using repo = await verifyRepo(NODE_PROJECT, worktree ? undefined : change);
  if (worktree) repo.write(change);
  const before = git(repo.path, ["status", "--porcelain"]);
  const subject = await readSubject(repo.path, repo.base, { includeWorktree: worktree });
  const config = Config.parse({});
  const [result] = await runGates([differentialGate], { subject, project: detectProject(repo.path, config), config, expectsNewBehaviour });
  const status = git(repo.path, ["status", "--porcelain"]);
  return { result, status: status === before ? "" : status };
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

  test("adversarial: a smudge filter the agent defines does not run when the copies are made (plain git archive runs it)", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, { ...MUL, ...MUL_TEST, ".gitattributes": "*.js filter=evil\n" });
    const marker = join(repo.path, "..", `smudge-ran-${Date.now()}`);
    const script = join(repo.path, "..", `smudge-${Date.now()}.sh`);
    writeFileSync(script, `#!/bin/sh\necho ran >> ${JSON.stringify(marker)}\ncat\n`, { mode: 0o755 });
    git(repo.path, ["config", "filter.evil.smudge", script]);
    const subject = await readSubject(repo.path, repo.base, { includeWorktree: false });
    const config = Config.parse({});
    const [result] = await runGates([differentialGate], {
      subject,
      project: detectProject(repo.path, config),
      config,
      expectsNewBehaviour: false,
    });
    expect(result?.status).toBe("pass");
    expect(existsSync(marker)).toBe(false);
    git(repo.path, ["archive", "--format=tar", "-o", join(repo.path, "..", `plain-${Date.now()}.tar`), "HEAD"]);
    expect(existsSync(marker)).toBe(true);
  });

  test("a test of a module the base lacks fails there (cannot import it) → pass", async () => {
    const { result } = await grade({
      "lib/max.js": "exports.max = (a, b) => (a > b ? a : b);\n",
      "test/max.test.js": `${TEST_HEAD}const { max } = require("../lib/max.js");\ntest("max", () => assert.equal(max(1, 2), 2));\n`,
    });
    expect(result?.status).toBe("pass");
  });

  test("adversarial: a new test that fails on the base copy only for want of .git fails on the change's copy too → finding", async () => {
    const { result, status } = await grade(LAYOUT);
    expect(result?.status).toBe("fail");
    expect(result?.findings).toMatchObject([{ rule: "tests-do-not-distinguish", file: "test/layout.test.js" }]);
    expect(result?.reason).toStartWith(
      "the 1 test in 1 new or changed test file that passes on a copy of the change (1 more fails there) passes on the code before this change too",
    );
    expect(result?.details).toMatchObject({ onHead: { passed: 1, failed: 1 }, onBase: { passed: 1, failed: 1 }, distinguishing: [] });
    expect(status).toBe("");
  });

  test("adversarial: a test file that cannot load on the base only because it requires a new, empty module → finding", async () => {
    const { result } = await grade(EMPTY_MODULE);
    expect(result?.status).toBe("fail");
    expect(result?.findings).toMatchObject([{ rule: "tests-do-not-distinguish", file: "test/util.test.js" }]);
  });

  test("a test of a new module that cannot load on the base passes on the change's copy → pass, the test named", async () => {
    const { result } = await grade({
      "lib/max.mjs": "export const max = (a, b) => (a > b ? a : b);\n",
      "test/max.test.mjs":
        'import test from "node:test";\nimport assert from "node:assert";\nimport { max } from "../lib/max.mjs";\ntest("max", () => assert.equal(max(1, 2), 2));\n',
    });
    expect(result?.status).toBe("pass");
    expect(result?.reason).toMatch(
      /^1 of 1 test in 1 new or changed test file fails on the base code \([0-9a-f]{12}\) \(1 cannot even load there\): they tell the change apart$/,
    );
    expect(result?.details?.distinguishing).toEqual(["max"]);
  });

  test("uncommitted: the change's copy is the working tree (untracked test included); the repository is untouched", async () => {
    const honest = await grade({ ...MUL, ...MUL_TEST }, false, true);
    expect(honest.result?.status).toBe("pass");
    expect(honest.result?.details).toMatchObject({ head: "working tree", distinguishing: ["multiplies"] });
    expect(honest.status).toBe("");
    const vacuous = await grade({ ...MUL, ...VACUOUS }, false, true);
    expect(vacuous.result?.findings).toMatchObject([{ rule: "tests-do-not-distinguish" }]);
  });

  test("no new test passes on the change's copy → inconclusive, not a pass", async () => {
    const { result } = await grade({
      ...NODE_BREAK,
      "test/layout.test.js": `${TEST_HEAD}const { existsSync } = require("node:fs");\ntest("repo layout", () => assert.ok(existsSync(".git")));\n`,
    });
    expect(result).toMatchObject({
      status: "inconclusive",
      reason: "no test in 1 new or changed test file passes on a copy of the change (1 test fails there)",
    });
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
    expect(asksForNewBehaviour(["- Update the README", "2. Fix a typo in the help text", "REQ-3: Clean up sum.js"])).toBe(false);
    expect(asksForNewBehaviour(["Users can comment on a post"])).toBe(true);
    expect(asksForNewBehaviour(["Support the ISO date format in the API"])).toBe(true);
    expect(asksForNewBehaviour(["Lint warnings are shown in the editor"])).toBe(true);
  });
});
