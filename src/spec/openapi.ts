// OpenAPI 3.x / Swagger 2.0 (already parsed from JSON or YAML) → one "operation" item per
// operation, in document order, with the source line of its path key. Pure; lazy about $refs
// and linear in the raw text, so multi-megabyte documents stay fast.
import { specError } from "../core/errors.ts";
import type { SpecSection } from "../core/schema.ts";
import { createResolver } from "./openapi-refs.ts";
import type { Resolve } from "./openapi-refs.ts";
import { isRecord } from "./structured-items.ts";
import { hasExtraYamlDocuments, looksLikeJson, MULTI_DOCUMENT_WARNING } from "./structured.ts";
import type { ParsedSpec, RawItem } from "./types.ts";
import { firstParagraph, firstSentence, LineCursor, normalizeText } from "./item-text.ts";

type Obj = Record<string, unknown>;

const METHODS = new Set(["get", "put", "post", "delete", "patch", "head", "options", "trace"]);
const text = (value: unknown): string => (typeof value === "string" ? normalizeText(value) : "");

export function isOpenApi(value: unknown): boolean {
  if (!isRecord(value)) return false;
  const { openapi, swagger } = value;
  // Unquoted YAML versions ("swagger: 2.0", "openapi: 3.1") arrive as numbers.
  if (typeof openapi === "string") return openapi.startsWith("3.");
  if (typeof openapi === "number") return Math.floor(openapi) === 3;
  return swagger === "2.0" || swagger === 2;
}

/** Finds each path key in the raw text, searching forward from the `paths` key. */
function pathLocator(raw: string): (path: string) => number | undefined {
  const json = looksLikeJson(raw);
  const lines = new LineCursor(raw);
  let cursor = Math.max(0, (json ? /"paths"\s*:/ : /^paths\s*:/m).exec(raw)?.index ?? 0);
  return (path) => {
    const needle = json ? JSON.stringify(path) : path;
    for (let at = raw.indexOf(needle, cursor); at !== -1; at = raw.indexOf(needle, at + 1)) {
      const after = raw.slice(at + needle.length, at + needle.length + 8);
      const isKey = json
        ? /^\s*:/.test(after)
        : /^["']?\s*:/.test(after) && /^\s*["']?$/.test(raw.slice(raw.lastIndexOf("\n", at) + 1, at));
      if (!isKey) continue;
      cursor = at + needle.length;
      return lines.lineAt(at);
    }
    return undefined;
  };
}

export function parseOpenApi(value: unknown, rawText: string, file?: string): ParsedSpec {
  const doc = isRecord(value) ? value : {};
  const hint = "add operations under `paths:` (loki makes one checklist item per operation)";
  if (!isRecord(doc.paths) || Object.keys(doc.paths).length === 0) {
    throw specError("OpenAPI document has no paths", { hint, data: { file } });
  }
  const warnings: string[] = [];
  if (!looksLikeJson(rawText) && hasExtraYamlDocuments(rawText)) warnings.push(MULTI_DOCUMENT_WARNING);
  const resolve = createResolver(doc, warnings);
  const locate = pathLocator(rawText);
  const items: RawItem[] = [];
  for (const [path, entry] of Object.entries(doc.paths)) {
    const line = locate(path);
    const pathItem = resolve(entry, path);
    if (!isRecord(pathItem)) continue;
    for (const [key, op] of Object.entries(pathItem)) {
      if (!METHODS.has(key.toLowerCase()) || !isRecord(op)) continue;
      items.push(operationItem(key.toUpperCase(), path, op, line, resolve));
    }
  }
  if (items.length === 0)
    throw specError(`OpenAPI document has no operations under paths${file ? ` in ${file}` : ""}`, { hint, data: { file } });
  const info = isRecord(doc.info) ? doc.info : {};
  const version = text(info.version);
  const title = `${text(info.title) || "Untitled API"}${version ? ` ${/^v/i.test(version) ? version : `v${version}`}` : ""}`;
  const summary = typeof info.description === "string" ? firstParagraph(info.description) : undefined;
  return {
    title,
    ...(summary ? { summary } : {}),
    sections: tagSections(items),
    items,
    text: [title, typeof info.description === "string" ? info.description : "", ...items.map((i) => i.text)].join("\n"),
    endpoints: items.length,
    warnings,
  };
}

function operationItem(method: string, path: string, op: Obj, line: number | undefined, resolve: Resolve): RawItem {
  const where = `${method} ${path}`;
  const responseMap = resolve(op.responses, `${where} responses`);
  const responses = isRecord(responseMap) ? Object.keys(responseMap).filter((code) => code !== "$ref" && !code.startsWith("x-")) : [];
  // Resolved only to report broken refs: the item needs just the status codes.
  if (isRecord(responseMap)) for (const code of responses) resolve(responseMap[code], `${where} response ${code}`);
  const label = text(op.summary) || text(op.operationId) || firstSentence(text(op.description));
  const tag = Array.isArray(op.tags) ? text(op.tags[0]) : "";
  return {
    text: `${where}${label ? ` — ${label}` : ""}${responses.length > 0 ? ` (responses: ${responses.join(", ")})` : ""}`,
    kind: "operation",
    ...(tag ? { section: tag } : {}),
    ...(line !== undefined ? { line } : {}),
    operation: { method, path, responses },
  };
}

/** One section per first tag, in order of first use. */
function tagSections(items: RawItem[]): SpecSection[] {
  const seen = new Map<string, SpecSection>();
  for (const item of items) {
    if (item.section && !seen.has(item.section)) seen.set(item.section, { title: item.section, level: 2, line: item.line ?? 0 });
  }
  return [...seen.values()];
}
