// Finds acceptance items in free-form JSON/YAML values: lists under recognized keys at any
// depth, with source lines from the raw text (JSON: forward string search; YAML: node ranges).
// Pure; one walk of the value, one forward scan of the raw text.
import type { Node as YamlNode } from "yaml";
import type { SpecItemKind, SpecSection } from "../core/schema.ts";
import type { RawItem } from "./types.ts";
import { LineCursor, normalizeText } from "./item-text.ts";

export const ITEM_KEYS = [
  "features",
  "requirements",
  "acceptance",
  "acceptance_criteria",
  "criteria",
  "user_stories",
  "stories",
  "tasks",
  "scenarios",
];

const KEY_KINDS = new Map<string, SpecItemKind>([
  ["features", "requirement"],
  ["requirements", "requirement"],
  ["acceptance", "acceptance"],
  ["acceptancecriteria", "acceptance"],
  ["criteria", "acceptance"],
  ["userstories", "requirement"],
  ["stories", "requirement"],
  ["tasks", "task"],
  ["scenarios", "scenario"],
]);

type Path = (string | number)[];
type Obj = Record<string, unknown>;
/** Line of the node at `path` (YAML) or of the next occurrence of `literal` (JSON). */
type Locate = (path: Path, literal: string, isKey: boolean) => number | undefined;

export function keyKind(key: string): SpecItemKind | undefined {
  return KEY_KINDS.get(key.toLowerCase().replace(/[-_\s]/g, ""));
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** The first non-empty text field among `keys`, matched case-insensitively. */
export function fieldOf(value: Obj, keys: string[]): { key: string; text: string } | undefined {
  for (const want of keys) {
    for (const [key, found] of Object.entries(value)) {
      if (key.toLowerCase() !== want) continue;
      const text = typeof found === "number" ? String(found) : typeof found === "string" ? normalizeText(found) : "";
      if (text !== "") return { key, text };
    }
  }
  return undefined;
}

function jsonLocator(raw: string): Locate {
  const lines = new LineCursor(raw);
  let cursor = 0;
  return (_path, literal, isKey) => {
    const needle = JSON.stringify(literal);
    for (let at = raw.indexOf(needle, cursor); at !== -1; at = raw.indexOf(needle, at + 1)) {
      if (/^\s*:/.test(raw.slice(at + needle.length, at + needle.length + 16)) !== isKey) continue;
      cursor = at + needle.length;
      return lines.lineAt(at);
    }
    return undefined;
  };
}

function yamlLocator(raw: string): Locate {
  const { isMap, isScalar, isSeq, LineCounter, parseAllDocuments } = require("yaml") as typeof import("yaml");
  const lineCounter = new LineCounter();
  const root = parseAllDocuments(raw, { lineCounter })[0]?.contents ?? null;
  return (path, _literal, isKey) => {
    let node: unknown = root;
    let keyNode: YamlNode | undefined;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        keyNode = isScalar(pair?.key) ? pair.key : undefined;
        node = pair?.value;
      } else if (isSeq(node) && typeof segment === "number") {
        node = node.items[segment];
      } else return undefined;
    }
    const target = isKey ? keyNode : (node as YamlNode | undefined);
    const offset = target?.range?.[0];
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
}

export function collectStructured(value: unknown, raw: string, isJson: boolean) {
  const locate = isJson ? jsonLocator(raw) : yamlLocator(raw);
  const items: RawItem[] = [];
  const sections: SpecSection[] = [];
  const warnings: string[] = [];
  const strings: string[] = [];

  const element = (el: unknown, path: Path, kind: SpecItemKind, section: string, group: string | undefined): void => {
    if (typeof el === "string") {
      const text = normalizeText(el);
      if (text !== "") items.push(item(text, kind, section, group, locate(path, el, false)));
      return;
    }
    if (Array.isArray(el)) return el.forEach((sub, i) => element(sub, [...path, i], kind, section, group));
    if (!isRecord(el)) return void warnings.push(`ignored a non-text element at ${path.join(".")}`);
    const name = fieldOf(el, ["name", "title", "summary", "id"]);
    if (hasItemList(el)) return walk(el, path, name?.text ?? group);
    const description = fieldOf(el, ["description", "desc", "details"]) ?? steps(el);
    const text = name && description ? `${name.text}: ${description.text}` : (name ?? description)?.text;
    if (text === undefined) return void warnings.push(`ignored an element with no name, title or description at ${path.join(".")}`);
    const anchor = name ?? description;
    const line = anchor ? locate([...path, anchor.key], String(el[anchor.key]), false) : undefined;
    const verify = fieldOf(el, ["verify"])?.text;
    items.push({ ...item(text, kind, section, group, line), ...(verify ? { verify } : {}) });
  };

  const walk = (node: unknown, path: Path, group: string | undefined): void => {
    if (Array.isArray(node)) return node.forEach((sub, i) => walk(sub, [...path, i], group));
    if (!isRecord(node)) return;
    for (const [key, child] of Object.entries(node)) {
      const kind = keyKind(key);
      const at = [...path, key];
      if (kind === undefined || !(Array.isArray(child) || isRecord(child))) {
        walk(child, at, group);
        continue;
      }
      const level = at.filter((s) => typeof s === "string").length;
      sections.push({ title: key, level, line: locate(at, key, true) ?? 0 });
      if (Array.isArray(child)) child.forEach((el, i) => element(el, [...at, i], kind, key, group));
      // "requirements: {functional: [...], security: [...]}" groups its lists by sub-key.
      else
        for (const [sub, list] of Object.entries(child))
          if (Array.isArray(list)) list.forEach((el, i) => element(el, [...at, sub, i], kind, key, sub));
    }
  };

  walk(value, [], undefined);
  collectStrings(value, strings);
  return { items, sections, warnings, strings };
}

function hasItemList(el: Obj): boolean {
  return Object.entries(el).some(([key, child]) => keyKind(key) !== undefined && (Array.isArray(child) || isRecord(child)));
}

/** Scenario objects without a description: "GIVEN …; WHEN …; THEN …" (anchored at the first step). */
function steps(el: Obj): { key: string; text: string } | undefined {
  const found = ["given", "when", "then"].flatMap((k) => {
    const step = fieldOf(el, [k]);
    return step ? [{ key: step.key, text: `${k.toUpperCase()} ${step.text}` }] : [];
  });
  const first = found[0];
  return first ? { key: first.key, text: found.map((f) => f.text).join("; ") } : undefined;
}

function item(text: string, kind: SpecItemKind, section: string, group: string | undefined, line: number | undefined): RawItem {
  return { text, kind, section, ...(group !== undefined ? { group } : {}), ...(line !== undefined ? { line } : {}) };
}

function collectStrings(value: unknown, out: string[]): void {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, out);
  else if (isRecord(value)) for (const v of Object.values(value)) collectStrings(v, out);
}
