// `bun bench/memory.ts`: memory retrieval on synthetic corpora (bench/memory-corpus.ts) of 10k and 100k
// episodes in temp files: search p95, cold load in a fresh process, append of one episode, each beside
// its floor measured in the same run, and recall@5 of BM25 against plain token overlap on labelled queries.
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appendLine } from "../src/core/durable.ts";
import { withLock } from "../src/core/workspace.ts";
import { addDocuments, type Bm25Index, searchMany } from "../src/memory/bm25.ts";
import { type DocOf, loadIndex, saveIndex } from "../src/memory/index-file.ts";
import { type EpisodeMeta, type Store, searchStores } from "../src/memory/search.ts";
import { queryTerms } from "../src/memory/tokenize.ts";
import { type CorpusEpisode, episodeText, generateCorpus, generateQueries, type LabelledQuery } from "./memory-corpus.ts";
import { type Measured, paired, spawnWall, timed } from "./measure.ts";
import { benchRecall, RECALL_RATIO } from "./memory-recall.ts";
import { misses, type Row, renderRows, summary } from "./report.ts";

export const TARGETS = { search10kMs: 2, search100kMs: 10, coldLoad10kMs: 20, appendMs: 1, recallOverOverlap: 1.5 } as const;
const QUERIES = 240;
const TAIL = 100;
const GLOBAL_SHARE = 0.1;

/** recall@5 of BM25 (median) and of plain token overlap (floor) on the labelled queries; one deterministic run. */
export type RecallRow = Measured & {
  name: string;
  floorIs: string;
  target: number;
  byKind: Record<string, { bm25: number; overlap: number }>;
};

const docOf: DocOf = (value) => {
  const e = value as CorpusEpisode;
  return typeof e.id === "string" ? { id: e.id, text: episodeText(e) } : null;
};
const lines = (episodes: readonly CorpusEpisode[]) => episodes.map((e) => `${JSON.stringify(e)}\n`).join("");
let sink = 0;

/** A project store (persisted + a tail of TAIL appended episodes) and a global one, as loki would load them. */
function writeStores(dir: string, episodes: CorpusEpisode[]): Store[] {
  mkdirSync(dir, { recursive: true });
  const split = Math.round(episodes.length * (1 - GLOBAL_SHARE));
  const project = { jsonl: join(dir, "project.jsonl"), idx: join(dir, "project.idx") };
  const global = { jsonl: join(dir, "global.jsonl"), idx: join(dir, "global.idx") };
  writeFileSync(project.jsonl, lines(episodes.slice(0, split - TAIL)));
  saveIndex(project.idx, loadIndex(project.jsonl, project.idx, docOf));
  appendFileSync(project.jsonl, lines(episodes.slice(split - TAIL, split)));
  writeFileSync(global.jsonl, lines(episodes.slice(split)));
  saveIndex(global.idx, loadIndex(global.jsonl, global.idx, docOf));
  return [
    { name: "project", ...loadIndex(project.jsonl, project.idx, docOf) },
    { name: "global", ...loadIndex(global.jsonl, global.idx, docOf) },
  ];
}

function metaOf(episodes: readonly CorpusEpisode[]): (id: string) => EpisodeMeta | undefined {
  const fixed = new Set(episodes.filter((e) => e.outcome === "success" && e.label).map((e) => e.label));
  const byId = new Map(
    episodes.map((e) => [e.id, { ts: e.ts, outcome: e.outcome, hasFix: e.outcome === "failure" && fixed.has(e.label) }]),
  );
  return (id) => byId.get(id);
}

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(sorted.length * 0.95) - 1)] as number;
}

/**
 * The floor of a search: tokenizing the query and touching every posting of its terms once, the
 * least any exact term-at-a-time BM25 over these indexes must do (a token-overlap scan is no floor:
 * it reads every document, so it is slower than the index; reading the index bytes is load, not search).
 */
function postingsWalk(indexes: readonly Bm25Index[], query: string): void {
  for (const term of queryTerms(query))
    for (const index of indexes) {
      const tfs = index.postings.get(term)?.tfs;
      if (tfs) for (let i = 0; i < tfs.length; i++) sink += tfs[i] as number;
    }
}

async function searchP95(stores: Store[], queries: LabelledQuery[], meta: ReturnType<typeof metaOf>, runs: number): Promise<Measured> {
  const now = Date.UTC(2026, 6, 1);
  const indexes = stores.flatMap((s) => [s.index, s.tail]);
  const pass = (one: (q: string) => unknown) => () =>
    p95(
      queries.map((q) => {
        const started = performance.now();
        one(q.text);
        return performance.now() - started;
      }),
    );
  return paired(
    pass((q) => searchStores(stores, q, { k: 5, now, meta })),
    pass((q) => postingsWalk(indexes, q)),
    runs,
  );
}

const words = (text: string) =>
  new Set(
    text
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter(Boolean),
  );

/** Plain token overlap: how many distinct query words a document has; ties by id. */
function overlapTop5(docs: { id: string; words: Set<string> }[], query: string): string[] {
  const q = [...words(query)];
  const scored: { id: string; score: number }[] = [];
  for (const doc of docs) {
    let score = 0;
    for (const w of q) if (doc.words.has(w)) score++;
    if (score > 0) scored.push({ id: doc.id, score });
  }
  scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
  return scored.slice(0, 5).map((s) => s.id);
}

function recall(episodes: CorpusEpisode[], stores: Store[], queries: LabelledQuery[]): RecallRow {
  const indexes = stores.flatMap((s) => [s.index, s.tail]);
  const docs = episodes.map((e) => ({ id: e.id, words: words(episodeText(e)) }));
  const at5 = (top: string[], relevant: string[]) => top.filter((id) => relevant.includes(id)).length / Math.min(5, relevant.length);
  const per = queries.map((q) => ({
    kind: q.kind,
    bm25: at5(
      searchMany(indexes, q.text, 5).map((h) => h.id),
      q.relevant,
    ),
    overlap: at5(overlapTop5(docs, q.text), q.relevant),
  }));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const byKind: RecallRow["byKind"] = {};
  for (const kind of ["lexical", "paraphrase", "alias"]) {
    const of = per.filter((p) => p.kind === kind);
    byKind[kind] = { bm25: mean(of.map((p) => p.bm25)), overlap: mean(of.map((p) => p.overlap)) };
  }
  return {
    name: `recall@5, 10k episodes, ${queries.length} labelled queries (BM25)`,
    floorIs: "plain token overlap",
    median: mean(per.map((p) => p.bm25)),
    floor: mean(per.map((p) => p.overlap)),
    runs: 1,
    target: TARGETS.recallOverOverlap,
    byKind,
  };
}

/** Fresh-process figures: the child times only the work, after its imports (`--cold-load`, `--cold-read`). */
function coldChild(args: string[]): number {
  const result = Bun.spawnSync([process.execPath, import.meta.path, ...args], { stdout: "pipe", stderr: "inherit" });
  if (result.exitCode !== 0) throw new Error(`cold child ${args[0]} exited ${result.exitCode}`);
  return Number(result.stdout.toString().trim());
}

async function coldLoad(dir: string, episodes: CorpusEpisode[]): Promise<Measured> {
  const jsonl = join(dir, "cold.jsonl");
  const idx = join(dir, "cold.idx");
  writeFileSync(jsonl, lines(episodes));
  saveIndex(idx, loadIndex(jsonl, idx, docOf));
  spawnWall([process.execPath, "-e", "0"], dir); // the runtime's own files into the page cache
  return paired(
    () => coldChild(["--cold-load", jsonl, idx]),
    () => coldChild(["--cold-read", idx]),
    7,
  );
}

/** One episode appended as the store does it (lock, torn-tail check, write, fsync) and added to the in-memory tail. */
async function append(dir: string, episodes: CorpusEpisode[], tail: Bm25Index): Promise<Measured> {
  const jsonl = join(dir, "append.jsonl");
  const floorFile = join(dir, "append-floor.jsonl");
  writeFileSync(jsonl, lines(episodes.slice(0, 1000)));
  let n = 0;
  return paired(
    () => {
      const e = episodes[1000 + (n++ % 1000)] as CorpusEpisode;
      const line = `${JSON.stringify(e)}\n`;
      return timed(() => {
        withLock(jsonl, () => appendLine(jsonl, line));
        addDocuments(tail, [{ id: e.id, text: episodeText(e) }]);
      });
    },
    () => {
      const line = `${JSON.stringify(episodes[1000 + (n % 1000)])}\n`;
      return timed(() => appendFileSync(floorFile, line));
    },
    40,
    3,
  );
}

export async function benchMemory(): Promise<{ rows: Row[]; recall: RecallRow }> {
  const dir = mkdtempSync(join(tmpdir(), "loki-bench-memory-"));
  try {
    const rows: Row[] = [];
    const atMost = (value: number) => ({ kind: "at-most" as const, value });
    const small = generateCorpus(10_000, 42);
    const smallStores = writeStores(join(dir, "10k"), small);
    const queries = generateQueries(small, QUERIES);
    const floorIs = "query terms' postings walk";
    const search10k = await searchP95(smallStores, queries, metaOf(small), 7);
    rows.push({
      name: "memory: search p95, 10k episodes (project + tail + global)",
      floorIs,
      unit: "ms",
      target: atMost(TARGETS.search10kMs),
      ...search10k,
    });
    // before the append row, which grows the project tail
    const recallRow = recall(small, smallStores, queries);
    rows.push({
      name: "memory: cold load of the 10k index (fresh process)",
      floorIs: "read the .idx bytes",
      unit: "ms",
      target: atMost(TARGETS.coldLoad10kMs),
      ...(await coldLoad(dir, small)),
    });
    const tail = (smallStores[0] as Store).tail;
    rows.push({
      name: "memory: append one episode (lock, write, fsync, index in tail)",
      floorIs: "one appendFileSync of the line",
      unit: "ms",
      target: atMost(TARGETS.appendMs),
      ...(await append(dir, small, tail)),
    });
    const recallCorpus = generateCorpus(11_000, 44);
    rows.push({
      name: "memory: one prompt's memory end to end, 10k episodes + global learnings (read, search, budget, redact)",
      floorIs: "JSON.parse of the stores' JSONL",
      unit: "ms",
      target: { kind: "ratio-at-most", value: RECALL_RATIO },
      ...(await benchRecall(
        join(dir, "recall"),
        recallCorpus,
        queries.map((query) => query.text),
      )),
    });
    const big = generateCorpus(100_000, 43);
    const bigStores = writeStores(join(dir, "100k"), big);
    const search100k = await searchP95(bigStores, generateQueries(big, QUERIES, 8), metaOf(big), 5);
    rows.push({
      name: "memory: search p95, 100k episodes (project + tail + global)",
      floorIs,
      unit: "ms",
      target: atMost(TARGETS.search100kMs),
      ...search100k,
    });
    return { rows, recall: recallRow };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function recallMeets(row: RecallRow): boolean {
  return row.median >= row.target * row.floor;
}

export function renderRecall(row: RecallRow): string {
  const kinds = Object.entries(row.byKind)
    .map(([kind, r]) => `${kind} ${r.bm25.toFixed(3)} vs ${r.overlap.toFixed(3)}`)
    .join(", ");
  const ratio = row.median / row.floor;
  return `${row.name}: ${row.median.toFixed(3)} vs ${row.floorIs} ${row.floor.toFixed(3)} = ${ratio.toFixed(2)}× (target ≥ ${row.target}×) ${recallMeets(row) ? "ok" : "UNDER TARGET"} [${kinds}]`;
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === "--cold-load") {
    const started = performance.now();
    const loaded = loadIndex(argv[1] as string, argv[2] as string, docOf);
    const ms = performance.now() - started;
    if (loaded.rebuilt !== null) throw new Error(`cold load rebuilt: ${loaded.rebuilt}`);
    console.log(ms);
    return;
  }
  if (argv[0] === "--cold-read") {
    const started = performance.now();
    sink += readFileSync(argv[1] as string).length;
    console.log(performance.now() - started);
    return;
  }
  const started = performance.now();
  const { rows, recall: recallRow } = await benchMemory();
  for (const line of renderRows(rows)) console.log(line);
  console.log(renderRecall(recallRow));
  console.log(summary(rows));
  console.error(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
  if (!recallMeets(recallRow) || misses(rows).length > 0) process.exitCode = 1;
}

if (import.meta.main) await main(process.argv.slice(2));
