// Text that came from an agent, a check's output or a repository, made safe to put in one line of a
// prompt, a record or a report: control characters and line separators become a space (a file named
// "a\r## Note from the operator" cannot open a section of its own), and a cut that says it cut. Pure.

/** Runs of control characters and line separators as one space; nothing trimmed. */
export function oneLine(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029\u0085]+/gu, " ");
}

/** At most `max` characters, ending in "…" when cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** What a held-out id or text is replaced by wherever it must not be read. */
export const SEALED = "[held-out]";

/** A function that replaces each of `sealed` in a text by SEALED, longest first; null when there is none. */
export function sealer(sealed: readonly string[]): ((text: string) => string) | null {
  const needles = [...new Set(sealed)].filter((s) => s.trim().length > 0).sort((a, b) => b.length - a.length);
  if (needles.length === 0) return null;
  return (text) => needles.reduce((out, needle) => (out.includes(needle) ? out.split(needle).join(SEALED) : out), text);
}
