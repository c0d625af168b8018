// Reads one run's facts for its proof from .loki/ and git: bill, change, gates, council, held-out
// reveal, timing and providers. Reading only; a missing or unreadable source becomes a recorded gap.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { messageOf } from "../core/errors.ts";
import { billBasis } from "../core/models.ts";
import { CouncilRound, Evidence, HeldoutResult } from "../core/evidence-schema.ts";
import { heldOutStorePath, revealHeldOut } from "../spec/heldout-store.ts";
import type { Proof, ProofFileChange } from "../core/proof-schema.ts";
import { CostEntry, LokiEvent } from "../core/run-schema.ts";
import { GateResult, HeldOutCommitment } from "../core/schema.ts";
import { readJson, type Workspace } from "../core/workspace.ts";
import { readSubject } from "../gates/diff.ts";
import { verdictOf, type DiffSubject } from "../gates/gate.ts";

/** Every valid record of a JSONL stream; lines this version cannot read are skipped, not fatal. */
export function readRecords<S extends z.ZodType>(path: string, schema: S): z.output<S>[] {
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  const out: z.output<S>[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const parsed = schema.safeParse(JSON.parse(line));
      if (parsed.success) out.push(parsed.data);
    } catch {
      // a torn line: skipped
    }
  }
  return out;
}

/** A JSON file that may be missing or unreadable: undefined instead of an error. */
export function readOptional<S extends z.ZodType>(path: string, schema: S): z.output<S> | undefined {
  try {
    return readJson(path, schema);
  } catch {
    return undefined;
  }
}

export type DerivedChange = {
  diff: string;
  diff_sha256: string;
  files: ProofFileChange[];
  diffstat: { files: number; insertions: number; deletions: number };
};

/** What the proof records of a change: its text, hash, per-file counts and stat. Pure. */
export function changeFacts(change: DiffSubject): DerivedChange {
  const files = change.files.map((f) => ({ path: f.path, insertions: f.added.length, deletions: f.removedCount, binary: f.binary }));
  return { diff: change.text, diff_sha256: change.sha256, files, diffstat: change.stat };
}

/** `proof verify`'s independent re-derivation: the change from start to head, read afresh from git. */
export async function deriveChange(root: string, start: string, head: string): Promise<DerivedChange> {
  return changeFacts(await readSubject(root, start, { includeWorktree: false, head }));
}

export function billOf(entries: readonly CostEntry[], budget: Proof["bill"]["budget"]): Proof["bill"] {
  const groups = new Map<string, CostEntry[]>();
  for (const entry of entries) {
    const key = `${entry.provider}\0${entry.model}`;
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  const by_model = [...groups.values()].map((group) => {
    const tokens = { input: 0, output: 0, cache_read: 0, cache_write: 0 };
    for (const entry of group)
      for (const counts of Object.values(entry.tokens))
        for (const key of Object.keys(tokens) as (keyof typeof tokens)[]) tokens[key] += counts[key];
    const first = group[0] as CostEntry;
    return {
      provider: first.provider,
      model: first.model,
      usd: round(group.reduce((t, e) => t + e.usd, 0)),
      basis: basisOf(group),
      calls: group.length,
      tokens,
    };
  });
  return { currency: "USD", total_usd: round(entries.reduce((t, e) => t + e.usd, 0)), basis: basisOf(entries), by_model, budget };
}

function basisOf(entries: readonly CostEntry[]): Proof["bill"]["basis"] {
  return billBasis(entries);
}

const round = (usd: number) => Math.round(usd * 1e6) / 1e6;

/** The run's evidence.json gates when it wrote one, else its last iteration's gates.json. A `loki verify`
 *  run here in between (its base the caller's choice) names the run too, but is not the run's evidence. */
export function gatesOf(ws: Workspace, runId: string, iterations: number): Proof["gates"] {
  const evidence = readOptional(ws.evidence, Evidence);
  if (evidence && evidence.run_id === runId && evidence.source === "run")
    return { source: "evidence", verdict: evidence.verdict, results: evidence.gates };
  for (let n = iterations; n >= 1; n--) {
    const results = readOptional(join(ws.iteration(n), "gates.json"), z.array(GateResult));
    if (results) return { source: "iteration", verdict: verdictOf(results).verdict, results };
  }
  return { source: "none", verdict: null, results: [] };
}

/** Every council round of the run, in order (round files are never overwritten). */
export function councilOf(ws: Workspace, runId: string): Proof["council"] {
  const dir = dirname(ws.council(1));
  const rounds = existsSync(dir)
    ? readdirSync(dir)
        .flatMap((name) => /^round-(\d+)\.json$/.exec(name)?.[1] ?? [])
        .map(Number)
    : [];
  return rounds
    .sort((a, b) => a - b)
    .flatMap((n) => readOptional(ws.council(n), CouncilRound) ?? [])
    .filter((round) => round.run_id === runId)
    .map(({ schema_version: _version, ...round }) => round);
}

/** The reveal: hidden items with their evaluation, or why they cannot be shown. Never throws. */
export function heldOutOf(ws: Workspace, runId: string): Proof["held_out"] {
  const none = { total_items: 0, count: 0, evaluation: null, items: [] };
  let commitment: HeldOutCommitment | undefined;
  try {
    commitment = readJson(ws.heldOut, HeldOutCommitment);
  } catch (error) {
    return { ...none, status: "reveal_failed", detail: messageOf(error) };
  }
  if (!commitment || commitment.run_id !== runId)
    return { ...none, status: "no_commitment", detail: "the run recorded no held-out commitment" };
  const counts = { total_items: commitment.total_items, count: commitment.count };
  if (commitment.count === 0)
    return {
      ...none,
      ...counts,
      status: "not_selected",
      detail: `the spec has ${commitment.total_items} items; fewer than 4, so none were held out`,
    };
  const storePath = heldOutStorePath(ws.root, runId);
  if (!existsSync(storePath))
    return { ...none, ...counts, status: "store_missing", detail: `the held-out store ${storePath} is not on this machine` };
  try {
    const store = revealHeldOut(ws, runId);
    const result = readOptional(ws.heldoutResult, HeldoutResult);
    const evaluated = result?.run_id === runId ? result : undefined;
    const byId = new Map(evaluated?.items.map((item) => [item.id, item]));
    const items = store.items.map((item) => {
      const r = byId.get(item.id);
      return { id: item.id, text: item.text, result: r ? { status: r.status, method: r.method, evidence: r.evidence } : null };
    });
    const evaluation = evaluated
      ? {
          verdict: evaluated.verdict,
          iteration: evaluated.iteration,
          evaluated_at: evaluated.evaluated_at,
          passed: evaluated.passed,
          failed: evaluated.failed,
          unknown: evaluated.unknown,
        }
      : null;
    return { ...counts, status: "revealed", detail: null, evaluation, items };
  } catch (error) {
    return { ...none, ...counts, status: "reveal_failed", detail: messageOf(error) };
  }
}

/** Per iteration: when it started, how long until the next one (or the run's end), what it cost. */
export function timingOf(events: readonly LokiEvent[], entries: readonly CostEntry[]): Proof["timing"] {
  const starts = events.filter((e) => e.kind === "iteration_started");
  const finished = events.findLast((e) => e.kind === "run_finished");
  const iterations = starts.map((start, index) => {
    const end = starts[index + 1]?.ts ?? finished?.ts;
    const duration = end ? Date.parse(end) - Date.parse(start.ts) : Number.NaN;
    const usd = round(entries.filter((e) => e.iteration === start.iteration).reduce((t, e) => t + e.usd, 0));
    return { n: start.iteration, started_at: start.ts, duration_ms: Number.isFinite(duration) && duration >= 0 ? duration : null, usd };
  });
  return { iterations };
}

export function providersOf(
  chain: readonly string[],
  events: readonly LokiEvent[],
  entries: readonly CostEntry[],
  endpoints: Readonly<Record<string, string>> = {},
): Proof["providers"] {
  const used = new Map<string, Proof["providers"]["used"][number]>();
  for (const e of entries) {
    const key = `${e.provider}\0${e.model}\0${e.role}`;
    const seen = used.get(key);
    used.set(key, { provider: e.provider, model: e.model, role: e.role, calls: (seen?.calls ?? 0) + 1 });
  }
  const failovers = events.flatMap((e) =>
    e.kind === "provider_failover"
      ? [{ iteration: e.iteration, from: e.from, to: e.to, reason: e.reason }]
      : e.kind === "model_fallback"
        ? [{ iteration: e.iteration, from: e.from, to: e.to, reason: `model fallback (${e.reason})` }]
        : [],
  );
  const custom = Object.entries(endpoints).filter(([id]) => chain.includes(id));
  return { chain: [...chain], used: [...used.values()], failovers, ...(custom.length ? { endpoints: Object.fromEntries(custom) } : {}) };
}
