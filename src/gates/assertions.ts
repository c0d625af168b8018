// Assertions in test code, for the tamper gate: how many a set of lines makes, and how strong each
// is — strong pins a value (equality, deep equality, throws/rejects, a match), weak only checks
// truthiness, type, length or presence, or compares two computed values (a tautology such as
// `add(2, 3)` vs `add(3, 2)`). Pure; reads JS/TS, Python, Go, Rust and JUnit-style names.
import { extname } from "node:path";
import { removedLines } from "./diff-lines.ts";
import type { ChangedFile, Line } from "./gate.ts";
import {
  CAMEL_STRONG,
  GO_VALUE_CHECK,
  LITERAL,
  PY_SNAKE_STRONG,
  TRUE,
  VALUE_MATCH,
  WEAK_OPERAND,
  CAMEL_WEAK,
  GO_EQUALITY,
  GO_STRONG,
  GO_WEAK,
  JS_EQUALITY,
  JS_PROPERTY,
  JS_STRONG,
  JS_TRUTHY,
  JS_WEAK,
  PY_EQUALITY,
} from "./assertion-names.ts";
import { inlineBindings, localBindings, selfComparison } from "./assertion-operands.ts";
import { callArgs, inString, splitTop } from "./source-text.ts";

const FAMILIES: Record<string, string[]> = {
  js: [".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts", ".vue", ".svelte"],
  python: [".py"],
  go: [".go"],
  rust: [".rs"],
  java: [".java", ".kt", ".kts", ".groovy", ".scala"],
  ruby: [".rb"],
};
const FAMILY = new Map(Object.entries(FAMILIES).flatMap(([family, exts]) => exts.map((ext) => [ext, family] as const)));

/** The language family of a path by its extension ("" when none is known). */
export const familyOf = (path: string): string => FAMILY.get(extname(path)) ?? "";

// An assertion *starts* once per statement; a chained matcher alone on its line counts once too, so
// `expect(a).toBe(b)` → `assert.equal(a, b)` is not "fewer assertions".
const ASSERT_START =
  /\bexpect\s*\(|\bassert\w*!?|\bt\.(?:Error|Errorf|Fatal|Fatalf|Fail|FailNow)\b|\brequire\.[A-Z]\w*\s*\(|\.should\b|\bshould[A-Z]\w*|[{;]\s*should\s|\bverify\s*\(/g;
const MATCHER = /\.(?:to|not\.to)[A-Z]\w*\s*\(|\.(?:to|not)\.\w+/;
const IMPORT_LINE = /^\s*(?:import\b|from\s+\S+\s+import\b|use\s|#include\b|(?:const|let|var)\s.*=\s*require\s*\()/;
export const COMMENT_LINE = /^\s*(?:\/\/|\/\*|\*|#(?!\[)|;)/;

/** Assertion-like statements in these lines (imports and comments are not assertions). */
export function countAssertions(lines: readonly string[]): number {
  let total = 0;
  for (const line of lines) {
    if (IMPORT_LINE.test(line) || COMMENT_LINE.test(line)) continue;
    const starts = line.match(ASSERT_START)?.length ?? 0;
    total += starts > 0 ? starts : MATCHER.test(line) ? 1 : 0;
  }
  return total;
}

export type Strength = "strong" | "weak";

function unwrap(text: string): string {
  let t = text.trim();
  while (t.startsWith("(") && t.endsWith(")") && callArgs(t, 0).end === t.length) t = t.slice(1, -1).trim();
  return t;
}

/** Comparing two operands for equality pins a value unless one is only a type, a size or a flag, or both are computed. */
function equality(actual: string, expected: string): Strength {
  const [a, b] = [unwrap(actual), unwrap(expected)];
  if (WEAK_OPERAND.test(a) || WEAK_OPERAND.test(b) || selfComparison(a, b)) return "weak";
  if (TRUE.test(b)) return truthy(a);
  if (TRUE.test(a)) return truthy(b);
  return LITERAL.test(a) || LITERAL.test(b) ? "weak" : "strong";
}

/** Asserting that `expr` holds pins a value only when `expr` compares for equality or matches one. */
function truthy(expr: string): Strength {
  const e = unwrap(expr);
  if (/^(?:!(?!=)|not\s)/.test(e)) return "weak";
  const eq = splitTop(e, "==");
  if (eq !== null) return equality(eq[0], eq[1]);
  return VALUE_MATCH.test(e) && !/\bfor\b/.test(e) ? "strong" : "weak";
}

const jsKnown = (name: string) =>
  JS_STRONG.has(name) || JS_WEAK.has(name) || JS_EQUALITY.has(name) || JS_TRUTHY.has(name) || JS_PROPERTY.has(name);

/** `subject` is what `expect(…)` wraps (null: not on this line); `args` null for a chai property. */
function jsMatcher(name: string, args: string[] | null, subject: string | null): Strength | null {
  if (JS_PROPERTY.has(name)) return (args?.length ?? 0) >= 2 ? "strong" : "weak";
  if (JS_EQUALITY.has(name) && args !== null && args.length > 0) {
    return subject === null
      ? args.length > 1
        ? equality(args[0] ?? "", args[1] ?? "")
        : equality("value", args[0] ?? "")
      : equality(subject, args[0] ?? "");
  }
  if (JS_TRUTHY.has(name)) return subject !== null ? truthy(subject) : args !== null && args.length > 0 ? truthy(args[0] ?? "") : "weak";
  if (JS_STRONG.has(name) || JS_EQUALITY.has(name)) return subject !== null && WEAK_OPERAND.test(unwrap(subject)) ? "weak" : "strong";
  return JS_WEAK.has(name) ? "weak" : null;
}

/** `.to.be.ok`, `.not.toBe(1)`, `.resolves.toEqual(x)`: the last known matcher decides; any `not` is weak. */
function jsChain(text: string, from: number, subject: string | null): Strength | null {
  const links: { name: string; args: string[] | null }[] = [];
  let pos = from;
  for (let link = /^\s*\.\s*(\w+)/.exec(text.slice(pos)); link !== null; link = /^\s*\.\s*(\w+)/.exec(text.slice(pos))) {
    pos += link[0].length;
    const call = /^\s*\(/.exec(text.slice(pos));
    let args: string[] | null = null;
    if (call !== null) ({ args, end: pos } = callArgs(text, pos + call[0].length - 1));
    links.push({ name: link[1] ?? "", args });
  }
  if (links.some((l) => l.name === "not")) return "weak";
  const last = links.findLast((l) => jsKnown(l.name) && (l.args !== null || JS_WEAK.has(l.name) || JS_TRUTHY.has(l.name)));
  return last === undefined ? null : jsMatcher(last.name, last.args, subject);
}

function camel(name: string, args: string[]): Strength | null {
  if (PY_EQUALITY.test(name)) return equality(args[0] ?? "", args[1] ?? "");
  if (name === "assertTrue") return truthy(args[0] ?? "");
  return CAMEL_STRONG.test(name) ? "strong" : CAMEL_WEAK.test(name) ? "weak" : null;
}

function testify(raw: string, args: string[]): Strength | null {
  const name = GO_EQUALITY.has(raw) || GO_STRONG.has(raw) || GO_WEAK.has(raw) ? raw : raw.replace(/f$/, "");
  if (GO_EQUALITY.has(name)) return equality(args[0] ?? "", args[1] ?? "");
  if (name === "True") return truthy(args[0] ?? "");
  return GO_STRONG.has(name) ? "strong" : GO_WEAK.has(name) ? "weak" : null;
}

/** A Go `if` guards a failure: `got != want` is an equality assertion; `err != nil`, `len(x) == 0`, `!ok` are weak. */
function goCondition(cond: string): Strength | null {
  if (GO_VALUE_CHECK.test(cond)) return "strong";
  const last = cond.slice(cond.lastIndexOf(";") + 1).trim();
  const ne = splitTop(last, "!=");
  if (ne !== null) return equality(ne[0], ne[1]);
  return /==|[<>]|^!|\bok\b|\berr\b/.test(last) ? "weak" : null;
}

function rustMacro(name: string, args: string[]): Strength | null {
  const kind = /^(?:debug_|prop_)?assert(_\w+)?$/.exec(name)?.[1];
  if (kind === undefined) return /^(?:debug_|prop_)?assert$/.test(name) ? truthy(args[0] ?? "") : null;
  if (kind === "_eq") return equality(args[0] ?? "", args[1] ?? "");
  if (/eq|matches|approx/.test(kind) && !/_ne/.test(kind)) return "strong";
  return /_(?:ne|ok|err|some|none|gt|lt|ge|le)\b/.test(kind) ? "weak" : null;
}

type Rule = { start: RegExp; grade: (text: string, m: RegExpExecArray) => Strength | null };
/** The index of the "(" a start pattern ends with. */
const paren = (m: RegExpExecArray) => m.index + m[0].length - 1;
const args = (text: string, m: RegExpExecArray) => callArgs(text, paren(m)).args;

function expectCall(text: string, open: number): Strength | null {
  const { args: wrapped, end } = callArgs(text, open);
  return jsChain(text, end, wrapped[0] ?? "");
}

const RULES: Record<string, Rule[]> = {
  js: [
    { start: /\bexpect\s*\(/g, grade: (t, m) => expectCall(t, paren(m)) },
    {
      start: /(?:\b(?:assert|t)|(?<!\.\s*)\bshould)\s*\.\s*(\w+)\s*\(/g,
      grade: (t, m) => (jsKnown(m[1] ?? "") ? jsMatcher(m[1] ?? "", args(t, m), null) : null),
    },
    { start: /\bassert\s*\(/g, grade: (t, m) => truthy(args(t, m)[0] ?? "") },
    { start: /\.should\b/g, grade: (t, m) => jsChain(t, m.index + m[0].length, null) },
  ],
  python: [
    { start: /^\s*assert\b(?!\s*\.)/g, grade: (t, m) => truthy(callArgs(`(${t.slice(m.index + m[0].length)})`, 0).args[0] ?? "") },
    { start: /\b(assert[A-Z]\w*)\s*\(/g, grade: (t, m) => camel(m[1] ?? "", args(t, m)) },
    {
      start: /\b(assert_\w+)\s*\(/g,
      grade: (_, m) => (PY_SNAKE_STRONG.test(m[1] ?? "") ? "strong" : "weak"),
    },
    { start: /\bpytest\.(?:raises|warns|deprecated_call)\s*\(/g, grade: () => "strong" },
  ],
  go: [
    { start: /\b(?:assert|require)\.([A-Z]\w*)\s*\(/g, grade: (t, m) => testify(m[1] ?? "", args(t, m).slice(1)) },
    { start: /\.(?:Require|Assert)\(\)\.([A-Z]\w*)\s*\(/g, grade: (t, m) => testify(m[1] ?? "", args(t, m)) },
    { start: /^\s*(?:\}\s*else\s+)?if\s+(.+?)\s*\{\s*$/g, grade: (_, m) => goCondition(m[1] ?? "") },
  ],
  rust: [
    { start: /\b(\w*assert\w*)!\s*\(/g, grade: (t, m) => rustMacro(m[1] ?? "", args(t, m)) },
    { start: /#\[should_panic\b/g, grade: () => "strong" },
  ],
  java: [{ start: /\b(assert[A-Z]\w*)\s*\(/g, grade: (t, m) => camel(m[1] ?? "", args(t, m)) }],
};

/** The strength of each assertion this line of a test file makes, in order (none: not an assertion line). */
export function classifyLine(text: string, family: string): Strength[] {
  if (IMPORT_LINE.test(text) || COMMENT_LINE.test(text)) return [];
  const out: Strength[] = [];
  for (const rule of RULES[family] ?? []) {
    for (const m of text.matchAll(rule.start)) {
      if (inString(text, m.index)) continue;
      const strength = rule.grade(text, m as RegExpExecArray);
      if (strength !== null) out.push(strength);
    }
  }
  // A matcher continuing a multi-line `expect(…)` on its own line.
  if (out.length === 0 && family === "js" && /^\s*\)*\s*\./.test(text)) {
    const chained = jsChain(text, text.indexOf("."), null);
    if (chained !== null) out.push(chained);
  }
  return out;
}

type Located = { line: number; text: string; strength: Strength };
/** Each assertion graded with the side's own one-off locals spelled out (`want := add(2, 3)` then `== want`). */
function locate(lines: readonly Line[], family: string): Located[] {
  const bindings = localBindings(lines.map((l) => l.text));
  return lines.flatMap(({ line, text }) =>
    classifyLine(inlineBindings(text, bindings), family).map((strength) => ({ line, text: text.trim(), strength })),
  );
}

export type Weakening = {
  line: number;
  text: string;
  replaced: { line: number; text: string };
  removedStrong: number;
  addedStrong: number;
};

/**
 * Strong assertions removed and weak ones added in their place: more strong ones removed than
 * added, and at least one new weak one. A line only moved (same text on both sides) adds nothing.
 */
export function findWeakening(file: Pick<ChangedFile, "path" | "added" | "removed">, family: string): Weakening | null {
  const before = removedLines(file);
  const addedLines = file.added.lines();
  const removedText = new Set(before.map((r) => r.text.trim()));
  const addedText = new Set(addedLines.map((a) => a.text.trim()));
  const removed = locate(before, family).filter((r) => r.strength === "strong");
  const added = locate(addedLines, family);
  const strong = added.filter((a) => a.strength === "strong");
  const weak = added.find((a) => a.strength === "weak" && !removedText.has(a.text));
  if (removed.length <= strong.length || weak === undefined) return null;
  const replaced = removed.find((r) => !addedText.has(r.text)) ?? removed[0];
  if (replaced === undefined) return null;
  return {
    line: weak.line,
    text: weak.text,
    replaced: { line: replaced.line, text: replaced.text },
    removedStrong: removed.length,
    addedStrong: strong.length,
  };
}
