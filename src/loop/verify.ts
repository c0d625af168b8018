// Verify, the fourth phase of an iteration: derive the change since the run started ONCE, run every
// deterministic gate on it (drift re-read from the lock), and record gates.json, events and evidence.
import { join } from "node:path";
import type { Detection, Evidence } from "../core/evidence-schema.ts";
import type { OrchestratorState } from "../core/run-schema.ts";
import { episodeErrors } from "../memory/episodes.ts";
import { runMemory } from "../memory/stats.ts";
import { GateResult } from "../core/schema.ts";
import { writeJson } from "../core/workspace.ts";
import { ALL_GATES } from "../gates/all.ts";
import { describeProject } from "../gates/command-run.ts";
import { detectProject, type Project } from "../gates/detect.ts";
import { readSubject } from "../gates/diff.ts";
import { gradingProject } from "../gates/grader.ts";
import { type GateContext, runGates, verdictOf, type DiffSubject, type Verdict } from "../gates/gate.ts";
import { gateConfinement } from "../sandbox/confine.ts";
import { checkDrift } from "../spec/drift.ts";
import { buildEvidence, writeEvidence } from "../verify/evidence.ts";
import type { LoopEnv } from "./env.ts";
import { trustAll } from "./trust-sink.ts";
import { specPaths } from "../sandbox/spec-paths.ts";
import { existsSync } from "node:fs";
import { type GradingRevisions, gradingRevisions } from "../core/git-repo.ts";

export type Verified = { change: DiffSubject; gates: GateResult[]; verdict: { verdict: Verdict; reasons: string[] }; feedback: string[] };

/** What the iteration read before this phase, when nothing that could change it ran since: HEAD, the
 *  base and the git directories as the checkpoint read them (`grading`), and what no diff shows (`unseen`). */
export type ReadBefore = { grading: GradingRevisions | null; unseen?: GateContext["unseen"] };

/** `carried`: what the previous phase leaves for this phase's first save (reflect's stagnation count). */
export async function verifyIteration(
  env: LoopEnv,
  dir: string,
  carried: Partial<OrchestratorState> = {},
  before: ReadBefore = { grading: null },
): Promise<Verified> {
  const { grading } = before;
  const { record } = env;
  record.save({ ...carried, phase: "verify" });
  // One rev-parse for the diff and for git_integrity: HEAD, the base, the git directories and the base's tree.
  const read = grading ?? (await gradingRevisions(record.ws.root, record.state.start_sha));
  const change = await readSubject(record.ws.root, read?.baseSha ?? record.state.start_sha, {
    includeWorktree: false,
    ...(read ? { revisions: { top: read.top, head: read.head, infoAttributes: read.infoAttributes } } : {}),
  });
  // The held-out gate stays out of iterations: the ship gate's held-out stage decides it afresh.
  const drift = await checkDrift(record.ws.root, env.config, env.env, { refetchIssue: false });
  // Detected afresh each iteration (a greenfield repository gets its first test command from the
  // agent); what runs is the frozen configuration's wherever the run started with one.
  const current = detectProject(record.ws.root, env.config);
  const frozen = record.state.grader;
  const accepted = record.state.accept_config_change === true;
  const project = frozen ? gradingProject(frozen, current, accepted) : current;
  recordDetection(record, project);
  const gates = await runGates(ALL_GATES, {
    subject: change,
    project,
    frozen,
    acceptConfigChange: accepted,
    expectsNewBehaviour: asksForNewBehaviour(env.spec.items.map((item) => item.text)),
    config: env.config,
    signal: env.signal,
    drift,
    heldout: null,
    gitSnapshot: record.state.git_snapshot ?? null,
    ...(read ? { gitDirs: read.dirs } : {}),
    ...(before.unseen ? { unseen: before.unseen } : {}),
    // With the run's bwrap, the project's code the gates run sees no ~/.loki and no .loki/.
    ...gateConfinement(
      env.sandbox?.kind === "bwrap" ? env.sandbox.path : null,
      record.ws.root,
      record.ws.dir,
      // Only what exists: a path that does not would be made (empty) on the host by the mount.
      specPaths(env.spec.source.path, [record.ws.root]).filter((path) => existsSync(path)),
    ),
  });
  // gates.json, the evidence, the iteration's events and its gates' trust events: redone with the
  // iteration after a power loss (run-state.ts), so synced at its boundary.
  writeJson(join(dir, "gates.json"), GateResult.array(), gates, "boundary");
  // One append per stream for the round, not two per gate: each append is a lock and an fsync.
  record.emitAll(gates.map((gate) => ({ kind: "gate_result" as const, gate: gate.id, status: gate.status, reason: gate.reason })));
  trustAll(
    record,
    "gate_result",
    gates.map((gate) => ({ gate: gate.id, status: gate.status })),
    "boundary",
  );
  const verdict = verdictOf(gates);
  writeRunEvidence(record, change, gates, verdict, []);
  const feedback = gates
    .filter((g) => g.status === "fail" || g.status === "inconclusive")
    .map((g) => `${g.title}: ${g.reason}${g.digest ? `\n${g.digest}` : ""}`);
  return { change, gates, verdict, feedback };
}

/** How many detection changes a run keeps: the first, and the latest ones after it. */
const MAX_DETECTIONS = 20;

/** Appends this iteration's detection to the run's history when what grading runs changed: the
 *  evidence then says what was detected when (a greenfield run gets its test command mid-run). */
function recordDetection(record: LoopEnv["record"], project: Project): void {
  const seen = describeProject(project);
  const history = record.state.detections ?? [];
  const key = (d: Omit<Detection, "iteration" | "at">) => JSON.stringify([d.kinds, d.test, d.build, d.lint]);
  const last = history.at(-1);
  if (last !== undefined && key(last) === key(seen)) return;
  const entry: Detection = { iteration: record.state.iteration, at: new Date().toISOString(), ...seen };
  const kept = history.length < MAX_DETECTIONS ? history : [history[0] as Detection, ...history.slice(-(MAX_DETECTIONS - 2))];
  record.save({ detections: [...kept, entry] });
  record.emit({ kind: "project_detected", detection: entry });
}

/**
 * Every item only restructures, documents or tidies: a refactor's tests may rightly pass on the old
 * code. An item is one of those only when it starts (after a list marker or id) with such a verb and
 * states no behaviour ("Lint warnings are shown…" starts with a noun: is/are/can… make it behaviour).
 */
const LIST_MARKER = /^\s*(?:[-*+•]\s*|\[[ xX]\]\s*|\d+[.)]\s*|[A-Za-z]+-\d+[:.)]?\s*|#\d+[:.)]?\s*)*/;
const NOT_NEW_BEHAVIOUR =
  /^(refactor|rename|clean[ -]?up|tidy|document|update (the )?(docs|documentation|readme)|fix (a |the )?typos?|format|lint|move|reorgani[sz]e)\b/i;

const STATES_BEHAVIOUR = /\b(is|are|was|were|can|cannot|could|should|must|will|would|shall|may)\b/i;

export function asksForNewBehaviour(items: readonly string[]): boolean {
  return items.some((text) => {
    const item = text.replace(LIST_MARKER, "");
    return !NOT_NEW_BEHAVIOUR.test(item) || STATES_BEHAVIOUR.test(item);
  });
}

/** The run's evidence, through the same writer as `loki verify`: the gates, and the ship-gate stages once they ran.
 *  evidence.json only: the run renders its report.md, SARIF and JUnit from it once, at its end (run/finish.ts). */
export function writeRunEvidence(
  record: LoopEnv["record"],
  change: DiffSubject,
  gates: GateResult[],
  verdict: { verdict: Verdict; reasons: string[] },
  stages: { id: string; verdict: Verdict; reasons: string[] }[],
): void {
  writeEvidence(
    record.ws,
    buildEvidence({
      source: "run",
      runId: record.state.run_id,
      subject: change,
      baseRef: "run start",
      branch: record.state.branch,
      scope: "diff",
      gates,
      verdict,
      blockOn: ["critical", "high"],
      baseline: null,
      stages,
      sandboxed: record.state.sandboxed,
      ...(record.state.detections ? { detection: record.state.detections } : {}),
      ...evidenceMemory(record, gates),
      ...(record.state.grader
        ? { grading: { frozen_at: record.state.grader.origin, config_change_accepted: record.state.accept_config_change === true } }
        : {}),
      now: new Date(),
    }),
    { durability: "boundary", evidenceOnly: true },
  );
}

/** What memory did for the run so far, this round's failures included (its episode is recorded after). */
function evidenceMemory(record: LoopEnv["record"], gates: GateResult[]): { memory?: Evidence["memory"] } {
  const pending = episodeErrors(gates, record.ws.root).map((error) => error.fingerprint);
  const memory = runMemory(record.ws, record.state.run_id, pending);
  return memory
    ? { memory: { given: memory.given, failures: memory.failures, repeated: memory.repeated, hit_again_of: memory.hit_again_of } }
    : {};
}
