// `loki proof list`'s rows: what each proof.json says, kept in .loki/summaries/proofs.json (sealed by
// core/summary-seal.ts) by the file's identity (device, inode, size, modification and change times), so
// a long history parses only the proofs new or changed since. A row is reused only for the very file it was read from.
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { type FileIdentity, identityFrom } from "../core/jsonl.ts";
import { readSealed, type SummaryKey, summaryKey, writeSealed } from "../core/summary-seal.ts";
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

/** The kept rows by run id; none when the file is missing, of another version, or not sealed by loki. */
function readKept(path: string, key: SummaryKey): Map<string, Kept> {
  const body = readSealed(path, key)?.toString("utf8");
  if (body === undefined) return new Map();
  try {
    const saved = JSON.parse(body) as { version?: unknown; rows?: Partial<Kept>[] };
    if (saved.version !== VERSION || !Array.isArray(saved.rows)) return new Map();
    const ok = saved.rows.every(
      (k) => [k.run_id, k.dev, k.ino, k.mtime, k.ctime].every(isString) && Number.isInteger(k.size) && isRow(k.row),
    );
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
      identity = identityFrom(st);
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
  const key = summaryKey();
  const kept = key ? readKept(ws.summary("proofs"), key) : new Map<string, Kept>();
  const ids = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  const next: Kept[] = [];
  let changed = ids.length !== kept.size;
  const rows = ids.map((id): ProofSummary => {
    const path = join(ws.proof(id), "proof.json");
    const was = kept.get(id);
    const now = identityOf(path);
    if (was && now && sameFile(was, now)) {
      next.push(was);
      return { run_id: id, path, ...was.row };
    }
    changed = true;
    const { identity, row } = readRow(path);
    if (identity && settled(identity)) next.push({ run_id: id, ...identity, row });
    return { run_id: id, path, ...row };
  });
  if (key && changed) writeSealed(ws.summary("proofs"), key, JSON.stringify({ version: VERSION, rows: next }));
  const order = (r: ProofSummary) => `${r.finished_at ?? ""}\0${r.run_id}`;
  return rows.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
}

const sameFile = (a: FileIdentity, b: FileIdentity) =>
  a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtime === b.mtime && a.ctime === b.ctime;

/** A file system's clock ticks coarsely (a second on some): a file changed within this of its reading could change again unseen. */
const RACY_NS = 2_000_000_000n;

/** Whether a row may be kept: its file's last change is older than a rewrite within the same tick could hide. */
const settled = (identity: FileIdentity) => BigInt(Date.now()) * 1_000_000n - BigInt(identity.ctime) > RACY_NS;

function identityOf(path: string): FileIdentity | null {
  try {
    return identityFrom(statSync(path, { bigint: true }));
  } catch {
    return null;
  }
}
