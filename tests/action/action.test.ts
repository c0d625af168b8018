// action.yml, run for real: each step's `run:` script with its `env:` mapped from the inputs (as the
// runner does), in throwaway PR-like repos with GITHUB_OUTPUT and GITHUB_BASE_REF: the input check,
// the `loki verify` step's outputs, and the grading per exit code and `fail-on`.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { sarifErrors } from "../helpers/formats.ts";
import { readAction, ROOT, runActionStep, type StepOptions } from "../helpers/action-step.ts";
import { git } from "../helpers/tmp.ts";
import { FAKE_AWS_KEY, NODE_FIX, NODE_PROJECT, verifyRepo } from "../helpers/verify-repo.ts";

setDefaultTimeout(60_000);

const action = readAction();
const NO_LABELS = { "toJSON(github.event.pull_request.labels.*.name)": "null" };
const verify = (cwd: string, options: StepOptions = {}) =>
  runActionStep("loki verify", cwd, { ...options, expressions: { ...NO_LABELS, ...options.expressions } });

describe("action.yml", () => {
  test("is a composite action with the documented inputs and outputs; inputs are checked before anything is installed", () => {
    expect(action.runs.using).toBe("composite");
    expect(Object.keys(action.inputs)).toEqual([
      "base",
      "block-on",
      "baseline",
      "args",
      "upload-sarif",
      "fail-on",
      "secret-scanner",
      "accept-config-change-label",
      "node-version",
    ]);
    expect(action.inputs["block-on"]?.default).toBe("critical,high");
    expect(action.inputs["secret-scanner"]?.default).toBe("builtin");
    expect(Object.keys(action.outputs)).toEqual(["verdict", "exit-code", "evidence", "sarif", "junit"]);
    expect(action.runs.steps[0]?.name).toBe("Check inputs");
    const upload = action.runs.steps.find((s) => s.uses?.startsWith("github/codeql-action/upload-sarif@"));
    expect(upload?.if).toContain("inputs.upload-sarif == 'true'");
    expect(upload?.with?.sarif_file).toBe("${{ steps.verify.outputs.sarif }}");
  });

  test("the verify step grades the PR against origin/<base ref> and reports its outputs", async () => {
    await using repo = await verifyRepo(
      NODE_PROJECT,
      { ...NODE_FIX, "src/config.js": `exports.key = "${FAKE_AWS_KEY}";\n` },
      { origin: true },
    );
    const cwd = realpathSync(repo.path);
    const result = await verify(cwd, {
      inputs: { args: "--skip deps  --scope diff" },
      env: { GITHUB_BASE_REF: "main", GITHUB_ACTIONS: "true" },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^loki verify: origin\/main \(explicit/);
    expect(result.stdout).toMatch(/^::error file=src\/config\.js,line=1,/m);
    const evidence = join(cwd, ".loki", "verify", "evidence.json");
    expect(result.outputFile).toBe(
      `exit-code=2\nverdict=BLOCKED\nevidence=${evidence}\nsarif=${cwd}/loki.sarif\njunit=${cwd}/loki-junit.xml\n`,
    );
    expect(JSON.parse(readFileSync(evidence, "utf8"))).toMatchObject({ verdict: "BLOCKED", exit_code: 2 });
    expect(result.summary).toContain("BLOCKED");
    expect(sarifErrors(JSON.parse(readFileSync(join(cwd, "loki.sarif"), "utf8")))).toEqual([]);
    expect(readFileSync(join(cwd, "loki-junit.xml"), "utf8")).toContain('<testsuite name="loki verify"');
  });

  test("a PR that rewrites its test script is BLOCKED; the maintainer's label (not the PR's files) accepts it", async () => {
    const pkg = `${JSON.stringify({ name: "fixture", private: true, scripts: { test: "node --test --test-concurrency=1" } })}\n`;
    await using repo = await verifyRepo(NODE_PROJECT, { ...NODE_FIX, "package.json": pkg }, { origin: true });
    const run = (labels: string) =>
      verify(repo.path, {
        inputs: { args: "--skip deps" },
        expressions: { "toJSON(github.event.pull_request.labels.*.name)": labels },
        env: { GITHUB_BASE_REF: "main" },
      });
    const refused = await run('["bug"]');
    expect(refused.stdout).toContain("grader_config");
    expect(refused.stdout).toContain("--accept-config-change");
    expect(refused.outputs.verdict).toBe("BLOCKED");
    expect((await run('["bug", "loki-accept-config-change"]')).outputs.verdict).toBe("VERIFIED");
  });

  test("a bad flag: exit code 3, and no verdict or evidence (not even the previous run's)", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, NODE_FIX, { origin: true });
    const graded = await verify(repo.path, { inputs: { args: "--only diff" }, env: { GITHUB_BASE_REF: "main" } });
    expect(graded.outputs).toMatchObject({ "exit-code": "0", verdict: "VERIFIED" });
    const result = await verify(repo.path, { inputs: { args: "--scope sideways" }, env: { GITHUB_BASE_REF: "main" } });
    expect(result.code).toBe(0);
    expect(existsSync(join(repo.path, ".loki", "verify", "evidence.json"))).toBe(true);
    expect(result.outputFile).toBe("exit-code=3\nverdict=\nevidence=\nsarif=\njunit=\n");
  });

  test("a shallow clone without the merge base: exit code 3 and an annotation that asks for fetch-depth: 0", async () => {
    await using repo = await verifyRepo({ "a.txt": "a\n" }, undefined, { origin: true });
    repo.commit({ "feature.txt": "f\n" });
    git(repo.path, ["push", "-q", "origin", "feature"]);
    git(repo.path, ["checkout", "-q", "main"]);
    repo.commit({ "b.txt": "b\n" }, "main moves on");
    git(repo.path, ["push", "-q", "origin", "main"]);
    const shallow = join(repo.root, "shallow");
    git(repo.root, ["clone", "-q", "--depth", "1", "--branch", "feature", `file://${join(repo.root, "origin.git")}`, shallow]);
    git(shallow, ["fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main"]);
    const result = await verify(shallow, { env: { GITHUB_BASE_REF: "main" } });
    expect(result.outputs["exit-code"]).toBe("3");
    expect(result.stderr).toContain("::error title=loki verify::shallow clone");
    expect(result.stderr).toContain("fetch-depth: 0");
  });

  test("the grading step: fail-on blocked tolerates CONCERNS, fail-on concerns does not", async () => {
    const grade = async (code: string, failOn: string) =>
      runActionStep("Grade", ROOT, { inputs: { "fail-on": failOn }, expressions: { "steps.verify.outputs.exit-code": code } });
    const codes = async (failOn: string, exits: string[]) => Promise.all(exits.map(async (c) => (await grade(c, failOn)).code));
    expect(await codes("blocked", ["0", "1", "2", "3", ""])).toEqual([0, 0, 2, 3, 3]);
    expect(await codes("concerns", ["0", "1", "2", "3"])).toEqual([0, 1, 2, 3]);
    expect((await grade("1", "blocked")).stdout).toContain("::warning title=loki verify::CONCERNS");
    expect((await grade("2", "blocked")).stderr).toContain("::error title=loki verify::BLOCKED");
  });
});

describe("action.yml: the input check", () => {
  test("the defaults pass, and it derives the cache keys: the lockfile's hash and the pinned gitleaks", async () => {
    const result = await runActionStep("Check inputs", ROOT, { inputs: { "block-on": " critical , high,medium " } });
    expect(result.code).toBe(0);
    const lock = createHash("sha256")
      .update(readFileSync(join(ROOT, "package-lock.json")))
      .digest("hex");
    expect(result.outputs).toEqual({ "lock-hash": lock, "gitleaks-version": "8.30.0" });
  });

  test.each([
    ["fail-on", "sometimes", "input fail-on: unknown value 'sometimes' (one of: blocked concerns)"],
    ["fail-on", "", "input fail-on: unknown value '' (one of: blocked concerns)"],
    ["upload-sarif", "yes", "input upload-sarif: unknown value 'yes' (one of: true false)"],
    ["upload-sarif", "True", "input upload-sarif: unknown value 'True' (one of: true false)"],
    ["secret-scanner", "trufflehog", "input secret-scanner: unknown value 'trufflehog' (one of: builtin gitleaks)"],
    ["block-on", "critical,severe", "input block-on: unknown value 'severe' (one of: critical high medium low info)"],
    ["block-on", " , ", "input block-on: empty"],
  ])("%s: %p is rejected with an ::error:: before anything is installed", async (input, value, message) => {
    const result = await runActionStep("Check inputs", ROOT, { inputs: { [input]: value } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`::error title=loki verify::${message}`);
    expect(result.outputFile).toBe("");
  });
});

test("docs/ci.md shows fetch-depth: 0 for GitHub and GIT_DEPTH: 0 for GitLab", () => {
  const doc = readFileSync(join(ROOT, "docs", "ci.md"), "utf8");
  expect(doc).toContain("fetch-depth: 0");
  expect(doc).toContain("GIT_DEPTH: 0");
});
