// What memory puts in a build prompt, under ONE byte budget for both blocks: "RELEVANT MEMORIES" (the
// earlier runs' failures and learnings most relevant to what is being built, from this project and the
// global store) and "PAST FAILURES TO AVOID" (this project's most recent failure lines). Only records
// `keep` allows (episodes.ts safeFor), each line redacted and made one line; the caller logs the ids.
import { redactText } from "../core/redact.ts";
import type { Episode, GivenMemories } from "../core/run-schema.ts";
import { clip, oneLine } from "../core/text.ts";
import { pastFailures } from "./episodes.ts";
import { type Entry, readEntries, type Scope, searchMemory } from "./query.ts";

export type GivenMemory = GivenMemories["memories"][number];
export type PromptMemory = { memories: GivenMemory[]; pastFailures: string[] };

/** Bytes of the two memory blocks together at most: memory informs the prompt, it must not crowd it. */
export const MEMORY_BUDGET = 2048;
/** Per-line overhead in the prompt ("- [id] " and the line end), counted against the budget. */
const LINE_OVERHEAD = 32;
const LINE_CHARS = 300;
const HALF = 135;
const PAST_FAILURES = 5;

/** The line a record becomes in the prompt; null when it has nothing to say (an episode without failures). */
export function memoryLine(entry: Entry): string | null {
  if (entry.kind === "learning") {
    const l = entry.record;
    // Both halves kept whole enough to read: the line's cut must not take the fix away.
    if (entry.store === "project") return clean(`${clip(l.symptom.slice(0, 2).join("; "), HALF)} → fixed by: ${clip(l.fix, HALF)}`);
    // Another project's: what failed and which files the fix changed, none of that agent's added lines
    // (text another agent chose word for word has no place in this one's prompt beyond the failure itself).
    const files = l.fix.split("; added: ")[0] ?? "";
    return clean(`(in another of your projects) ${clip(l.symptom[0] ?? "", HALF)} → fixed by: ${clip(files, HALF)}`);
  }
  const e = entry.record;
  // The gates' errors when recorded (the feedback lines say the same in other words), else the lines.
  const failures = e.errors?.length ? e.errors.map((error) => `${error.type}: ${error.message}`) : e.failures;
  if (failures.length === 0) return null;
  const files = (e.files ?? []).slice(0, 3);
  return clean(`${[...new Set(failures)].slice(0, 2).join("; ")}${files.length > 0 ? ` (files: ${files.join(", ")})` : ""}`);
}

/**
 * The memory blocks of run `runId`'s next prompt: memories first (not the run's own records: its
 * feedback already says those), then its recent failure lines in what is left of the budget.
 * Never throws: a store that cannot be read leaves the prompt without memory.
 */
export function memoryForPrompt(
  scope: Scope,
  query: string,
  runId: string,
  options: {
    k?: number;
    keep?: (record: { goal?: string | undefined; seen?: string[] | undefined; run_id: string }) => boolean;
    episodes?: Episode[];
  } = {},
): PromptMemory {
  const k = options.k ?? 5;
  const keep = options.keep ?? (() => true);
  let entries: Entry[] = [];
  let found: ReturnType<typeof searchMemory> = [];
  try {
    entries = readEntries(scope, options.episodes);
    // Filtered before the top-k cut: this run's own episodes match best and must not crowd the rest out.
    found = searchMemory(scope, query, k * 3, { entries, keep: (entry) => entry.record.run_id !== runId && keep(entry.record) });
  } catch {
    found = [];
  }
  const memories: GivenMemory[] = [];
  const shown = new Set<string>();
  let bytes = 0;
  for (const entry of found) {
    const line = memoryLine(entry);
    if (line === null || shown.has(line)) continue;
    const size = Buffer.byteLength(line) + entry.id.length + LINE_OVERHEAD;
    if (bytes + size > MEMORY_BUDGET) break;
    bytes += size;
    shown.add(line);
    memories.push({ id: entry.id, store: entry.store, kind: entry.kind, line });
    if (memories.length >= k) break;
  }
  const failures: string[] = [];
  const episodes = entries.flatMap((entry) => (entry.kind === "episode" ? [entry.record] : []));
  for (const failure of pastFailures(episodes, PAST_FAILURES * 2, keep)) {
    const line = clean(failure);
    const size = Buffer.byteLength(line) + LINE_OVERHEAD;
    if (shown.has(line) || bytes + size > MEMORY_BUDGET) continue;
    bytes += size;
    shown.add(line);
    failures.push(line);
    if (failures.length >= PAST_FAILURES) break;
  }
  return { memories, pastFailures: failures };
}

/** Redacted, one line, at most LINE_CHARS characters. */
function clean(text: string): string {
  return clip(oneLine(redactText(text).text).trim(), LINE_CHARS);
}
