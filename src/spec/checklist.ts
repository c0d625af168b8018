// Stable item ids and the visible checklist. An id is a hash of the item's normalized text, so the
// same text gets the same id on every run and machine; repeats get -2, -3… in document order. Pure.
import type { Checklist, ChecklistItem, SpecItem } from "../core/schema.ts";
import { SCHEMA_VERSION } from "../core/schema.ts";
import { sha256 } from "../core/hash.ts";
import { normalizeText } from "./item-text.ts";
import type { RawItem } from "./types.ts";

/** Case, spacing, Unicode form and trailing punctuation do not change an item's identity. */
export function normalizeItemText(text: string): string {
  const lower = normalizeText(text.normalize("NFKC").toLowerCase());
  // Only a text ending in one of these has a tail to cut (the pattern is not run on every item).
  return TAIL_CHAR.test(lower.slice(-1)) ? lower.replace(/[\s.;:,!]+$/u, "").trim() : lower;
}

const TAIL_CHAR = /^[\s.;:,!]$/u;

export function itemId(text: string): string {
  return `ac-${sha256(normalizeItemText(text)).slice(0, 10)}`;
}

/** Assign ids; an item whose normalized text repeats gets a numbered suffix by occurrence. */
export function assignIds(items: RawItem[]): SpecItem[] {
  const seen = new Map<string, number>();
  return items.map((raw) => {
    const base = itemId(raw.text);
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    // Keys in the order of the SpecItem schema, which is the order zod's parse wrote them in.
    const item: SpecItem = { id: count === 1 ? base : `${base}-${count}`, text: raw.text, kind: raw.kind } as SpecItem;
    if (raw.section !== undefined) item.section = raw.section;
    if (raw.group !== undefined) item.group = raw.group;
    item.source = {};
    if (raw.file !== undefined) item.source.file = raw.file;
    if (raw.line !== undefined) item.source.line = raw.line;
    if (raw.verify !== undefined) item.verify = raw.verify;
    if (raw.operation !== undefined) item.operation = raw.operation;
    return item;
  });
}

/** The checklist the build loop may see: every item except the held-out ones, which are only counted. */
export function buildChecklist(items: SpecItem[], heldOutIds: ReadonlySet<string>, specSha256: string, now: Date): Checklist {
  const visible = items.filter((item) => !heldOutIds.has(item.id));
  return {
    schema_version: SCHEMA_VERSION,
    spec_sha256: specSha256,
    items: visible.map(pendingItem),
    held_out_count: items.length - visible.length,
    updated_at: now.toISOString(),
  };
}

/** An item as the checklist lists it: its keys in this order, the optional two only when set (one
 *  literal per case, no intermediate objects for 20,000 items). */
function pendingItem({ id, text, kind, section, source: { line } }: SpecItem): ChecklistItem {
  const status = "pending";
  if (section !== undefined)
    return line === undefined ? { id, text, kind, section, status } : { id, text, kind, section, source_line: line, status };
  return line === undefined ? { id, text, kind, status } : { id, text, kind, source_line: line, status };
}
