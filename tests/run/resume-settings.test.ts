// A run's grading and sandbox settings are fixed at its start. The agent can write loki.yaml: one
// that turns held-out evaluation, the council and the sandbox off there gains nothing at the next
// `loki resume` (which says so). Its honest twin resumes with no warning and verifies; a flag given
// to resume still wins.
import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PRD_MATH4, scenarioRepo } from "../helpers/scenario.ts";

const KEPT = "a run keeps its grading and sandbox settings";

describe("loki resume keeps the settings the run started with", () => {
  test("adversarial: an agent that unsets held-out, council and sandbox in loki.yaml still faces all three after resume", async () => {
    await using s = await scenarioRepo("unset-grading", "", { FAKE_JUDGE: "check-functions" }, PRD_MATH4);
    const first = await s.loki(["start", "prd.md", "--max-iterations", "1"]);
    expect(first.code, first.stderr).toBe(2);
    expect(readFileSync(join(s.path, "loki.yaml"), "utf8")).toContain("council: false");
    expect(s.orchestrator().settings).toEqual({
      heldout: true,
      council: true,
      sandbox: true,
      allow_root: true,
      models: {},
      max_tier: "planning",
      model: null,
      fallback_model: null,
      providers: {},
      model_override: null,
      endpoints: {},
      trackers: { github: {}, gitlab: {}, jira: {}, azure: {}, retries: 3, max_retry_wait_seconds: 30 },
    });

    const resumed = await s.loki(["resume", "--max-iterations", "2"]);
    expect(resumed.code, resumed.stderr).toBe(2);
    expect(resumed.stderr).toContain(KEPT);
    for (const key of ["heldout: false (the run keeps true)", "council: false (the run keeps true)", "sandbox: false (the run keeps true)"])
      expect(resumed.stderr).toContain(key);
    const state = s.orchestrator();
    expect(state.iteration).toBe(2);
    expect(state.sandboxed).toBe(true);
    expect(state.outcome).not.toBe("verified");
    // And the loki.yaml edit itself is a change to how the runs after it are graded: the grader_config
    // gate blocks it, naming each setting, before any ship-gate stage could pass.
    const gates = JSON.parse(readFileSync(join(s.path, ".loki", "iterations", "2", "gates.json"), "utf8")) as {
      id: string;
      status: string;
      findings: { message: string }[];
    }[];
    const grader = gates.find((g) => g.id === "grader_config");
    expect(grader?.status).toBe("fail");
    for (const key of ["council", "heldout", "sandbox"])
      expect(grader?.findings.map((f) => f.message).join("\n")).toContain(`loki.yaml ${key} changed in the graded diff`);
  }, 120_000);

  test("a state from before the settings were saved takes them from the start commit's loki.yaml", async () => {
    await using s = await scenarioRepo("unset-grading", "", { FAKE_JUDGE: "check-functions" }, PRD_MATH4);
    const first = await s.loki(["start", "prd.md", "--max-iterations", "1"]);
    expect(first.code, first.stderr).toBe(2);
    const file = join(s.path, ".loki", "state", "orchestrator.json");
    const { settings: _saved, ...older } = JSON.parse(readFileSync(file, "utf8"));
    writeFileSync(file, JSON.stringify(older));
    const resumed = await s.loki(["resume", "--max-iterations", "2"]);
    expect(resumed.code, resumed.stderr).toBe(2);
    expect(resumed.stderr).toContain("council: false (the run keeps true)");
    expect(s.orchestrator().sandboxed).toBe(true);
  }, 120_000);

  test("honest twin: an unchanged loki.yaml resumes without a warning and the run verifies", async () => {
    await using s = await scenarioRepo("break-then-fix", "", {}, PRD_MATH4);
    const first = await s.loki(["start", "prd.md", "--max-iterations", "1"]);
    expect(first.code, first.stderr).toBe(2);
    const resumed = await s.loki(["resume", "--max-iterations", "3"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).not.toContain(KEPT);
    expect(s.orchestrator()).toMatchObject({ outcome: "verified", sandboxed: true });
    expect(s.proof().payload.headline.verdict).toBe("VERIFIED");
  }, 120_000);

  test("a flag given to resume still wins: --no-sandbox resumes unsandboxed, and the run is marked so", async () => {
    await using s = await scenarioRepo("break-then-fix", "", {}, PRD_MATH4);
    const first = await s.loki(["start", "prd.md", "--max-iterations", "1"]);
    expect(first.code, first.stderr).toBe(2);
    const resumed = await s.loki(["resume", "--max-iterations", "3", "--no-sandbox"]);
    expect(resumed.stderr).not.toContain(KEPT);
    expect(s.orchestrator().sandboxed).toBe(false);
  }, 120_000);
});
