// Episodic memory: one record per iteration (what was being built, what was tried, which gates failed
// and how, which files), and the retrieval of this project's recent failures for the next prompt's
// "PAST FAILURES TO AVOID". Failures get a fingerprint, so a later run can tell it hit the same one again.
import { sha256 } from "../core/hash.ts";
import { redactText } from "../core/redact.ts";
import { oneLine } from "../core/text.ts";
import type { GateResult } from "../core/schema.ts";
import { readJsonlAgain } from "../core/jsonl-again.ts";
import { appendJsonl, type Durability, type Workspace } from "../core/workspace.ts";
import { CostEntry, type Episode, Episode as EpisodeSchema } from "../core/run-schema.ts";

const MESSAGE_CHARS = 300;
const GOAL_CHARS = 1000;
const FILES = 50;

/** What iteration `n` of run `runId` cost so far: its entries in the cost ledger (build and review calls alike). */
export function iterationCost(ws: Workspace, runId: string, n: number): number {
  try {
    const usd = readJsonlAgain(ws.costLedger, CostEntry, () => {})
      .filter((entry) => entry.run_id === runId && entry.iteration === n)
      .reduce((sum, entry) => sum + entry.usd, 0);
    return Math.round(usd * 1e6) / 1e6;
  } catch {
    return 0;
  }
}

/** The id of run `runId`'s iteration `n`: `ep_<run>_<n>`, with `-2`, `-3` … when a crash had it redone. */
export function newEpisodeId(episodes: readonly Episode[], runId: string, n: number): string {
  const base = `ep_${runId}_${n}`;
  const taken = new Set(episodes.filter((e) => e.run_id === runId && e.iteration === n).map((e) => e.id ?? base));
  if (!taken.has(base)) return base;
  let i = 2;
  while (taken.has(`${base}-${i}`)) i++;
  return `${base}-${i}`;
}

/** Appends an episode, its texts redacted: memory keeps no secret a check's output happened to print.
 *  `durability`: the loop's episodes are synced at its iteration boundary (core/durable.ts). */
export function recordEpisode(ws: Workspace, episode: Episode, durability: Durability = "power"): void {
  const r = (text: string) => redactText(text).text;
  appendJsonl(
    ws.episodes,
    EpisodeSchema,
    {
      ...episode,
      failures: episode.failures.map(r),
      ...(episode.goal !== undefined ? { goal: r(episode.goal) } : {}),
      ...(episode.errors ? { errors: episode.errors.map((e) => ({ ...e, message: r(e.message) })) } : {}),
      ...(episode.files ? { files: episode.files.map(r) } : {}),
    },
    durability,
  );
}

/**
 * The same failure across runs and machines, whatever varies in its text: numbers, hex ids, temporary
 * paths and quoted values become placeholders, then gate and text are hashed together.
 */
export function failureFingerprint(type: string, message: string): string {
  const normal = message
    .toLowerCase()
    .replace(/\/(tmp|var\/folders|private)\/[^\s:'"]+/g, "<tmp>")
    .replace(/(?:\/[\w.@+-]+)+\/([\w.@+-]+)/g, "…/$1")
    .replace(/\b[0-9a-f]{7,64}\b/g, "<hex>")
    .replace(/\d+(\.\d+)?/g, "#")
    .replace(/\s+/g, " ")
    .trim();
  return sha256(`${type}\0${normal}`).slice(0, 16);
}

/**
 * The failed gates of an iteration as episode errors: type, the one-line reason with the key line of
 * its digest (a bare "tests failed: exit code 1" would make every red suite the same failure), and the
 * fingerprint of that. The repository's own path becomes "./", so the same failure in another checkout matches.
 */
export function episodeErrors(gates: readonly GateResult[], root?: string): NonNullable<Episode["errors"]> {
  return gates
    .filter((gate) => gate.status === "fail")
    .map((gate) => {
      const key = keyLine(gate.digest ?? "");
      const first = gate.reason.split("\n")[0] ?? "";
      const text = key && !first.includes(key) ? `${first} — ${key}` : first;
      const local = root ? text.replaceAll(`${root}/`, "./") : text;
      // Redacted whole, then cut: a token cut short first is no longer one the rules recognise.
      const message = redactText(local).text.slice(0, MESSAGE_CHARS);
      return { type: gate.id, message, fingerprint: failureFingerprint(gate.id, message) };
    });
}

/** The line of a check's digest that says what went wrong: the first naming an error, else the first with text. */
export function keyLine(digest: string): string {
  const lines = digest
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const key = lines.find(
    (line) => /\b(error|cannot|not found|undefined|expected|failed|exception)\b/i.test(line) && !/^\d+ (fail|error)s?$/.test(line),
  );
  // Cut far past what an episode keeps (MESSAGE_CHARS): the caller redacts, then cuts to that — a token
  // this cut splits lies past the final cut, never in the message.
  return (key ?? lines[0] ?? "").slice(0, 2000);
}

/** A fingerprint of an item's text as the held-out filter compares them (case and spacing aside). */
export const itemHash = (text: string) => sha256(norm(text)).slice(0, 16);

/** What a record's run could see, whole (its goal is cut and redacted): one hash per visible item. */
export const seenHashes = (visible: readonly { text: string }[]) => visible.map((item) => itemHash(item.text));

/** What the run builds, from what the building agent may see: the title and the visible items. */
export function episodeGoal(title: string, visible: readonly { text: string }[]): string {
  return [title, ...visible.map((item) => item.text)].join("\n").slice(0, GOAL_CHARS);
}

export const episodeFiles = (paths: readonly string[]) => paths.slice(0, FILES).map(oneLine);

const norm = (text: string) => text.toLowerCase().replace(/\s+/g, " ").trim();

/**
 * Whether an episode (or a learning: it carries its run's) may inform a prompt that holds `heldOut` items
 * back: not when its run could see one of them (which items are held out changes with the spec — an item
 * visible then may be held out now, and that run's failures name it). Decided on `seen`, the hashes of
 * every item the run could see, taken before any cut or redaction; and, as a second test, on the goal.
 * A record without `seen` (older) is never given while anything is held out.
 */
export function safeFor(
  heldOut: readonly string[],
): (record: { goal?: string | undefined; seen?: string[] | undefined; run_id: string }) => boolean {
  if (heldOut.length === 0) return () => true;
  const hidden = heldOut.map(norm).filter((text) => text !== "");
  const hashes = new Set(heldOut.map(itemHash));
  return (record) =>
    record.seen !== undefined &&
    !record.seen.some((hash) => hashes.has(hash)) &&
    record.goal !== undefined &&
    !hidden.some((text) => norm(record.goal ?? "").includes(text));
}

/** Distinct failure lines from the most recent episodes (newest first), at most `limit`; `keep` filters episodes (safeFor). Pure. */
export function pastFailures(all: readonly Episode[], limit = 5, keep: (episode: Episode) => boolean = () => true): string[] {
  const episodes = all.filter(keep);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const episode of episodes.reverse()) {
    for (const failure of episode.failures) {
      const line = oneLine(failure.split("\n")[0] ?? "").trim();
      if (line === "" || seen.has(line)) continue;
      seen.add(line);
      out.push(line);
      if (out.length >= limit) return out;
    }
  }
  return out;
}
