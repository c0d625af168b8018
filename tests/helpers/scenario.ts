// A throwaway project for loop scenarios: an ES-module repo whose node:test tests run with `bun test`
// (about a fifth of node --test's CPU per run; tests about node's runner pin it with packageJson), a
// PRD, loop settings in loki.yaml, and the scripted fake `claude` first on PATH.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CostEntry, LokiEvent, OrchestratorState, Completion, RunIntegrityFile } from "../../src/core/run-schema.ts";
import { readJsonl, userHome } from "../../src/core/workspace.ts";
import { CouncilRound, Evidence, TrustEvent } from "../../src/core/evidence-schema.ts";
import { GateResult } from "../../src/core/schema.ts";
import { ProofFile } from "../../src/core/proof-schema.ts";
import { loki, type CliResult } from "./cli.ts";
import { cliBundle } from "./cli-bundle.ts";
import { tmpdir, type TmpDir } from "./tmp.ts";

const AGENTS = resolve(import.meta.dir, "..", "fixtures", "agents");

export const PRD = `# Math helpers

## Acceptance criteria
- [ ] add(a, b) returns the sum of two numbers
- [ ] sub(a, b) returns the difference of two numbers
- [ ] math.js exports both functions as ES modules
- [ ] every function has a unit test run by npm test
`;

function mkdirs(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

export type Scenario = TmpDir & {
  state: string;
  /** The fake codex's memory (its own state dir). */
  codexState: string;
  /** Lets the fake claude's calls held by HELD go on (this one and every later one). */
  release: () => void;
  env: Record<string, string>;
  loki: (args: string[], extraEnv?: Record<string, string>) => Promise<CliResult>;
  events: () => LokiEvent[];
  ledger: () => CostEntry[];
  orchestrator: () => OrchestratorState;
  /** .loki/state/integrity.json: the fingerprints the run's (re)start took. */
  integrity: () => RunIntegrityFile;
  completion: () => Completion;
  council: (round: number) => CouncilRound;
  /** .loki/iterations/<n>/gates.json: each gate's result in that iteration. */
  gates: (iteration: number) => GateResult[];
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

/** A correct solution of PRD_MATH4 and its tests, for scripted model answers. */
export const MATH4 = `export const add = (a, b) => a + b;
export const sub = (a, b) => a - b;
export const mul = (a, b) => a * b;
export const div = (a, b) => a / b;
`;
export const MATH4_TESTS = `import { test } from "node:test";
import assert from "node:assert";
import { add, sub, mul, div } from "./math.js";
test("add", () => assert.strictEqual(add(6, 3), 9));
test("sub", () => assert.strictEqual(sub(6, 3), 3));
test("mul", () => assert.strictEqual(mul(6, 3), 18));
test("div", () => assert.strictEqual(div(6, 3), 2));
`;

/**
 * loki.yaml for a scenario about something other than the ship gate: no council. Its reviewers, review
 * copies and verdicts have their own tests (tests/review/, scenarios.test.ts); here they would be about
 * a third of each run's processes.
 */
export const NO_COUNCIL = "council: false\n";

/** Env for a scenario whose fake claude holds every call until the test calls `release()`: a test acts
 *  while a call is surely under way, and the run goes on the moment it is done (no fixed sleep). */
export const HELD = { FAKE_AGENT_HOLD: "release" };

/** The scenario repo's package.json, with `test` as its test script. */
export const packageJson = (test: string) => JSON.stringify({ name: "math", type: "module", private: true, scripts: { test } }, null, 2);

export async function scenarioRepo(
  scenario: string,
  config = "",
  env: Record<string, string> = {},
  prd = PRD,
  files: Record<string, string> = {},
): Promise<Scenario> {
  const dir = await tmpdir({
    commit: true,
    files: {
      "package.json": packageJson("bun test"),
      "prd.md": prd,
      // The global memory store (~/.loki/memory) is shared by every scenario of a test file (one HOME per
      // file): off unless a test turns it on, so one test's learnings never reach another's prompts.
      "loki.yaml": `backoff_base_seconds: 0.01\nbackoff_max_seconds: 0.05\nallow_root: true\n${/^memory:/m.test(config) ? "" : "memory:\n  global: false\n"}${config}`,
      ".gitignore": "node_modules/\n",
      ...files,
    },
  });
  // The fake agents' memory (call counts, argv, prompts) stands in for a model server's: it lives in
  // each provider's own state dir, the one place besides the repo and scratch the sandbox lets a CLI write.
  const state = mkdtempSync(join(mkdirs(join(userHome(), ".claude")), "fake-agent-"));
  const codexState = mkdtempSync(join(mkdirs(join(userHome(), ".codex")), "fake-agent-"));
  const fullEnv = {
    PATH: `${AGENTS}:${process.env.PATH}`,
    FAKE_BUN: process.execPath,
    FAKE_AGENT_SCENARIO: scenario,
    FAKE_AGENT_STATE: state,
    FAKE_CODEX_STATE: codexState,
    ANTHROPIC_API_KEY: "test-key",
    ...env,
  };
  const ws = (...parts: string[]) => join(dir.path, ".loki", ...parts);
  return {
    ...dir,
    state,
    codexState,
    release: () => writeFileSync(join(state, HELD.FAKE_AGENT_HOLD), ""),
    env: fullEnv,
    loki: (args, extraEnv = {}) => loki(args, { cwd: dir.path, env: { ...fullEnv, ...extraEnv } }),
    events: () => readJsonl(ws("events.jsonl"), LokiEvent),
    ledger: () => readJsonl(ws("metrics", "cost.jsonl"), CostEntry),
    orchestrator: () => OrchestratorState.parse(JSON.parse(readFileSync(ws("state", "orchestrator.json"), "utf8"))),
    integrity: () => RunIntegrityFile.parse(JSON.parse(readFileSync(ws("state", "integrity.json"), "utf8"))),
    completion: () => Completion.parse(JSON.parse(readFileSync(ws("state", "completion.json"), "utf8"))),
    council: (round) => CouncilRound.parse(JSON.parse(readFileSync(ws("council", `round-${round}.json`), "utf8"))),
    gates: (iteration) => GateResult.array().parse(JSON.parse(readFileSync(ws("iterations", String(iteration), "gates.json"), "utf8"))),
    trustEvents: () => readJsonl(ws("metrics", "trust-events.jsonl"), TrustEvent),
    evidence: () => Evidence.parse(JSON.parse(readFileSync(ws("verify", "evidence.json"), "utf8"))),
    proof: () => {
      const runId = Completion.parse(JSON.parse(readFileSync(ws("state", "completion.json"), "utf8"))).run_id;
      return ProofFile.parse(JSON.parse(readFileSync(ws("proofs", runId, "proof.json"), "utf8")));
    },
    reviews: () =>
      existsSync(join(state, "reviews.jsonl"))
        ? readFileSync(join(state, "reviews.jsonl"), "utf8")
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l) as { first: string; cwd: string })
        : [],
  };
}

/** `loki <args>` started in the scenario's repo and not awaited: the test acts while it runs. */
export function spawnLoki(s: Scenario, args: string[], extraEnv: Record<string, string> = {}) {
  return Bun.spawn([process.execPath, cliBundle(), ...args], {
    cwd: s.path,
    env: { ...process.env, ...s.env, ...extraEnv },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
}

/** Waits until `check` holds (polling every 25 ms); throws after `ms`. */
export async function until(check: () => boolean, ms = 20_000): Promise<void> {
  for (const deadline = Date.now() + ms; !check(); await Bun.sleep(25))
    if (Date.now() > deadline) throw new Error("condition not reached in time");
}

export function agentPrompt(s: Scenario, call: number): string {
  return readFileSync(join(s.state, `prompt-${call}.txt`), "utf8");
}

/** Live (not zombie) processes on this host whose command line is exactly `argv`. */
export function processesWith(argv: string[]): number[] {
  const wanted = `${argv.join("\0")}\0`;
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8") === wanted && alive(Number(pid));
      } catch {
        return false;
      }
    })
    .map(Number);
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
