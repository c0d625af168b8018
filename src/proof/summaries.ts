// `loki proof list`'s rows: what each proof.json says, kept in .loki/summaries/proofs.json by the file's
// identity (inode, size, modification time), so a long history parses only the proofs new or changed
// since the last listing. A row is reused only for the very file it was read from; never a proof's check.
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import type { FileIdentity } from "../core/jsonl.ts";
import { replaceFile } from "../core/durable.ts";
import type { Workspace } from "../core/workspace.ts";
import { parseProof } from "./store.ts";

/** `loki proof list`'s row of a proof: what its proof.json says, or why it cannot be read (all null then). */
export type ProofSummary = {
  run_id: string;
  path: string;
  finished_at: string | null;
  headline: string | null;
  cost_usd: number | null;
  cost_basis: string | null;
  files: number | null;
  problem: string | null;
};

type Content = Omit<ProofSummary, "run_id" | "path">;
type Kept = FileIdentity & { run_id: string; row: Content };

/** The rows of another loki (whose schema may read a proof otherwise) are read afresh. */
const VERSION = `${pkg.version}/proof-rows/1`;

const isString = (v: unknown) => typeof v === "string";
const isRow = (r: Partial<Content> | undefined): r is Content =>
  r !== undefined &&
  [r.finished_at, r.headline, r.cost_basis, r.problem].every((v) => v === null || isString(v)) &&
  [r.cost_usd, r.files].every((v) => v === null || typeof v === "number");

/** The kept rows by run id; none when the file is missing, of another version, or not one this code wrote. */
function readKept(path: string): Map<string, Kept> {
  try {
    const saved = JSON.parse(readFileSync(path, "utf8")) as { version?: unknown; rows?: Partial<Kept>[] };
    if (saved.version !== VERSION || !Array.isArray(saved.rows)) return new Map();
    const ok = saved.rows.every((k) => [k.run_id, k.ino, k.mtime].every(isString) && Number.isInteger(k.size) && isRow(k.row));
    return ok ? new Map((saved.rows as Kept[]).map((k) => [k.run_id, k])) : new Map();
  } catch {
    return new Map();
  }
}

/** One proof.json read through one open file: its identity and its row (identity null: it could not be read). */
function readRow(path: string): { identity: FileIdentity | null; row: Content } {
  let identity: FileIdentity | null = null;
  const { file, problem } = parseProof(() => {
    const fd = openSync(path, "r");
    try {
      const st = fstatSync(fd, { bigint: true });
      const bytes = Buffer.allocUnsafe(Number(st.size));
      let done = 0;
      for (let n = 1; n > 0 && done < bytes.length; done += n) n = readSync(fd, bytes, done, bytes.length - done, done);
      identity = { ino: String(st.ino), size: Number(st.size), mtime: String(st.mtimeNs) };
      return bytes.toString("utf8", 0, done);
    } finally {
      closeSync(fd);
    }
  });
  const payload = file?.payload;
  const row = {
    finished_at: payload?.run.finished_at ?? null,
    headline: payload?.headline.verdict ?? null,
    cost_usd: payload?.bill.total_usd ?? null,
    cost_basis: payload?.bill.basis ?? null,
    files: payload?.change.diffstat.files ?? null,
    problem,
  };
  return { identity, row };
}

/** Every proof's row, oldest first (by finish time, then run id), as listProofs orders them. */
export function listProofSummaries(ws: Workspace): ProofSummary[] {
  const root = join(ws.dir, "proofs");
  if (!existsSync(root)) return [];
  const kept = readKept(ws.summary("proofs"));
  const ids = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  const next: Kept[] = [];
  let changed = ids.length !== kept.size;
  const rows = ids.map((id): ProofSummary => {
    const path = join(ws.proof(id), "proof.json");
    const was = kept.get(id);
    const now = identityOf(path);
    if (was && now && was.ino === now.ino && was.size === now.size && was.mtime === now.mtime) {
      next.push(was);
      return { run_id: id, path, ...was.row };
    }
    changed = true;
    const { identity, row } = readRow(path);
    if (identity) next.push({ run_id: id, ...identity, row });
    return { run_id: id, path, ...row };
  });
  if (changed) keep(ws.summary("proofs"), next);
  const key = (r: ProofSummary) => `${r.finished_at ?? ""}\0${r.run_id}`;
  return rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function identityOf(path: string): FileIdentity | null {
  try {
    const st = statSync(path, { bigint: true });
    return { ino: String(st.ino), size: Number(st.size), mtime: String(st.mtimeNs) };
  } catch {
    return null;
  }
}

function keep(path: string, rows: Kept[]): void {
  try {
    // "process": rows lost to a power cut are read again from the proofs.
    replaceFile(path, JSON.stringify({ version: VERSION, rows }), 0o600, "process");
  } catch {
    // A read-only or full disk: the list is right all the same, only not kept for the next one.
  }
}
