// The review panels: the visible checklist (held-out items only counted — `sealed` — until the finished
// run's proof reveals them), the latest iteration's gates and every council round; and the held-out ids
// and texts .loki/ happens to name, so a live snapshot can seal them. Reads .loki/ only, never ~/.loki.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { CouncilRound, HeldoutResult, type ReviewerRecord } from "../core/evidence-schema.ts";
import { ProofFile } from "../core/proof-schema.ts";
import { Checklist, GateResult, HeldOutCommitment } from "../core/schema.ts";
import type { Workspace } from "../core/workspace.ts";
import { mtimeOf, newest, readValid } from "./snapshot-read.ts";

export type ItemStatus = "pending" | "pass" | "fail" | "unknown";
export type ItemView = { id: string; text: string; status: ItemStatus };
export type ChecklistView = { items: ItemView[]; sealed: number | null; revealed: ItemView[] | null };
export type FindingView = { file: string | null; line: number | null; severity: string; message: string };
export type GatesView = { iteration: number; results: { gate: string; status: string; reason: string; findings: FindingView[] }[] };
export type ReviewerView = { role: string; verdict: string; findings: FindingView[] };
export type CouncilView = { round: number; decision: "passed" | "failed"; reviewers: ReviewerView[]; devils_advocate: ReviewerView | null };

/** A gate can report thousands of findings (a secrets scan of a vendored tree); the panel shows the first. */
const MAX_FINDINGS = 100;
const CHECKLIST_STATUS = { pending: "pending", met: "pass", failing: "fail", unknown: "unknown" } as const;

export type Proof = ProofFile["payload"];

/** The run's signed proof, or null when it has none (or it does not parse). */
export function readProof(ws: Workspace, runId: string | null): Proof | null {
  if (runId === null || !/^[A-Za-z0-9_-]{1,64}$/.test(runId)) return null;
  const file = readValid(join(ws.proof(runId), "proof.json"), ProofFile);
  return file && file.payload.run.id === runId ? file.payload : null;
}

/** Visible items (statuses from the latest council round that judged them, else the checklist's own),
 *  the sealed count, and — only when `reveal` is given (a finished run's proof) — the revealed items. */
export function projectChecklist(ws: Workspace, rounds: readonly CouncilRound[], reveal: Proof | null): ChecklistView | null {
  const checklist = readValid(ws.checklist, Checklist);
  if (checklist === null) return null;
  const judged = new Map<string, ItemStatus>();
  const latest = rounds.findLast((round) => round.reviewers.some((r) => r.items.length > 0));
  for (const item of latest?.reviewers.flatMap((r) => r.items) ?? []) judged.set(item.id, item.status);
  const commitment = readValid(ws.heldOut, HeldOutCommitment);
  return {
    items: checklist.items.map((item) => ({ id: item.id, text: item.text, status: judged.get(item.id) ?? CHECKLIST_STATUS[item.status] })),
    sealed: commitment?.count ?? checklist.held_out_count,
    revealed: reveal ? revealed(reveal) : null,
  };
}

/** The proof's held-out items; none when none were selected; null when the proof could not reveal them. */
function revealed(proof: Proof): ItemView[] | null {
  if (proof.held_out.status === "not_selected") return [];
  if (proof.held_out.status !== "revealed") return null;
  return proof.held_out.items.map((item) => ({ id: item.id, text: item.text, status: item.result?.status ?? "unknown" }));
}

/** The checklist panel's age: the checklist, or the council round whose verdicts it shows. */
export function checklistAge(ws: Workspace, rounds: readonly CouncilRound[]): string | null {
  const latest = rounds.findLast((round) => round.reviewers.some((r) => r.items.length > 0));
  return newest(mtimeOf(ws.checklist), latest ? mtimeOf(ws.council(latest.round)) : null);
}

/** The gates of the latest iteration that recorded any, and the file they came from. */
export function projectGates(ws: Workspace): { view: GatesView; path: string } | null {
  for (const n of numbered(join(ws.dir, "iterations"), /^(\d{1,6})$/)) {
    const path = join(ws.iteration(n), "gates.json");
    const results = readValid(path, GateResult.array());
    if (results === null) continue;
    const view = {
      iteration: n,
      results: results.map((g) => ({
        gate: g.id,
        status: g.status,
        reason: g.reason,
        findings: g.findings.slice(0, MAX_FINDINGS).map(finding),
      })),
    };
    return { view, path };
  }
  return null;
}

/** Every valid council round, oldest first. */
export function readRounds(ws: Workspace): CouncilRound[] {
  return numbered(join(ws.dir, "council"), /^round-(\d{1,6})\.json$/)
    .reverse()
    .flatMap((n) => readValid(ws.council(n), CouncilRound) ?? []);
}

export function projectCouncil(rounds: readonly CouncilRound[]): CouncilView[] {
  return rounds.map((round) => ({
    round: round.round,
    decision: round.passed ? "passed" : "failed",
    reviewers: round.reviewers.map(reviewer),
    devils_advocate: round.devils_advocate ? reviewer(round.devils_advocate) : null,
  }));
}

/**
 * Held-out ids and texts that files under .loki/ name while the run goes on: the held-out verdict's
 * ids, the ids reviewers judged that the visible checklist lacks, and a proof's reveal (a run resumed
 * after it ended). None of them may reach a live snapshot.
 */
export function sealedStrings(ws: Workspace, rounds: readonly CouncilRound[], proof: Proof | null): string[] {
  const visible = new Set(readValid(ws.checklist, Checklist)?.items.map((item) => item.id) ?? []);
  const fromResult = readValid(ws.heldoutResult, HeldoutResult)?.items.map((item) => item.id) ?? [];
  const fromRounds = rounds.flatMap((round) =>
    [...round.reviewers, ...(round.devils_advocate ? [round.devils_advocate] : [])].flatMap((r) => r.items.map((item) => item.id)),
  );
  const fromProof = proof?.held_out.items.flatMap((item) => [item.id, item.text]) ?? [];
  return [...fromResult, ...fromRounds.filter((id) => !visible.has(id)), ...fromProof];
}

function reviewer(record: ReviewerRecord): ReviewerView {
  return { role: record.role, verdict: record.verdict, findings: record.findings.slice(0, MAX_FINDINGS).map(finding) };
}

function finding(f: { file?: string | undefined; line?: number | undefined; severity: string; message: string }): FindingView {
  return { file: f.file ?? null, line: f.line ?? null, severity: f.severity, message: f.message };
}

/** The numbers in a directory's entry names matching `pattern`, highest first. */
function numbered(dir: string, pattern: RegExp): number[] {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((name) => pattern.exec(name)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => b - a);
}
