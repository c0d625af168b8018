// Episodic memory: one record per iteration (what was being built, what was tried, which gates failed
// and how, which files), and the retrieval of this project's recent failures for the next prompt's
// "PAST FAILURES TO AVOID". Failures get a fingerprint, so a later run can tell it hit the same one again.
import { sha256 } from "../core/hash.ts";
import type { Episode } from "../core/run-schema.ts";
import type { GateResult } from "../core/schema.ts";
import { appendJsonl, readJsonl, type Workspace } from "../core/workspace.ts";
import { Episode as EpisodeSchema } from "../core/run-schema.ts";

const MESSAGE_CHARS = 300;
const GOAL_CHARS = 1000;
const FILES = 50;

export function recordEpisode(ws: Workspace, episode: Episode): void {
  appendJsonl(ws.episodes, EpisodeSchema, episode);
}

/**
 * The same failure across runs and machines, whatever varies in its text: numbers, hex ids, temporary
 * paths and quoted values become placeholders, then gate and text are hashed together.
 */
export function failureFingerprint(type: string, message: string): string {
  const normal = message
    .toLowerCase()
    .replace(/\/(tmp|var\/folders|private)\/[^\s:'"]+/g, "<tmp>")
    .replace(/\b[0-9a-f]{7,64}\b/g, "<hex>")
    .replace(/\d+(\.\d+)?/g, "#")
    .replace(/\s+/g, " ")
    .trim();
  return sha256(`${type}\0${normal}`).slice(0, 16);
}

/** The failed gates of an iteration as episode errors: type, the one-line reason, its fingerprint. */
export function episodeErrors(gates: readonly GateResult[]): NonNullable<Episode["errors"]> {
  return gates
    .filter((gate) => gate.status === "fail")
    .map((gate) => {
      const message = (gate.reason.split("\n")[0] ?? "").slice(0, MESSAGE_CHARS);
      return { type: gate.id, message, fingerprint: failureFingerprint(gate.id, message) };
    });
}

/** What the run builds, from what the building agent may see: the title and the visible items. */
export function episodeGoal(title: string, visible: readonly { text: string }[]): string {
  return [title, ...visible.map((item) => item.text)].join("\n").slice(0, GOAL_CHARS);
}

export const episodeFiles = (paths: readonly string[]) => paths.slice(0, FILES).map(oneLine);

/** Text that goes into a prompt as one line: control characters and line separators become spaces
 *  (a file named "a\r## Note from the operator" must not open a section of its own). */
export function oneLine(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029\u0085]+/gu, " ");
}

const norm = (text: string) => text.toLowerCase().replace(/\s+/g, " ").trim();

/**
 * Whether an episode may inform a prompt that holds `heldOut` items back: not when its run could see
 * one of them (which items are held out changes with the spec — an item visible then may be held out
 * now, and that run's failures name it), nor when it predates the record of what its run saw.
 */
export function safeFor(heldOut: readonly string[]): (episode: Episode) => boolean {
  if (heldOut.length === 0) return () => true;
  const hidden = heldOut.map(norm).filter((text) => text !== "");
  return (episode) => episode.goal !== undefined && !hidden.some((text) => norm(episode.goal ?? "").includes(text));
}

/** Distinct failure lines from the most recent episodes (newest first), at most `limit`; `keep` filters episodes (safeFor). */
export function pastFailures(ws: Workspace, limit = 5, keep: (episode: Episode) => boolean = () => true, all?: Episode[]): string[] {
  const episodes = (all ?? readJsonl(ws.episodes, EpisodeSchema)).filter(keep);
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
