// The evidence record: buildEvidence is pure (results + subject + verdict → Evidence); writeEvidence
// is the one writer of .loki/verify/ (evidence.json, report.md, SARIF, JUnit, rendered through
// report/formats.ts), shared by `loki verify` and a run (its reports once, at its end: writeRunReports).
// Never runs a gate, never decides a verdict.
import { rmSync } from "node:fs";
import pkg from "../../package.json" with { type: "json" };
import { Evidence, type VerdictName } from "../core/evidence-schema.ts";
import { SCHEMA_VERSION, type GateResult, type Severity } from "../core/schema.ts";
import { checkEvidence } from "../core/record-check.ts";
import { type Durability, ensureWorkspace, readJson, writeFileAtomic, type Workspace } from "../core/workspace.ts";
import type { Subject } from "../gates/gate.ts";
import { reportsOf, type Reports } from "./report/formats.ts";
import { VERIFY_EXIT } from "../core/exit-codes.ts";

export type Scope = Evidence["subject"]["scope"];

export type EvidenceInput = {
  source: Evidence["source"];
  runId: string | null;
  subject: Subject;
  /** What the user asked for (`origin/main`, a sha, "run start"). */
  baseRef: string;
  branch: string | null;
  scope: Scope;
  gates: GateResult[];
  verdict: { verdict: VerdictName; reasons: string[] };
  blockOn: Severity[];
  baseline: Evidence["baseline"];
  stages?: Evidence["stages"];
  /** A run's: whether its agents ran in loki's sandbox. */
  sandboxed?: boolean;
  grading?: Evidence["grading"];
  detection?: Evidence["detection"];
  memory?: Evidence["memory"];
  /** Defaults to the verdict's own code (0 VERIFIED, 1 CONCERNS, 2 BLOCKED). */
  exitCode?: number;
  now: Date;
};

export function buildEvidence(input: EvidenceInput): Evidence {
  const { subject } = input;
  // Checked by Evidence's rules in place of its parse (core/record-check.ts).
  return checkEvidence({
    schema_version: SCHEMA_VERSION,
    generated_at: input.now.toISOString(),
    tool: { name: "loki", version: pkg.version },
    source: input.source,
    run_id: input.runId,
    ...(input.sandboxed === undefined ? {} : { sandboxed: input.sandboxed }),
    ...(input.grading === undefined ? {} : { grading: input.grading }),
    ...(input.detection === undefined ? {} : { detection: input.detection }),
    repo: { root: subject.root, head: subject.head, base: subject.base, base_ref: input.baseRef, branch: input.branch },
    subject: {
      files: subject.files.length,
      insertions: subject.files.reduce((sum, f) => sum + f.added.length, 0),
      deletions: subject.files.reduce((sum, f) => sum + f.removedCount, 0),
      includes_worktree: subject.includesWorktree,
      scope: input.scope,
    },
    verdict: input.verdict.verdict,
    exit_code: input.exitCode ?? Number(VERIFY_EXIT[input.verdict.verdict]),
    reasons: input.verdict.reasons,
    block_on: input.blockOn,
    baseline: input.baseline,
    gates: input.gates,
    stages: input.stages ?? [],
    ...(input.memory === undefined ? {} : { memory: input.memory }),
  });
}

/**
 * Atomic writes of everything under .loki/verify/ (each file whole or not at all). `reports` is
 * the caller's when it writes the same formats elsewhere too (--sarif, --junit, --json): each
 * format is then rendered once for all of them. `durability`: a run's loop rewrites the evidence every
 * iteration, synced at its boundary (core/durable.ts). `evidenceOnly`: evidence.json alone — a run's
 * loop, whose report.md, SARIF and JUnit no one reads before it ends (writeRunReports renders them then).
 */
export function writeEvidence(
  ws: Workspace,
  evidence: Evidence,
  options: { reports?: Reports; durability?: Durability; evidenceOnly?: boolean } = {},
): { evidence: string; report: string; sarif: string; junit: string } {
  const reports = options.reports ?? reportsOf(evidence);
  const durability = options.durability ?? "power";
  ensureWorkspace(ws);
  const paths = { evidence: ws.evidence, report: ws.report, sarif: ws.sarif, junit: ws.junit };
  // JSON first: it validates the record, so an invalid one leaves every old file in place.
  writeFileAtomic(paths.evidence, reports("json"), 0o600, durability);
  if (!options.evidenceOnly) writeReports(paths, reports, durability);
  // Reports of an earlier evidence (a `loki verify`, an earlier run) would stand beside this one until
  // the run ends, a VERIFIED among them maybe: none rather than a stale one.
  else for (const path of [paths.report, paths.sarif, paths.junit]) rmSync(path, { force: true });
  return paths;
}

function writeReports(paths: { report: string; sarif: string; junit: string }, reports: Reports, durability: Durability): void {
  writeFileAtomic(paths.report, reports("markdown"), 0o600, durability);
  writeFileAtomic(paths.sarif, reports("sarif"), 0o600, durability);
  writeFileAtomic(paths.junit, reports("junit"), 0o600, durability);
}

/**
 * A run's report.md, SARIF and JUnit, rendered once when it ends from the evidence.json it ends with —
 * the record its proof takes its gates from (proof/facts.ts gatesOf), under the same condition: this
 * run's, from a run. False (nothing written) when evidence.json is another's, or none.
 */
export function writeRunReports(ws: Workspace, runId: string, durability: Durability = "power"): boolean {
  const evidence = readJson(ws.evidence, Evidence);
  if (!evidence || evidence.run_id !== runId || evidence.source !== "run") return false;
  writeReports({ report: ws.report, sarif: ws.sarif, junit: ws.junit }, reportsOf(evidence), durability);
  return true;
}
