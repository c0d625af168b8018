// JSON/YAML spec text → values (syntax errors become specErrors with file:line:col), and
// free-form (non-OpenAPI) JSON/YAML specs → ParsedSpec. Pure: no fs, errors only via specError.
import type { ParseError } from "jsonc-parser";
import type { YAMLError } from "yaml";
import { specError } from "../core/errors.ts";
import { collectStructured, fieldOf, ITEM_KEYS } from "./structured-items.ts";
import type { ParsedSpec } from "./types.ts";
import { firstParagraph, LineCursor } from "./item-text.ts";

export const MULTI_DOCUMENT_WARNING = "the YAML file holds several documents; only the first is used";

const JSON_REASONS: Record<string, string> = {
  InvalidSymbol: "unexpected character",
  InvalidNumberFormat: "invalid number",
  PropertyNameExpected: "property name expected",
  ValueExpected: "value expected",
  ColonExpected: "':' expected",
  CommaExpected: "',' expected",
  CloseBraceExpected: "'}' expected",
  CloseBracketExpected: "']' expected",
  EndOfFileExpected: "unexpected content after the end of the document",
  InvalidCommentToken: "comments are not allowed in JSON",
  UnexpectedEndOfComment: "unterminated comment",
  UnexpectedEndOfString: "unterminated string",
  UnexpectedEndOfNumber: "incomplete number",
  InvalidUnicode: "invalid unicode escape",
  InvalidEscapeCharacter: "invalid escape character",
  InvalidCharacter: "invalid character in string",
};

function syntaxError(format: "JSON" | "YAML", file: string | undefined, line: number, column: number, reason: string) {
  const where = `${file ?? "spec"}:${line}:${column}`;
  return specError(`${where}: invalid ${format}: ${reason}`, {
    hint: `fix the ${format} at line ${line}, column ${column}${file ? ` of ${file}` : ""}, then run the command again`,
    data: { file, line, column },
  });
}

export function parseJsonText(text: string, file?: string): unknown {
  const body = text.replace(/^\uFEFF/, "");
  try {
    return JSON.parse(body);
  } catch (error) {
    // JSON.parse reports no position in Bun; jsonc-parser in strict mode finds the same first
    // error with its exact offset.
    const errors: ParseError[] = [];
    // The ES module build: the package's main is a UMD file whose own requires a bundle cannot follow.
    const { parse: parseJsonc, printParseErrorCode } = require("jsonc-parser/lib/esm/main.js") as typeof import("jsonc-parser");
    parseJsonc(body, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors[0];
    if (!first) throw syntaxError("JSON", file, 1, 1, error instanceof Error ? error.message : String(error));
    const before = body.slice(0, first.offset);
    const line = new LineCursor(body).lineAt(first.offset);
    const column = first.offset - (before.lastIndexOf("\n") + 1) + 1;
    const name = printParseErrorCode(first.error);
    throw syntaxError("JSON", file, line, column, JSON_REASONS[name] ?? name);
  }
}

// Above this size the yaml package needs most of a second (5 MB OpenAPI files are common), so
// a single-document file is parsed by Bun's native parser; the yaml package still reports errors.
const NATIVE_YAML_MIN_CHARS = 1_000_000;

function parseNativeYaml(text: string): { value: unknown } | undefined {
  if (text.length < NATIVE_YAML_MIN_CHARS || typeof Bun === "undefined" || hasExtraYamlDocuments(text)) return undefined;
  try {
    return { value: Bun.YAML.parse(text) };
  } catch {
    return undefined;
  }
}

export function parseYamlText(text: string, file?: string): unknown {
  const native = parseNativeYaml(text);
  if (native) return native.value;
  const { parseAllDocuments } = require("yaml") as typeof import("yaml");
  const docs = parseAllDocuments(text);
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) throw yamlSyntaxError(error, file);
  }
  const first = docs[0];
  if (!first) return null;
  try {
    return first.toJS();
  } catch (error) {
    // toJS fails only on semantic limits (e.g. alias expansion caps), which carry no position.
    throw syntaxError("YAML", file, 1, 1, error instanceof Error ? error.message : String(error));
  }
}

/** Deeper than any real spec: past it, walking the document would exhaust the stack. */
export const MAX_SPEC_DEPTH = 200;

/** Refuses a document nested deeper than MAX_SPEC_DEPTH, checked without recursion. */
export function assertShallow(value: unknown, file?: string): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== "object") continue;
    if (depth > MAX_SPEC_DEPTH)
      throw specError(`${file ?? "the spec"} is nested more than ${MAX_SPEC_DEPTH} levels deep: loki reads specs up to that depth`, {
        hint: "flatten the document (acceptance items as a list near the top), then run the command again",
      });
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
}

function yamlSyntaxError(error: YAMLError, file: string | undefined) {
  const pos = error.linePos?.[0] ?? { line: 1, col: 1 };
  const reason = (error.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?\s*$/, "");
  return syntaxError("YAML", file, pos.line, pos.col, reason);
}

/** True when YAML text has a document marker after content: a second document follows. */
export function hasExtraYamlDocuments(rawText: string): boolean {
  const content = /^(?![ \t]*(?:#|%|---|\.\.\.|$)).+/m.exec(rawText);
  if (!content) return false;
  return /^(?:---|\.\.\.)(?:[ \t]|$)/m.test(rawText.slice(content.index));
}

/** Whether raw text is JSON (as opposed to YAML) for source-line lookups. */
export function looksLikeJson(rawText: string): boolean {
  return /^\uFEFF?\s*[[{]/.test(rawText);
}

function titleOf(root: Record<string, unknown>): string | undefined {
  const project = Object.entries(root).find(([key]) => key.toLowerCase() === "project")?.[1];
  const nested =
    project && typeof project === "object" && !Array.isArray(project)
      ? fieldOf(project as Record<string, unknown>, ["name", "title"])
      : undefined;
  return fieldOf(root, ["title", "name", "project"])?.text ?? nested?.text;
}

export function parseStructured(value: unknown, rawText: string, file?: string): ParsedSpec {
  const isJson = looksLikeJson(rawText);
  const { items, sections, strings, warnings } = collectStructured(value, rawText, isJson);
  if (items.length === 0) {
    throw specError(`no acceptance items found in ${file ?? "the spec"}: loki looks for lists under the keys ${ITEM_KEYS.join(", ")}`, {
      hint: 'add a list of items, e.g. "acceptance_criteria": ["users can sign in"]',
      data: { file },
    });
  }
  if (!isJson && hasExtraYamlDocuments(rawText)) warnings.unshift(MULTI_DOCUMENT_WARNING);
  const root = value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  const description = Object.entries(root).find(([key]) => /^(description|summary|overview)$/i.test(key))?.[1];
  const summary = typeof description === "string" ? firstParagraph(description) : undefined;
  return {
    title: titleOf(root) ?? "Untitled spec",
    ...(summary ? { summary } : {}),
    sections,
    items,
    text: strings.join("\n"),
    endpoints: 0,
    warnings,
  };
}
