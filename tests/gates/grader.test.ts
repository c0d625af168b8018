// The frozen grading configuration on real repositories: what each kind of edit to the grader's
// own files counts as (a change, or a greenfield detection), which commands the gates then run,
// and the grader_config gate's verdict with and without the user's acceptance.
import { describe, expect, test } from "bun:test";
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { Config } from "../../src/core/config.ts";
import { detectProject } from "../../src/gates/detect.ts";
import { readSubject } from "../../src/gates/diff.ts";
import { runGates } from "../../src/gates/gate.ts";
import { graderConfigGate } from "../../src/gates/grader-config.ts";
import { freezeGrader, graderChanges, gradingProject, verifySection } from "../../src/gates/grader.ts";
import { commitTree, fsTree } from "../../src/gates/tree.ts";
import { git, tmpdir } from "../helpers/tmp.ts";

const config = Config.parse({});
const pkg = (scripts: Record<string, string>) => JSON.stringify({ name: "x", scripts });
const BASE = { "package.json": pkg({ test: "node --test", build: "tsc" }), "src/a.js": "1;\n" };

/** Freezes BASE at its commit, commits `edit` on top, and lists what changed in the grader (dispose to delete the repo). */
async function changesAfter(edit: Record<string, string>, base: Record<string, string> = BASE) {
  const dir = await tmpdir({ commit: true, files: base });
  const sha = git(dir.path, ["rev-parse", "HEAD"]).trim();
  const frozen = await freezeGrader(await commitTree(dir.path, sha), config);
  for (const [rel, text] of Object.entries(edit)) {
    mkdirSync(dirname(join(dir.path, rel)), { recursive: true });
    writeFileSync(join(dir.path, rel), text);
  }
  git(dir.path, ["add", "-A"]);
  git(dir.path, ["commit", "-q", "--allow-empty", "-m", "edit"]);
  const subject = await readSubject(dir.path, sha, { includeWorktree: false });
  const head = await freezeGrader(fsTree(dir.path), config);
  return {
    frozen,
    head,
    changes: graderChanges(frozen, head, subject.files),
    subject,
    [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose](),
  };
}

describe("graderChanges", () => {
  const rows: [string, Record<string, string>, string[]][] = [
    ["the test script rewritten", { "package.json": pkg({ test: "node -e 0", build: "tsc" }) }, ["test command"]],
    ["a pretest script added", { "package.json": pkg({ pretest: "exit 0", test: "node --test", build: "tsc" }) }, ["test command"]],
    ["the build script removed", { "package.json": pkg({ test: "node --test" }) }, ["build command"]],
    [
      "a lint script added (the base had none: detection, not a change)",
      { "package.json": pkg({ test: "node --test", build: "tsc", lint: "eslint ." }) },
      [],
    ],
    ["loki.yaml verify.test added", { "loki.yaml": "verify:\n  test: 'true'\n" }, ["loki.yaml verify.test"]],
    ["loki.yaml broken", { "loki.yaml": "verify: [\n" }, ["loki.yaml verify.(loki.yaml)", "loki.yaml (loki.yaml)"]],
    // The settings that decide how the runs after this diff are graded and confined are grading too.
    ["loki.yaml council turned off", { "loki.yaml": "council: false\n" }, ["loki.yaml council"]],
    [
      "loki.yaml held-out check and sandbox turned off",
      { "loki.yaml": "heldout: false\nsandbox: false\n" },
      ["loki.yaml heldout", "loki.yaml sandbox"],
    ],
    ["loki.yaml other keys only", { "loki.yaml": "max_iterations: 5\nmodel: opus\n" }, []],
    [
      "loki.yaml: a cheaper reviewer, a lower ceiling",
      { "loki.yaml": "models:\n  verify: claude-haiku-5-5\nmax_tier: fast\n" },
      ["loki.yaml max_tier", "loki.yaml models"],
    ],
    [
      "loki.yaml: the graders sent to another endpoint at a price of 0, every call on one model",
      {
        "loki.yaml":
          "providers:\n  claude:\n    base_url: https://agent.example\n    price: { input: 0, output: 0 }\nmodel_override: tiny\n",
      },
      ["loki.yaml model_override", "loki.yaml providers"],
    ],
    [".lokiignore added", { ".lokiignore": "src/\n" }, [".lokiignore"]],
    // loki reads only the root .lokiignore, and attributes from the base: these change no grading.
    ["a nested .lokiignore (never read)", { "src/.lokiignore": "*\n" }, []],
    ["a committed `* -diff` (attributes are the base's)", { ".gitattributes": "* -diff\n" }, []],
    ["a nested `*.js binary`", { "lib/.gitattributes": "*.js binary\n" }, []],
    ["only source changed", { "src/a.js": "2;\n" }, []],
    [
      "a script the test command calls, rewritten",
      { "package.json": pkg({ test: "npm run unit", unit: "node -e 0", build: "tsc" }) },
      ["test command"],
    ],
    [
      "a jest setting in package.json",
      { "package.json": JSON.stringify({ name: "x", scripts: { test: "node --test", build: "tsc" }, jest: { testMatch: [] } }) },
      ["package.json jest"],
    ],
    [
      "vitest.config.ts added",
      { "vitest.config.ts": "export default { test: { include: [] } };\n" },
      ["vitest.config.ts (test runner settings)"],
    ],
    [
      "a conftest.py reporting hook",
      { "conftest.py": "def pytest_runtest_makereport(item, call):\n    pass\n" },
      ["conftest.py (test runner settings)"],
    ],
    ["a conftest.py fixture only (test code)", { "conftest.py": "import pytest\n\n@pytest.fixture\ndef db():\n    return {}\n" }, []],
    [
      "pytest addopts in pyproject.toml",
      { "pyproject.toml": "[tool.pytest.ini_options]\naddopts = '-p no:x'\n" },
      ["pyproject.toml (test runner settings)"],
    ],
    ["pyproject.toml dependencies only", { "pyproject.toml": "[project]\nname = 'x'\n" }, []],
    ["a committed dependency is the gate's (see below)", { "node_modules/x/index.js": "1;\n" }, []],
  ];
  test.each(rows)("%s", async (_name, edit, whats) => {
    await using after = await changesAfter(edit);
    expect(after.changes.map((c) => c.what)).toEqual(whats);
  });

  test("a script the frozen test command calls, and a file it runs, are frozen too", async () => {
    const base = { "package.json": pkg({ test: "npm run unit && ./check.sh", unit: "node --test" }), "check.sh": "exit 1\n" };
    await using after = await changesAfter(
      { "package.json": pkg({ test: "npm run unit && ./check.sh", unit: "node -e 0" }), "check.sh": "exit 0\n" },
      base,
    );
    expect(after.frozen.scripts).toEqual({ unit: "node --test" });
    expect(Object.keys(after.frozen.files ?? {})).toEqual(["check.sh"]);
    expect(after.changes.map((c) => c.what)).toEqual([
      "package.json scripts.unit (run by a frozen command)",
      "check.sh (run by a frozen command)",
    ]);
  });

  test("greenfield: a base without a test command gets its runner settings from the agent — no change", async () => {
    await using after = await changesAfter(
      { "package.json": pkg({ test: "vitest run" }), "vitest.config.ts": "export default { test: {} };\n" },
      { "README.md": "# new\n" },
    );
    expect(after.changes).toEqual([]);
  });

  test("a Makefile target's recipe is frozen with the Makefile", async () => {
    const base = { Makefile: "test:\n\tpython3 -m pytest\n" };
    await using after = await changesAfter({ Makefile: "test:\n\ttrue\n" }, base);
    expect(after.changes.map((c) => c.what)).toEqual(["Makefile (run by a frozen command)"]);
  });

  test("a change says what it was and what it became", async () => {
    await using after = await changesAfter({ "package.json": pkg({ test: "node -e 0", build: "tsc" }) });
    expect(after.changes).toEqual([{ what: "test command", before: "node --test", after: "node -e 0" }]);
  });
});

describe("gradingProject", () => {
  test("frozen commands run; a role the base lacked is detected on the current tree; accepted → the head's", async () => {
    await using after = await changesAfter({}, { "package.json": pkg({ test: "node --test" }) });
    const { frozen } = after;
    await using now = await tmpdir({ files: { "package.json": pkg({ test: "node -e 0", build: "tsc -p ." }) } });
    const head = detectProject(now.path, config);
    const graded = gradingProject(frozen, head, false);
    expect(graded.test?.shell).toBe("node --test");
    expect(graded.test?.source).toMatch(/^package\.json scripts\.test \(frozen at commit [0-9a-f]{12}\)$/);
    expect(graded.build?.shell).toBe("tsc -p .");
    expect(graded.build?.source).toContain("detected on the current tree");
    expect(gradingProject(frozen, head, true).test?.shell).toBe("node -e 0");
  });

  test("verifySection reads loki.yaml's verify: mapping as written", () => {
    expect(verifySection("verify:\n  test: make check\n  build: make\nmodels: {}\n")).toEqual({ test: "make check", build: "make" });
    expect(verifySection(null)).toEqual({});
    expect(verifySection("budget_usd: 3\n")).toEqual({});
  });
});

describe("grader_config gate", () => {
  test("a committed dependency and a node_modules/.bin shim of a system tool fail the gate", async () => {
    await using committed = await changesAfter({ "node_modules/x/index.js": "1;\n" });
    const ctx = {
      subject: committed.subject,
      project: { kinds: [], test: null, build: null, lint: null },
      config,
      frozen: committed.frozen,
    };
    const [dependency] = await runGates([graderConfigGate], ctx);
    expect(dependency?.findings.map((f) => f.file)).toEqual(["node_modules/x/index.js"]);
    await using shim = await changesAfter({ "src/a.js": "2;\n" });
    mkdirSync(join(shim.subject.root, "node_modules", ".bin"), { recursive: true });
    writeFileSync(join(shim.subject.root, "node_modules", ".bin", "node"), "#!/bin/sh\nexit 0\n");
    const [shadow] = await runGates([graderConfigGate], { ...ctx, subject: shim.subject, frozen: shim.frozen, acceptConfigChange: true });
    expect(shadow?.status).toBe("fail");
    expect(shadow?.findings).toMatchObject([{ rule: "shadowed-system-tool", file: "node_modules/.bin/node" }]);
  });

  test("a run froze what was on disk (a git-ignored loki.yaml too): the head is read from disk, no false change", async () => {
    await using dir = await tmpdir({ commit: true, files: { ".gitignore": "loki.yaml\n", ...BASE } });
    writeFileSync(join(dir.path, "loki.yaml"), "verify:\n  test: node --test\n");
    const base = git(dir.path, ["rev-parse", "HEAD"]).trim();
    const frozen = await freezeGrader(fsTree(dir.path), config);
    expect(frozen).toMatchObject({ read_from: "working tree", verify: { test: "node --test" } });
    writeFileSync(join(dir.path, "src/a.js"), "2;\n");
    git(dir.path, ["commit", "-qam", "work"]);
    const subject = await readSubject(dir.path, base, { includeWorktree: false });
    const ctx = { subject, project: { kinds: [], test: null, build: null, lint: null }, config, frozen };
    expect((await runGates([graderConfigGate], ctx))[0]?.status).toBe("pass");
    writeFileSync(join(dir.path, "loki.yaml"), "verify:\n  test: 'true'\n");
    const [edited] = await runGates([graderConfigGate], ctx);
    expect(edited?.findings.map((f) => f.message.split(" (")[0])).toEqual(["loki.yaml verify.test changed in the graded diff"]);
  });

  test("fails high per change and says how to accept; accepted → pass naming what was accepted; unchanged → pass", async () => {
    await using after = await changesAfter({ "package.json": pkg({ test: "node -e 0", build: "tsc" }), ".lokiignore": "*\n" });
    const { frozen, subject } = after;
    const ctx = { subject, project: { kinds: [], test: null, build: null, lint: null }, config, frozen };
    const [refused] = await runGates([graderConfigGate], ctx);
    expect(refused?.status).toBe("fail");
    expect(refused?.findings.map((f) => [f.rule, f.severity, f.file])).toEqual([
      ["grader_config_changed", "high", undefined],
      ["grader_config_changed", "high", ".lokiignore"],
    ]);
    expect(refused?.reason).toContain("--accept-config-change");
    const [accepted] = await runGates([graderConfigGate], { ...ctx, acceptConfigChange: true });
    expect(accepted).toMatchObject({ status: "pass", findings: [] });
    expect(accepted?.reason).toBe("accepted change to the grading configuration (--accept-config-change): test command, .lokiignore");
    await using clean = await changesAfter({ "src/a.js": "3;\n" });
    const [pass] = await runGates([graderConfigGate], { ...ctx, subject: clean.subject, frozen: clean.frozen });
    expect(pass?.status).toBe("pass");
    const [skipped] = await runGates([graderConfigGate], { ...ctx, frozen: undefined });
    expect(skipped?.status).toBe("skipped");
  });
});
