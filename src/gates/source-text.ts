// Lexical helpers for gates that read source text without parsing it (tamper, test_imports): a
// call's top-level arguments, a top-level operator, string literals, whether an index is inside a
// string. Pure and forgiving: unbalanced text yields what was read so far, never a throw.

const OPEN = new Set(["(", "[", "{"]);
const CLOSE = new Set([")", "]", "}"]);
const QUOTES = new Set(['"', "'", "`"]);

/** Walks `text` from `from`, calling `visit(index, depth)` for every character outside a string literal. */
function scan(text: string, from: number, visit: (index: number, depth: number) => boolean | undefined): void {
  let depth = 0;
  let quote: string | null = null;
  for (let i = from; i < text.length; i++) {
    const c = text[i] ?? "";
    if (quote !== null) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (QUOTES.has(c)) {
      quote = c;
      continue;
    }
    if (visit(i, depth) === true) return;
    if (OPEN.has(c)) depth++;
    else if (CLOSE.has(c)) depth--;
  }
}

/**
 * The arguments of the call whose "(" is at `open`, split at top-level commas and trimmed;
 * `end` is the index after its ")" (or the text's length when the call continues on a later line).
 */
export function callArgs(text: string, open: number): { args: string[]; end: number; closed: boolean } {
  const args: string[] = [];
  let start = open + 1;
  let end = text.length;
  let closed = false;
  scan(text, open + 1, (i, depth) => {
    const c = text[i];
    if (depth === 0 && c === ",") {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    } else if (depth === 0 && c !== undefined && CLOSE.has(c)) {
      end = i + 1;
      closed = true;
      return true;
    }
    return false;
  });
  const last = text.slice(start, closed ? end - 1 : end).trim();
  if (last !== "" || args.length > 0) args.push(last);
  return { args, end, closed };
}

/**
 * Splits `expr` at its first top-level `==`/`===` (not part of `!=`, `<=`, `>=`, `=>`), or at the
 * first top-level `!=`/`!==` with `op: "!="`; null when there is none.
 */
export function splitTop(expr: string, op: "==" | "!="): [string, string] | null {
  // Assigned inside the callback, which TypeScript's narrowing does not follow: hence the cast.
  let hit = null as [number, number] | null;
  scan(expr, 0, (i, depth) => {
    if (depth !== 0) return false;
    const m = /^(?:!==?|===?)/.exec(expr.slice(i, i + 3));
    if (m === null || /[=<>!]/.test(expr[i - 1] ?? "")) return false;
    if (m[0].startsWith("!") !== (op === "!=")) return false;
    hit = [i, m[0].length];
    return true;
  });
  if (hit === null) return null;
  const [at, length] = hit;
  return [expr.slice(0, at).trim(), expr.slice(at + length).trim()];
}

/** A marker inside a string literal is data (a fixture that writes a test), not code. */
export function inString(text: string, index: number): boolean {
  const before = text.slice(0, index).replace(/\\./g, "");
  return ["'", '"', "`"].some((q) => before.split(q).length % 2 === 0);
}

/** The single-line string literals ("…", '…', `…`) in `text`, without their quotes. */
export function stringLiterals(text: string): string[] {
  return [...text.matchAll(/"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'|`((?:[^`\\]|\\.)*)`/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? "");
}

/** Text with whole-line comments (`//`, `#`, a `/* … *\/` block opening a line) blanked, line numbers kept. */
export function withoutCommentLines(text: string): string {
  return text
    .replace(/^\s*\/\*[\s\S]*?\*\//gm, (block) => block.replace(/[^\n]/g, " "))
    .split("\n")
    .map((line) => (/^\s*(?:\/\/|#(?![[!]))/.test(line) ? "" : line))
    .join("\n");
}
