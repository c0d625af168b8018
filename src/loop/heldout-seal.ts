// The held-out items as loki's private knowledge, for what the loop keeps and shows later: a sealing
// function for ship-gate reasons (the council saw every item) before they become feedback or tasks, and
// a test of whether a plan names a held-out item — by id, by text, or by a run of its words, however
// cased, spaced or wrapped. loki reveals them from its private store; the agent never runs this code.
import { sealer } from "../core/text.ts";
import type { Workspace } from "../core/workspace.ts";
import { revealHeldOut } from "../spec/heldout-store.ts";

/** Words in a row that, shared with a held-out item's text and with no visible item's, name it. */
const SHINGLE = 6;

/** Replaces every held-out id and text in a string by [held-out]; identity when the run holds none out. */
export function heldOutSeal(ws: Workspace, runId: string): (text: string) => string {
  const items = reveal(ws, runId);
  return (items && sealer(items.flatMap((item) => [item.text, item.id]))) || ((text) => text);
}

/**
 * Whether a text names a held-out item: its id, its whole text, or SHINGLE of its words in a row that no
 * visible item has — compared after NFKC, case folding, and with format characters, markdown marks and
 * line breaks gone. null: the items cannot be revealed (the caller fails closed when the run holds some out).
 */
export function heldOutNamer(ws: Workspace, runId: string, visibleTexts: readonly string[]): ((text: string) => boolean) | null {
  const items = reveal(ws, runId);
  if (!items) return null;
  const visible = new Set(visibleTexts.flatMap((t) => shingles(words(t))));
  const needles = items.map((item) => ({
    id: normal(item.id),
    text: words(item.text).join(" "),
    runs: shingles(words(item.text)).filter((s) => !visible.has(s)),
  }));
  return (text) => {
    const flat = normal(text);
    const said = words(text).join(" ");
    const runs = new Set(shingles(words(text)));
    return needles.some((n) => flat.includes(n.id) || (n.text !== "" && said.includes(n.text)) || n.runs.some((r) => runs.has(r)));
  };
}

function reveal(ws: Workspace, runId: string): { id: string; text: string }[] | null {
  try {
    return revealHeldOut(ws, runId).items;
  } catch {
    return null;
  }
}

function normal(text: string): string {
  return text
    .normalize("NFKC")
    .replace(/\p{Cf}/gu, "")
    .toLowerCase();
}

function words(text: string): string[] {
  return normal(text)
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

function shingles(list: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + SHINGLE <= list.length; i++) out.push(list.slice(i, i + SHINGLE).join(" "));
  return out;
}
