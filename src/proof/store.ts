// Finding proofs already written under .loki/proofs/: list them, pick the latest, read one.
// Reading only; an unreadable proof is listed as such rather than hidden.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { usageError, workspaceError } from "../core/errors.ts";
import { ProofFile } from "../core/proof-schema.ts";
import type { Workspace } from "../core/workspace.ts";

export type ProofEntry = { run_id: string; dir: string; json: string; html: string; file: ProofFile | null; problem: string | null };

const NO_PROOFS_HINT = "run `loki start` first: a proof is written when a run ends";

function entryOf(ws: Workspace, runId: string): ProofEntry {
  const dir = ws.proof(runId);
  const json = join(dir, "proof.json");
  return { run_id: runId, dir, json, html: join(dir, "index.html"), ...parseProof(() => readFileSync(json, "utf8")) };
}

/** A proof.json's content, or why it cannot be read: what `read` returns, parsed and checked against the schema. */
export function parseProof(read: () => string): { file: ProofFile | null; problem: string | null } {
  try {
    const parsed = ProofFile.safeParse(JSON.parse(read()));
    if (parsed.success) return { file: parsed.data, problem: null };
    return { file: null, problem: `does not match the proof schema at ${parsed.error.issues[0]?.path.join(".") || "(root)"}` };
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    return { file: null, problem: missing ? "proof.json is missing" : "proof.json is not valid JSON" };
  }
}

/** Every proof directory, oldest first (by finish time, then run id). */
export function listProofs(ws: Workspace): ProofEntry[] {
  const root = join(ws.dir, "proofs");
  if (!existsSync(root)) return [];
  const ids = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  const key = (e: ProofEntry) => `${e.file?.payload.run.finished_at ?? ""}\0${e.run_id}`;
  return ids.map((id) => entryOf(ws, id)).sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** The run a proof command means: the one named, else the latest proof. Throws when none exists. */
export function resolveProofRun(ws: Workspace, run: string | undefined): string {
  if (run !== undefined) {
    if (!/^[A-Za-z0-9._-]+$/.test(run) || run.startsWith("."))
      throw usageError(`"${run}" is not a run id`, { hint: "see the run ids with `loki proof list`" });
    return run;
  }
  const latest = listProofs(ws).at(-1);
  if (!latest) throw usageError(`no proofs in ${ws.root} yet`, { hint: NO_PROOFS_HINT });
  return latest.run_id;
}

/** A readable proof, or an error naming the next command. */
export function readProof(ws: Workspace, runId: string): ProofEntry & { file: ProofFile } {
  const entry = entryOf(ws, runId);
  if (entry.file) return { ...entry, file: entry.file };
  if (entry.problem === "proof.json is missing") {
    const hint = listProofs(ws).length > 0 ? "see the run ids with `loki proof list`" : NO_PROOFS_HINT;
    throw usageError(`no proof for run ${runId} (${entry.json})`, { hint });
  }
  throw workspaceError(`the proof of run ${runId} cannot be read: ${entry.problem}`, {
    hint: `check it with \`loki proof verify ${runId}\``,
  });
}
