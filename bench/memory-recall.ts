// The memory a build prompt gets, end to end as the loop asks for it (memory/recall.ts memoryForPrompt):
// read this project's episodes and learnings and the global learnings, search them together, fill the
// byte budget, redact each line — on 10k project episodes and 1k global learnings, beside the floor of
// parsing the same JSONL files with JSON.parse alone.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Episode, Learning } from "../src/core/run-schema.ts";
import { workspaceAt } from "../src/core/workspace.ts";
import { memoryForPrompt } from "../src/memory/recall.ts";
import { globalLearnings, openStore, projectEpisodes } from "../src/memory/store.ts";
import type { CorpusEpisode } from "./memory-corpus.ts";
import { type Measured, paired, timed } from "./measure.ts";

/** At most this many times the cost of parsing the stores' JSONL: validation, search and redaction on top stay small. */
export const RECALL_RATIO = 5;

const asEpisode = (e: CorpusEpisode, i: number): Episode => ({
  ts: e.ts,
  run_id: `r${Math.floor(i / 5)}`,
  iteration: (i % 5) + 1,
  provider: "claude",
  result: e.outcome === "failure" ? "gates_failed" : "progress",
  files_changed: e.files.length,
  failures: e.outcome === "failure" ? [e.summary] : [],
  claimed_done: false,
  id: e.id,
  goal: e.goal,
  errors: e.errors.map((x) => ({ ...x, fingerprint: "0".repeat(16) })),
  files: e.files,
});

const asLearning = (e: CorpusEpisode, i: number): Learning => ({
  id: `lr_${i.toString(16).padStart(16, "0")}`,
  ts: e.ts,
  project: e.project,
  run_id: `g${i}`,
  failed_iteration: 1,
  fixed_iteration: 2,
  goal: e.goal,
  seen: [],
  symptom: e.errors.map((x) => `${x.type}: ${x.message}`),
  fingerprints: ["0".repeat(16)],
  cause: e.summary,
  fix: `changed ${e.files.join(", ")}`,
  files: e.files,
  tags: [],
  provider: "claude",
});

/** Writes the stores under `dir` (indexes persisted, as after a run) and measures one prompt's recall against the parse floor. */
export async function benchRecall(dir: string, corpus: readonly CorpusEpisode[], queries: readonly string[]): Promise<Measured> {
  const ws = workspaceAt(dir);
  mkdirSync(join(ws.dir, "memory"), { recursive: true });
  const episodes = corpus.slice(0, 10_000);
  const learnings = corpus.slice(10_000, 11_000).filter((e) => e.errors.length > 0);
  writeFileSync(ws.episodes, episodes.map((e, i) => `${JSON.stringify(asEpisode(e, i))}\n`).join(""));
  const global = globalLearnings(join(dir, "global"));
  mkdirSync(join(dir, "global"), { recursive: true });
  writeFileSync(global.jsonl, learnings.map((e, i) => `${JSON.stringify(asLearning(e, i))}\n`).join(""));
  openStore(projectEpisodes(ws));
  openStore(global);
  let q = 0;
  const parse = (path: string) =>
    readFileSync(path, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line)).length;
  return paired(
    () => timed(() => memoryForPrompt({ ws, global }, queries[q++ % queries.length] as string, "current")),
    () => timed(() => parse(ws.episodes) + parse(global.jsonl)),
    9,
    2,
  );
}
