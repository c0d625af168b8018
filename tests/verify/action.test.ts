// action.yml, run for real: its `loki verify` step's shell script in a throwaway PR-like repo (as
// the runner would, with GITHUB_OUTPUT and GITHUB_BASE_REF), and its grading step per exit code.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse } from "yaml";
import { sarifErrors } from "../helpers/formats.ts";
import { FAKE_AWS_KEY, NODE_FIX, NODE_PROJECT, verifyRepo } from "../helpers/verify-repo.ts";

setDefaultTimeout(60_000);

const ROOT = resolve(import.meta.dir, "..", "..");
type Step = {
  name: string;
  id?: string;
  uses?: string;
  if?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
};
type Action = {
  inputs: Record<string, { default: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
};
const action = parse(readFileSync(join(ROOT, "action.yml"), "utf8")) as Action;
const step = (name: string): Step => {
  const found = action.runs.steps.find((s) => s.name === name);
  if (!found?.run) throw new Error(`no run step ${name}`);
  return found;
};

function bash(script: string, cwd: string, env: Record<string, string>): { code: number; stdout: string; stderr: string } {
  const PATH = `${dirname(process.execPath)}:${join(ROOT, "node_modules", ".bin")}:${process.env.PATH ?? ""}`;
  const result = Bun.spawnSync(["bash", "-e", "-c", script], { cwd, env: { ...process.env, PATH, ...env }, stdin: "ignore" });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

describe("action.yml", () => {
  test("is a composite action with the documented inputs and outputs", () => {
    expect(action.runs.using).toBe("composite");
    expect(Object.keys(action.inputs)).toEqual([
      "base",
      "block-on",
      "baseline",
      "args",
      "upload-sarif",
      "fail-on",
      "accept-config-change-label",
      "node-version",
    ]);
    expect(action.inputs["block-on"]?.default).toBe("critical,high");
    expect(Object.keys(action.outputs)).toEqual(["verdict", "exit-code", "sarif"]);
    const upload = action.runs.steps.find((s) => s.uses?.startsWith("github/codeql-action/upload-sarif@"));
    expect(upload?.if).toContain("inputs.upload-sarif == 'true'");
    expect(upload?.with?.sarif_file).toBe("loki.sarif");
  });

  test("the verify step grades the PR against origin/<base ref> and reports its outputs", async () => {
    await using repo = await verifyRepo(
      NODE_PROJECT,
      { ...NODE_FIX, "src/config.js": `exports.key = "${FAKE_AWS_KEY}";\n` },
      { origin: true },
    );
    const output = join(repo.root, "github-output");
    const verify = step("loki verify");
    const env = {
      LOKI_HOME: ROOT,
      LOKI_BASE: "",
      LOKI_BLOCK_ON: "critical,high",
      LOKI_BASELINE: "",
      LOKI_ARGS: "--skip deps  --scope diff",
      GITHUB_BASE_REF: "main",
      GITHUB_OUTPUT: output,
      GITHUB_ACTIONS: "true",
    };
    const result = bash(verify.run ?? "", repo.path, env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^loki verify: origin\/main \(explicit/);
    expect(result.stdout).toMatch(/^::error file=src\/config\.js,line=1,/m);
    expect(readFileSync(output, "utf8")).toBe("exit-code=2\nverdict=BLOCKED\nsarif=loki.sarif\n");
    expect(sarifErrors(JSON.parse(readFileSync(join(repo.path, "loki.sarif"), "utf8")))).toEqual([]);
    expect(readFileSync(join(repo.path, "loki-junit.xml"), "utf8")).toContain('<testsuite name="loki verify"');
  });

  test("a PR that rewrites its test script is BLOCKED; the maintainer's label (not the PR's files) accepts it", async () => {
    const pkg = `${JSON.stringify({ name: "fixture", private: true, scripts: { test: "node --test --test-concurrency=1" } })}\n`;
    await using repo = await verifyRepo(NODE_PROJECT, { ...NODE_FIX, "package.json": pkg }, { origin: true });
    const output = join(repo.root, "github-output");
    const run = (labels: string) =>
      bash(step("loki verify").run ?? "", repo.path, {
        LOKI_HOME: ROOT,
        LOKI_BASE: "",
        LOKI_BLOCK_ON: "critical,high",
        LOKI_BASELINE: "",
        LOKI_ARGS: "--skip deps",
        LOKI_ACCEPT_LABEL: "loki-accept-config-change",
        LOKI_PR_LABELS: labels,
        GITHUB_BASE_REF: "main",
        GITHUB_OUTPUT: output,
      });
    const refused = run('["bug"]');
    expect(refused.stdout).toContain("grader_config");
    expect(refused.stdout).toContain("--accept-config-change");
    expect(readFileSync(output, "utf8")).toContain("verdict=BLOCKED");
    run('["bug", "loki-accept-config-change"]');
    expect(readFileSync(output, "utf8")).toContain("verdict=VERIFIED");
  });

  test("a bad flag: exit code 3 and no verdict", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, NODE_FIX, { origin: true });
    const output = join(repo.root, "github-output");
    const result = bash(step("loki verify").run ?? "", repo.path, {
      LOKI_HOME: ROOT,
      LOKI_BASE: "",
      LOKI_BLOCK_ON: "severe",
      LOKI_BASELINE: "",
      LOKI_ARGS: "",
      GITHUB_OUTPUT: output,
    });
    expect(result.code).toBe(0);
    expect(readFileSync(output, "utf8")).toBe("exit-code=3\nverdict=\nsarif=loki.sarif\n");
  });

  test("the grading step: fail-on blocked tolerates CONCERNS, fail-on concerns does not", () => {
    const grade = step("Grade").run ?? "";
    const run = (code: string, failOn: string) => bash(grade, ROOT, { CODE: code, FAIL_ON: failOn }).code;
    expect([run("0", "blocked"), run("1", "blocked"), run("2", "blocked"), run("3", "blocked")]).toEqual([0, 0, 2, 3]);
    expect([run("0", "concerns"), run("1", "concerns"), run("2", "concerns")]).toEqual([0, 1, 2]);
  });

  test("docs/ci.md shows fetch-depth: 0 for GitHub and GIT_DEPTH: 0 for GitLab", () => {
    const doc = readFileSync(join(ROOT, "docs", "ci.md"), "utf8");
    expect(doc).toContain("fetch-depth: 0");
    expect(doc).toContain("GIT_DEPTH: 0");
  });
});
