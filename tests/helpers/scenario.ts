// A throwaway project for loop scenarios: a Node repo whose tests run with `node --test`, a PRD,
// loop settings in loki.yaml, and the scripted fake `claude` first on PATH.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir as osTmp } from "node:os";
import { join, resolve } from "node:path";
import { CostEntry, LokiEvent, OrchestratorState, Completion } from "../../src/core/run-schema.ts";
import { readJsonl } from "../../src/core/workspace.ts";
import { CouncilRound, Evidence, TrustEvent } from "../../src/core/evidence-schema.ts";
import { ProofFile } from "../../src/core/proof-schema.ts";
import { loki, type CliResult } from "./cli.ts";
import { tmpdir, type TmpDir } from "./tmp.ts";

const AGENTS = resolve(import.meta.dir, "..", "fixtures", "agents");

export const PRD = `# Math helpers

## Acceptance criteria
- [ ] add(a, b) returns the sum of two numbers
- [ ] sub(a, b) returns the difference of two numbers
- [ ] math.js exports both functions as ES modules
- [ ] every function has a unit test run by npm test
`;

export type Scenario = TmpDir & {
  state: string;
  env: Record<string, string>;
  loki: (args: string[], extraEnv?: Record<string, string>) => Promise<CliResult>;
  events: () => LokiEvent[];
  ledger: () => CostEntry[];
  orchestrator: () => OrchestratorState;
  completion: () => Completion;
  council: (round: number) => CouncilRound;
  trustEvents: () => TrustEvent[];
  reviews: () => { first: string; cwd: string }[];
  /** .loki/verify/evidence.json and the run's proof.json, as a teammate would read them. */
  evidence: () => Evidence;
  proof: () => ProofFile;
};

/** Four items, so one is held out: an honest agent builds all four, a literal one only what it sees. */
export const PRD_MATH4 = `# Math helpers

A tiny ES-module math library with add, sub, mul and div, each with a unit test.

## Acceptance criteria
- [ ] add(a, b) returns the sum of two numbers
- [ ] sub(a, b) returns the difference of two numbers
- [ ] mul(a, b) returns the product of two numbers
- [ ] div(a, b) returns the quotient of two numbers
`;

export async function scenarioRepo(scenario: string, config = "", env: Record<string, string> = {}, prd = PRD, files: Record<string, string> = {}): Promise<Scenario> {
  const dir = await tmpdir({
    commit: true,
    files: {
      "package.json": JSON.stringify({ name: "math", type: "module", private: true, scripts: { test: "node --test" } }, null, 2),
      "prd.md": prd,
      "loki.yaml": `backoff_base_seconds: 0.01\nbackoff_max_seconds: 0.05\nallow_root: true\n${config}`,
      ".gitignore": "node_modules/\n",
      ...files,
    },
  });
  const state = mkdtempSync(join(osTmp(), "loki-agent-state-"));
  const fullEnv = { PATH: `${AGENTS}:${process.env.PATH}`, FAKE_BUN: process.execPath, FAKE_AGENT_SCENARIO: scenario, FAKE_AGENT_STATE: state, ANTHROPIC_API_KEY: "test-key", ...env };
  const ws = (...parts: string[]) => join(dir.path, ".loki", ...parts);
  return {
    ...dir,
    state,
    env: fullEnv,
    loki: (args, extraEnv = {}) => loki(args, { cwd: dir.path, env: { ...fullEnv, ...extraEnv } }),
    events: () => readJsonl(ws("events.jsonl"), LokiEvent),
    ledger: () => readJsonl(ws("metrics", "cost.jsonl"), CostEntry),
    orchestrator: () => OrchestratorState.parse(JSON.parse(readFileSync(ws("state", "orchestrator.json"), "utf8"))),
    completion: () => Completion.parse(JSON.parse(readFileSync(ws("state", "completion.json"), "utf8"))),
    council: (round) => CouncilRound.parse(JSON.parse(readFileSync(ws("council", `round-${round}.json`), "utf8"))),
    trustEvents: () => readJsonl(ws("metrics", "trust-events.jsonl"), TrustEvent),
    evidence: () => Evidence.parse(JSON.parse(readFileSync(ws("verify", "evidence.json"), "utf8"))),
    proof: () => {
      const runId = Completion.parse(JSON.parse(readFileSync(ws("state", "completion.json"), "utf8"))).run_id;
      return ProofFile.parse(JSON.parse(readFileSync(ws("proofs", runId, "proof.json"), "utf8")));
    },
    reviews: () => (existsSync(join(state, "reviews.jsonl")) ? readFileSync(join(state, "reviews.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { first: string; cwd: string }) : []),
  };
}

export function agentPrompt(s: Scenario, call: number): string {
  return readFileSync(join(s.state, `prompt-${call}.txt`), "utf8");
}

/** Whether a process exists and is not a zombie. */
export function alive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, "utf8").split(" ")[2]?.startsWith("Z");
  } catch {
    return false;
  }
}
