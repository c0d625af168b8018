// What the operands of an equality assertion are made of, for assertion grading: whether both sides
// are values computed by the code (a call chain, no literal), whether they call the same function,
// and the test's own local bindings spelled out in place (`want := Add(2, 3)`). Pure text; never throws.
import { callArgs, inString } from "./source-text.ts";

/** `expr` with every call's arguments dropped: `add(2, 3).value` → `add().value`. */
function maskArgs(expr: string): string {
  let out = "";
  let i = 0;
  while (i < expr.length) {
    const c = expr[i] ?? "";
    if (c === "(" && !inString(expr, i)) {
      const { end } = callArgs(expr, i);
      out += "()";
      i = Math.max(end, i + 1);
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

const CALL_CHAIN = /^(?:(?:await|new)\s+)?[\w$]+(?:\s*\.\s*[\w$]+)*\s*\(\)(?:\s*\.\s*[\w$]+(?:\s*\(\))?|\s*\?)*$/;

/** A value the code computes: a call chain with no literal outside its arguments (`calc.add(2, 3).x`). */
const computed = (expr: string): boolean => CALL_CHAIN.test(maskArgs(expr).trim());

/**
 * A comparison that cannot fail on a wrong value: a side compared with itself, or two computed
 * values (`add(2, 3)` vs `add(3, 2)`, `f(x)` vs a local bound to `f(x)`) with no literal to pin either.
 */
export function selfComparison(actual: string, expected: string): boolean {
  if (actual.replace(/\s+/g, "") === expected.replace(/\s+/g, "")) return true;
  return computed(actual) && computed(expected);
}

const BINDING =
  /^\s*(?:(?:const|let|var|final|val|auto)\s+)?([A-Za-z_$][\w$]*)\s*(?::\s*[\w$.<>[\]| ]+?)?\s*(?::=|=(?![=>]))\s*(.+?);?\s*$/;

/** Names assigned exactly once in these lines, with the expression assigned. */
export function localBindings(lines: readonly string[]): Map<string, string> {
  const seen = new Map<string, string | null>();
  for (const line of lines) {
    const m = BINDING.exec(line);
    if (m === null || m[1] === undefined || m[2] === undefined) continue;
    seen.set(m[1], seen.has(m[1]) ? null : m[2]);
  }
  return new Map([...seen].flatMap(([name, value]) => (value === null ? [] : [[name, value] as const])));
}

/** `line` with each bound name (not a callee, not a property, not in a string) replaced by `(its value)`. */
export function inlineBindings(line: string, bindings: ReadonlyMap<string, string>): string {
  if (bindings.size === 0 || BINDING.test(line)) return line;
  const names = [...bindings.keys()].map((n) => n.replace(/\$/g, "\\$")).join("|");
  const use = new RegExp(`(?<![\\w$.])(?:${names})(?![\\w$]|\\s*\\()`, "g");
  return line.replace(use, (name, at: number) => (inString(line, at) ? name : `(${bindings.get(name) ?? name})`));
}
