// `loki verify` grades a pull request with its merge base's configuration: a diff that rewrites its
// test script, .lokiignore, .gitattributes or loki.yaml `verify:` is BLOCKED by grader_config (and
// graded with the base's commands anyway); the honest twins verify; a maintainer can accept.
import { describe, expect, test } from "bun:test";
import { Evidence } from "../../src/core/evidence-schema.ts";
import { loki } from "../helpers/cli.ts";
import { NODE_BREAK, NODE_FIX, NODE_PROJECT, verifyRepo } from "../helpers/verify-repo.ts";

const pkg = (test: string) => `${JSON.stringify({ name: "fixture", version: "1.0.0", private: true, scripts: { test } }, null, 2)}\n`;

async function verify(cwd: string, ...args: string[]) {
  const result = await loki(["verify", "main", "--json", ...args], { cwd });
  return { code: result.code, evidence: Evidence.parse(result.json()), stderr: result.stderr };
}

const gate = (evidence: Evidence, id: string) => evidence.gates.find((g) => g.id === id);

describe("frozen grading configuration (loki verify)", () => {
  test("honest twin: a fix with the base's own test script → VERIFIED, graded with the merge base's configuration", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, NODE_FIX);
    const { code, evidence } = await verify(repo.path);
    expect(code).toBe(0);
    expect(gate(evidence, "grader_config")).toMatchObject({ status: "pass" });
    expect(gate(evidence, "grader_config")?.reason).toContain("(test: bun test)");
    expect(evidence.grading).toEqual({ frozen_at: `merge base ${repo.base.slice(0, 12)}`, config_change_accepted: false });
  });

  test('a wrong implementation with `"test": "node -e 0"` → BLOCKED: the change is named and the base\'s tests still ran red', async () => {
    await using repo = await verifyRepo(NODE_PROJECT, { ...NODE_BREAK, "package.json": pkg("node -e 0") });
    const { code, evidence } = await verify(repo.path);
    expect(code).toBe(2);
    const grader = gate(evidence, "grader_config");
    expect(grader?.status).toBe("fail");
    expect(grader?.findings[0]).toMatchObject({ rule: "grader_config_changed", severity: "high" });
    expect(grader?.findings[0]?.message).toContain("test command changed in the graded diff (bun test → node -e 0)");
    expect(grader?.reason).toContain("loki verify --accept-config-change");
    // The frozen command ran, not the diff's: sum() multiplies, so the base's suite is red.
    expect(gate(evidence, "tests")?.status).toBe("fail");
  });

  test("loki.yaml verify.test rewritten in the diff → BLOCKED; the base's loki.yaml decides what runs", async () => {
    const base = { ...NODE_PROJECT, "loki.yaml": "verify:\n  test: node --test\n" };
    await using repo = await verifyRepo(base, { ...NODE_BREAK, "loki.yaml": "verify:\n  test: 'true'\n" });
    const { code, evidence } = await verify(repo.path);
    expect(code).toBe(2);
    expect(gate(evidence, "grader_config")?.findings.map((f) => f.message.split(" (")[0])).toContain(
      "loki.yaml verify.test changed in the graded diff",
    );
    expect(gate(evidence, "tests")?.status).toBe("fail");
  });

  test(".lokiignore added by the diff → BLOCKED naming it; a .gitattributes beside it changes nothing (the base's are read)", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, {
      ...NODE_FIX,
      ".lokiignore": "sum.js\n",
      "src/.gitattributes": "*.js -diff\n",
    });
    const { code, evidence } = await verify(repo.path);
    expect(code).toBe(2);
    const files = gate(evidence, "grader_config")?.findings.map((f) => f.file);
    expect(files).toEqual([".lokiignore"]);
  });

  test("honest twin: a .gitattributes line about line endings only is not a grading change", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, { ...NODE_FIX, ".gitattributes": "*.sh eol=lf\n" });
    const { code, evidence } = await verify(repo.path);
    expect(gate(evidence, "grader_config")?.status).toBe("pass");
    expect(code).toBe(0);
  });

  test("--accept-config-change: a maintainer accepts a legitimate script change; evidence and gate say so", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, { ...NODE_FIX, "package.json": pkg("node --test --test-concurrency=1") });
    const refused = await verify(repo.path);
    expect(refused.code).toBe(2);
    const accepted = await verify(repo.path, "--accept-config-change");
    expect(accepted.code).toBe(0);
    expect(gate(accepted.evidence, "grader_config")?.reason).toStartWith("accepted change to the grading configuration");
    expect(accepted.evidence.grading?.config_change_accepted).toBe(true);
  });

  test("greenfield: a base with no test command gets the head's, detected and named as such", async () => {
    await using repo = await verifyRepo({ "README.md": "# new\n" }, { ...NODE_PROJECT, ...NODE_FIX });
    const { code, evidence } = await verify(repo.path);
    expect(gate(evidence, "grader_config")?.status).toBe("pass");
    expect(gate(evidence, "tests")?.status).toBe("pass");
    expect(gate(evidence, "tests")?.reason).toContain("detected on the current tree");
    expect(code).toBe(0);
  });
});
