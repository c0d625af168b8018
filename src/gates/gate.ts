// The gate contract: a gate is a record {id, title, when, run}; the runner turns every outcome —
// a skip, a throw, a malformed result — into a GateResult, and verdictOf grades a set of them.
// Pure apart from the clock; never prints, never exits, never lets one gate crash the others.
import type { Config } from "../core/config.ts";
import { messageOf } from "../core/errors.ts";
import { sha256 } from "../core/hash.ts";
import type { GraderConfig } from "../core/grader-schema.ts";
import type { GitSnapshot } from "../core/run-schema.ts";
import type { GitDirs } from "../core/git.ts";
import type { GateResult, Severity, SpecDrift } from "../core/schema.ts";
import { checkGateResult } from "../core/record-check.ts";
import type { Project } from "./detect.ts";

/** One line of a file with its line number (in the new version when added, the old one when removed). */
export type Line = { line: number; text: string };

/**
 * A file's added or removed lines, kept compactly (gates/diff-lines.ts): `length` costs nothing,
 * `lines()` builds the numbered lines afresh on each call, so a gate holds one file's lines at a time.
 */
export type Lines = { readonly length: number; lines: () => Line[] };

export type ChangedFile = {
  path: string;
  status: "added" | "modified" | "deleted" | "renamed";
  oldPath?: string;
  binary: boolean;
  /** Added lines with their line numbers in the new version (none for binary or deleted files). */
  added: Lines;
  /** Removed lines with their line numbers in the old version, kept only for the files a gate reads
   *  them of (keepsRemovedLines: tests, runner configuration); null for every other file. */
  removed: Lines | null;
  removedCount: number;
};

/**
 * The change being graded, derived ONCE (gates/diff.ts) and passed to gates, reviewers, completion,
 * delivery and the proof: its parsed files and stat. Gates need no more; a DiffSubject also has the
 * unified diff text (tracked files; untracked ones are in `files` only) and its sha256.
 */
export type Subject = {
  root: string;
  base: string;
  head: string;
  includesWorktree: boolean;
  files: ChangedFile[];
  stat: { files: number; insertions: number; deletions: number };
};

/** A Subject with its diff text, for what shows or seals the diff itself (reviewers, the proof). */
export type DiffSubject = Subject & { text: string; sha256: string };

/** A held-out evaluation's outcome, as the heldout gate needs it (computed by trust/, passed in). */
export type HeldoutSummary = { run_id: string; passed: number; failed: number; unknown: number };

export type GateContext = {
  subject: Subject;
  project: Project;
  config: Config;
  signal?: AbortSignal;
  /** Facts gates cannot derive from the repository alone (gates import only core); the caller
   *  computes them. spec_drift: the drift since the lock as spec/drift.ts checked it (data, not
   *  a callback); undefined when the caller did not check, graded as no lock. */
  drift?: SpecDrift;
  /** heldout: the run's held-out evaluation; undefined when no loki run exists (verify outside a
   *  run), null inside a run's iterations (the ship gate's held-out stage decides it afresh). */
  heldout?: HeldoutSummary | null;
  /** git_integrity: the run's git internals at its start; undefined outside a run (verify), null in
   *  a run that recorded none. Only then are .git internals compared with the repository now. */
  gitSnapshot?: GitSnapshot | null;
  /** git_integrity: where the git directories are and the run-start commit's tree, when the caller has
   *  just read them for that commit (core/git-repo.ts gradingRevisions); else the gate asks git itself. */
  gitDirs?: GitDirs;
  /** git_integrity: what no diff shows (gates/unseen.ts readUnseen), when the caller began reading it
   *  earlier — after the last thing that could write the tree ended; else the gate reads it itself. */
  unseen?: Promise<{ hidden: Record<string, string>; ignored: Record<string, string> }>;
  /** The grading configuration frozen at the base (gates/grader.ts): suppressions and commands come
   *  from it, never from the diff being graded. undefined: callers that froze nothing (unit tests). */
  frozen?: GraderConfig;
  /** The user accepted this diff's changes to the grading configuration (--accept-config-change):
   *  its own .lokiignore, inline allow markers and commands count, and the evidence says so. */
  acceptConfigChange?: boolean;
  /** A run whose spec asks for new behaviour (not only a refactor or docs): tests that cannot tell
   *  the new code from the old are then a blocking finding (differential), not only a concern. */
  expectsNewBehaviour?: boolean;
  /** Wraps a command that runs the project's code (tests, build, lint) so loki's private directories
   *  (~/.loki, the repository's .loki/) are empty to it and nothing it starts outlives it
   *  (sandbox/confine.ts, supplied by the caller), or the probe that finds it on a gate's first
   *  command (`loki verify` looks for a sandbox only when a gate runs the project's code). undefined,
   *  or a probe that finds none: no sandbox here; it runs as it is. */
  confine?: Confine | { readonly probe: () => Promise<Confine | undefined> };
};

export type Confine = (argv: string[], cwd: string) => string[];

/** The argv a gate spawns to run the project's code in `cwd` (see GateContext.confine). */
export async function projectArgv(ctx: Pick<GateContext, "confine">, argv: string[], cwd: string): Promise<string[]> {
  const confine = typeof ctx.confine === "object" ? await ctx.confine.probe() : ctx.confine;
  return confine ? confine(argv, cwd) : argv;
}

export type GateOutcome = Omit<GateResult, "id" | "title" | "duration_ms">;

export type Gate = {
  id: string;
  title: string;
  /** true to run, or the one-line reason the gate does not apply. */
  when: (ctx: GateContext) => true | string;
  run: (ctx: GateContext) => Promise<GateOutcome>;
};

export type Verdict = "VERIFIED" | "CONCERNS" | "BLOCKED";

/** Runs every gate concurrently; results come back in input order, one per gate, always. */
export async function runGates(gates: readonly Gate[], ctx: GateContext): Promise<GateResult[]> {
  return Promise.all(gates.map((gate) => runOne(gate, ctx)));
}

async function runOne(gate: Gate, ctx: GateContext): Promise<GateResult> {
  const started = performance.now();
  const finish = (outcome: GateOutcome): GateResult => {
    const result = {
      ...outcome,
      id: gate.id,
      title: gate.title,
      reason: oneLine(outcome.reason),
      duration_ms: Math.round(performance.now() - started),
    };
    // A gate that returns a malformed record is a bug in that gate, not evidence: say so.
    const checked = checkGateResult(result);
    if (checked.ok) return checked.result;
    const { issue } = checked;
    return {
      ...inconclusive(`gate returned an invalid result: ${issue.path.join(".") || "(root)"}: ${issue.message}`),
      id: gate.id,
      title: gate.title,
      duration_ms: result.duration_ms,
    };
  };
  try {
    if (ctx.signal?.aborted) return finish(inconclusive("cancelled before it ran"));
    const applies = gate.when(ctx);
    if (applies !== true) return finish({ status: "skipped", reason: applies, findings: [] });
    return finish(await gate.run(ctx));
  } catch (error) {
    return finish(inconclusive(messageOf(error) || "the gate threw without a message"));
  }
}

/** A gate that could not decide: never a pass. `details` goes into the evidence as it is. */
export function inconclusive(reason: string, details?: Record<string, unknown>): GateOutcome {
  return { status: "inconclusive", reason, findings: [], ...(details ? { details } : {}) };
}

function oneLine(text: string): string {
  const first = text.split("\n").find((line) => line.trim() !== "") ?? "";
  return first.trim();
}

/**
 * BLOCKED: a fail with a blocking finding, or a fail with no findings at all (a red test suite
 * names no file). CONCERNS: anything inconclusive, a fail whose findings are all below `blockOn`,
 * or nothing ran. VERIFIED: at least one gate ran and every gate that ran passed.
 */
export function verdictOf(
  results: readonly GateResult[],
  blockOn: readonly Severity[] = ["critical", "high"],
): { verdict: Verdict; reasons: string[] } {
  const ran = results.filter((r) => r.status !== "skipped");
  const reasons = ran.filter((r) => r.status !== "pass").map((r) => `${r.id}: ${r.status} — ${r.reason}`);
  const blocks = (r: GateResult) =>
    r.status === "fail" && (r.findings.length === 0 || r.findings.some((f) => blockOn.includes(f.severity)));
  if (ran.some(blocks)) return { verdict: "BLOCKED", reasons };
  if (ran.length === 0) {
    const skips = results.map((r) => `${r.id}: skipped — ${r.reason}`);
    return { verdict: "CONCERNS", reasons: [`no gate ran (${results.length} skipped)`, ...skips] };
  }
  return { verdict: reasons.length > 0 ? "CONCERNS" : "VERIFIED", reasons };
}

/**
 * A finding's identity across runs, for baselines: the same rule on the same file with the same
 * content (whitespace aside) fingerprints the same even when its line number moves.
 */
export function fingerprint(rule: string, file: string | undefined, content: string): string {
  const normalized = content.replace(/\s+/g, " ").trim();
  return sha256(`${rule}\0${file ?? ""}\0${normalized}`).slice(0, 16);
}
