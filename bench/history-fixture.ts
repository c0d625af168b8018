// A throwaway repository holding N runs of history, each recorded by loki's own writers (the run
// record and its ledger, the trust sink, the council file, writeCompletion, writeProof): iterations
// with gate rounds, council rounds, held-out judging and several agent calls each, for bench/history.ts.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/core/config.ts";
import { CouncilRound, type ReviewerRecord } from "../src/core/evidence-schema.ts";
import { CostEntry, type Outcome } from "../src/core/run-schema.ts";
import { GateResult, SCHEMA_VERSION, Spec } from "../src/core/schema.ts";
import { appendJsonlMany, ensureWorkspace, readJsonl, type Workspace, workspaceAt, writeJson } from "../src/core/workspace.ts";
import { readSubject } from "../src/gates/diff.ts";
import { initialState, openRunRecord, type RunRecord } from "../src/loop/run-state.ts";
import { trust, trustAll } from "../src/loop/trust-sink.ts";
import { writeProof } from "../src/proof/assemble.ts";
import { writeCompletion } from "../src/run/completion.ts";
import { commitHeldOut } from "../src/spec/heldout.ts";
import { readSpec } from "../src/spec/read.ts";

const PRD = `# Invoice service\n\n${Array.from({ length: 8 }, (_, i) => `- [ ] endpoint ${i + 1} returns the invoice total with tax for region ${i + 1}`).join("\n")}\n`;
const GATES = ["diff", "tests", "build", "lint", "secrets", "static", "tamper", "grader_config", "drift"];
const OUTCOMES: Outcome[] = ["verified", "verified", "verified", "verified", "stalled", "max_iterations", "budget_exceeded", "verified"];

function git(cwd: string, args: string[]): void {
  const result = Bun.spawnSync(["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", ...args], { cwd, stdin: "ignore" });
  if (result.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr.toString()}`);
}

/** What one run leaves: its shape is fixed by its index, so every fixture is the same history. */
function shapeOf(i: number) {
  return { iterations: 2 + (i % 5), outcome: OUTCOMES[i % OUTCOMES.length] as Outcome, finished: i % 50 !== 49, resumed: i % 40 === 7 };
}

const gateRound = (i: number, it: number, last: boolean): GateResult[] =>
  GATES.map((id, g) => ({
    id,
    title: `${id} gate`,
    status: last || (g + i + it) % 4 !== 0 ? (id === "drift" ? "skipped" : "pass") : "fail",
    reason: `${id}: ${last ? "ok" : `iteration ${it} of run ${i}`}`,
    duration_ms: 40 + g * 7,
    findings: [],
  }));

const reviewer = (role: string, verdict: ReviewerRecord["verdict"], round: number): ReviewerRecord => ({
  role,
  provider: "claude",
  model: "claude-sonnet-5-5",
  verdict,
  findings: verdict === "REJECT" ? [{ severity: "medium", file: "src/invoice.ts", line: 12, message: "tax is rounded twice" }] : [],
  items: [],
  note: null,
  mutation: false,
  transcript: `council/round-${round}-${role}.jsonl`,
  usd: 0.041,
});

/** One agent call's line in the ledger, through the run record's own writer (as the spend meter bills it;
 *  the meter's state saves, two durable writes per call, are left out: nothing here reads them). */
function call(record: RunRecord, i: number, n: number, role: CostEntry["role"]): void {
  const usd = Math.round((0.02 + ((i * 7 + n * 13) % 40) / 1000) * 1e6) / 1e6;
  const model = role === "build" ? "claude-sonnet-5-5" : "claude-haiku-5";
  record.bill({
    iteration: record.state.iteration,
    call_id: `c-${i}-${n}`,
    role,
    provider: "claude",
    model,
    usd,
    basis: n % 17 === 0 ? "estimated" : "exact",
    tokens: { [model]: { input: 12_000 + n * 31, output: 900 + n, cache_read: 40_000, cache_write: 2_000 } },
    duration_ms: 20_000 + n * 100,
  });
  const { spent_usd, limit_usd, warned } = record.state.budget;
  const spent = spent_usd + usd;
  record.state = {
    ...record.state,
    budget: { ...record.state.budget, spent_usd: spent, warned: warned || (limit_usd !== null && spent >= 0.8 * limit_usd) },
  };
  if (!warned && record.state.budget.warned) trust(record, "budget_warning", { spent_usd: spent, limit_usd, role });
}

/** The ship gate of the run's last iteration: a council round (with the devil's advocate when unanimous) and the held-out judge. */
function shipGate(record: RunRecord, i: number, round: number, passed: boolean): void {
  const verdicts: ReviewerRecord["verdict"][] = passed
    ? ["APPROVE", "APPROVE", i % 3 === 0 ? "REJECT" : "APPROVE"]
    : ["REJECT", "APPROVE", "REJECT"];
  const roles = ["requirements", "code_quality", "security"];
  const reviewers = roles.map((role, r) => reviewer(role, verdicts[r] as ReviewerRecord["verdict"], round));
  roles.forEach((role, r) => {
    call(record, i, 100 + round * 10 + r, "review");
    trust(record, "council_vote", { role, verdict: verdicts[r], findings: verdicts[r] === "REJECT" ? 1 : 0 });
  });
  const unanimous = verdicts.every((v) => v === "APPROVE");
  if (unanimous) call(record, i, 100 + round * 10 + 3, "review");
  writeJson(record.ws.council(round), CouncilRound, {
    schema_version: SCHEMA_VERSION,
    run_id: record.state.run_id,
    round,
    iteration: record.state.iteration,
    at: new Date().toISOString(),
    reviewers,
    devils_advocate: unanimous ? reviewer("devils_advocate", "APPROVE", round) : null,
    passed,
    reasons: passed ? [] : ["2 of 3 reviewers rejected"],
  });
  call(record, i, 200 + round, "judge");
  trust(record, "heldout_eval", { verdict: passed ? "APPROVE" : "REJECT", passed: passed ? 2 : 1, failed: passed ? 0 : 1, unknown: 0 });
}

type Stage = {
  ws: Workspace;
  spec: Spec;
  config: ReturnType<typeof loadConfig>["config"];
  change: Awaited<ReturnType<typeof readSubject>>;
};

/** Run `i`, recorded in the scratch workspace, its trust events and proof written straight into `history`. */
async function recordRun(stage: Stage, history: Workspace, i: number, startSha: string): Promise<void> {
  const shape = shapeOf(i);
  rmSync(stage.ws.dir, { recursive: true, force: true });
  ensureWorkspace(stage.ws);
  const view: Workspace = { ...stage.ws, trustEvents: history.trustEvents, proof: history.proof };
  const now = new Date(Date.UTC(2026, 0, 1) + i * 3_600_000);
  const runId = `${now.toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-")}-${(i % 65536).toString(16).padStart(4, "0")}`;
  const config = { ...stage.config, budget_usd: 0.6 };
  const state = initialState({
    runId,
    startSha,
    branch: "main",
    spec: { ref: "prd.md", sha256: stage.spec.source.sha256, title: stage.spec.title },
    chain: ["claude"],
    model: "claude-sonnet-5-5",
    config,
    maxDurationS: null,
    sandboxed: true,
    now,
  });
  const record = openRunRecord(view, state, () => {});
  writeJson(view.runSpec, Spec, stage.spec);
  commitHeldOut(view, runId, stage.spec.items, now);
  for (let start = 0; start < (shape.resumed ? 2 : 1); start++)
    trust(record, "run_start", { provider: "claude", model: "claude-sonnet-5-5", items: stage.spec.items.length });
  for (let it = 1; it <= shape.iterations; it++) {
    const last = it === shape.iterations;
    record.save({ iteration: it, phase: "act" });
    record.emit({ kind: "iteration_started" });
    for (let n = 0; n < 3; n++) call(record, i, it * 10 + n, n === 0 && it === 1 && i % 3 === 0 ? "plan" : "build");
    const gates = gateRound(i, it, last);
    writeJson(join(view.iteration(it), "gates.json"), GateResult.array(), gates);
    record.emitAll(gates.map((gate) => ({ kind: "gate_result" as const, gate: gate.id, status: gate.status, reason: gate.reason })));
    trustAll(
      record,
      "gate_result",
      gates.map((gate) => ({ gate: gate.id, status: gate.status })),
    );
    if (last || it === 2) shipGate(record, i, it, last && shape.outcome === "verified");
  }
  if (shape.finished) await finishRun(record, stage, shape, i);
  const ledger = readJsonl(stage.ws.costLedger, CostEntry);
  appendJsonlMany(history.costLedger, CostEntry, ledger);
}

async function finishRun(record: RunRecord, stage: Stage, shape: ReturnType<typeof shapeOf>, i: number): Promise<void> {
  const usd = readJsonl(stage.ws.costLedger, CostEntry).reduce((sum, e) => sum + e.usd, 0);
  writeCompletion(record.ws, {
    run_id: record.state.run_id,
    outcome: shape.outcome,
    exit_code: shape.outcome === "verified" ? 0 : 1,
    reason: shape.outcome === "verified" ? "every item met and verified" : `run ${i} ended ${shape.outcome}`,
    start_sha: record.state.start_sha,
    head_sha: stage.change.head,
    branch: "main",
    iterations: record.state.iteration,
    diffstat: stage.change.stat,
    cost: { usd: Math.round(usd * 10000) / 10000, basis: "mixed" },
    pr_url: null,
    sandboxed: true,
    next: "loki proof open",
    finished_at: new Date(Date.UTC(2026, 0, 1) + i * 3_600_000 + 1_800_000).toISOString(),
  });
  await writeProof(record.ws, record.state.run_id, { change: stage.change });
  record.save({ status: shape.outcome === "verified" ? "completed" : "failed", outcome: shape.outcome });
  trust(record, "completion", { outcome: shape.outcome, iterations: record.state.iteration, usd: Math.round(usd * 10000) / 10000 });
  record.emit({ kind: "run_finished", outcome: shape.outcome, exit_code: shape.outcome === "verified" ? 0 : 1, reason: "done" });
}

export type HistoryRepo = { root: string; ws: Workspace; [Symbol.asyncDispose]: () => Promise<void> };

/** `runs` runs of history in a new repository under os.tmpdir(); the signing key and held-out stores in a throwaway HOME. */
export async function historyRepo(runs: number): Promise<HistoryRepo> {
  const base = mkdtempSync(join(tmpdir(), "loki-bench-history-"));
  const root = join(base, "repo");
  const scratch = join(base, "scratch");
  const home = process.env.HOME;
  process.env.HOME = join(base, "home");
  try {
    for (const dir of [root, scratch]) {
      mkdirSync(dir, { recursive: true });
      git(dir, ["init", "-q", "-b", "main"]);
    }
    writeFileSync(join(scratch, "prd.md"), PRD);
    writeFileSync(join(scratch, "invoice.ts"), "export const total = (n: number) => n;\n");
    git(scratch, ["add", "-A"]);
    git(scratch, ["commit", "-qm", "base"]);
    const startSha = Bun.spawnSync(["git", "rev-parse", "HEAD"], { cwd: scratch }).stdout.toString().trim();
    writeFileSync(join(scratch, "invoice.ts"), "export const total = (n: number, tax: number) => n * (1 + tax);\n");
    writeFileSync(join(scratch, "invoice.test.ts"), 'import { total } from "./invoice.ts";\nif (total(1, 0) !== 1) throw new Error();\n');
    git(scratch, ["add", "-A"]);
    git(scratch, ["commit", "-qm", "tax"]);
    const config = loadConfig(scratch, {}).config;
    const spec = await readSpec(join(scratch, "prd.md"), { cwd: scratch, config, env: {} });
    const change = await readSubject(scratch, startSha, { includeWorktree: false });
    const stage: Stage = { ws: workspaceAt(scratch), spec, config, change };
    const history = workspaceAt(root);
    ensureWorkspace(history);
    for (let i = 0; i < runs; i++) await recordRun(stage, history, i, startSha);
    return { root, ws: history, [Symbol.asyncDispose]: async () => rmSync(base, { recursive: true, force: true }) };
  } finally {
    if (home === undefined) delete process.env.HOME;
    else process.env.HOME = home;
  }
}
