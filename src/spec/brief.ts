// A one-line or short free-text brief → ParsedSpec: each clause becomes a "brief" item.
// Pure; deterministic splitting so the same brief always yields the same items (and ids).
import { specError } from "../core/errors.ts";
import type { ParsedSpec, RawItem } from "./types.ts";
import { normalizeText, truncate, wordCount } from "./item-text.ts";

// Sentence ends need a following capital, digit or quote, so "e.g. the" and "v1.2" stay whole.
const CLAUSE_BREAK = /[.!?]+\s+(?=[\p{Lu}\p{N}"'`(])|;\s*/u;
const BULLET = /^\s*(?:[-*+•]|\d{1,3}[.)])\s+(?:\[[ xX]\]\s+)?/;
const CONJUNCTION = /(,?\s+and then\s+|,\s+and\s+)/i;

/** Split on ", and" / " and then" only where both sides are clauses of their own (≥ 3 words). */
function splitConjunctions(clause: string): string[] {
  const [head = "", ...rest] = clause.split(CONJUNCTION);
  const out: string[] = [];
  let current = head;
  for (let i = 0; i < rest.length; i += 2) {
    const separator = rest[i] ?? "";
    const next = rest[i + 1] ?? "";
    if (wordCount(current) >= 3 && wordCount(next) >= 3) {
      out.push(current);
      current = next;
    } else current += separator + next;
  }
  out.push(current);
  return out;
}

const clean = (clause: string) => normalizeText(clause).replace(/[\s.;,:]+$/, "");

export function parseBrief(text: string): ParsedSpec {
  const rows = text.split(/\r?\n|\r/).map((row) => row.replace(BULLET, ""));
  const flat = normalizeText(rows.join(" "));
  if (flat === "")
    throw specError("the brief is empty", { hint: 'describe the change, e.g. loki start "add a /health endpoint that returns 200"' });
  const items: RawItem[] = [];
  rows.forEach((row, index) => {
    for (const sentence of row.split(CLAUSE_BREAK)) {
      for (const clause of splitConjunctions(sentence)) {
        const itemText = clean(clause);
        if (wordCount(itemText) >= 2) items.push({ text: itemText, kind: "brief", line: index + 1 });
      }
    }
  });
  // A brief of one-word clauses ("refactor") is still a goal: keep it whole.
  if (items.length === 0) items.push({ text: clean(flat), kind: "brief", line: 1 });
  const title = truncate(flat, 72);
  return {
    title,
    ...(title !== flat ? { summary: truncate(flat, 300) } : {}),
    sections: [],
    items,
    text,
    endpoints: 0,
    warnings: [],
  };
}
