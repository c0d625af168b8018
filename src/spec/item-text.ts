// Text helpers shared by the spec parsers: item-text normalization (item ids hash this text, so
// it must be deterministic), sentence/paragraph cutting, and offset→line mapping. Pure.

/** Whitespace that collapsing would change: any but a lone space. */
const UNNORMAL_SPACE = /[^\S ]|  /;

/** Trim and collapse inner whitespace; the one normalization every item text goes through. */
export function normalizeText(text: string): string {
  return (UNNORMAL_SPACE.test(text) ? text.replace(/\s+/g, " ") : text).trim();
}

/** Cut to at most `max` characters at a word boundary, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(" ");
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** The first sentence, without its final period (a period followed by space or end ends it). */
export function firstSentence(text: string): string {
  const flat = normalizeText(text);
  const end = /[.!?](?=\s|$)/.exec(flat);
  const sentence = end ? flat.slice(0, end.index + (end[0] === "." ? 0 : 1)) : flat;
  return sentence.trim();
}

/** The first blank-line-separated paragraph, normalized and capped (summaries). */
export function firstParagraph(text: string, max = 300): string | undefined {
  const paragraph = text
    .split(/\r?\n\s*\r?\n/)
    .map(normalizeText)
    .find((p) => p.length > 0);
  return paragraph === undefined ? undefined : truncate(paragraph, max);
}

const VERIFY_SUFFIX = /\s*\(\s*verify:\s*`([^`]+)`\s*\)\s*$/i;
const VERIFY_BULLET = /^verify:\s*`([^`]+)`\s*$/i;

/** Splits a trailing "(verify: `cmd`)" off an item text. */
export function extractVerify(text: string): { text: string; verify?: string } {
  // The suffix ends in ")" and spaces only: any other text is kept without running the pattern.
  if (!text.trimEnd().endsWith(")")) return { text };
  const match = VERIFY_SUFFIX.exec(text);
  if (!match?.[1]) return { text };
  return { text: text.slice(0, match.index).trimEnd(), verify: match[1].trim() };
}

/** The command of a nested "verify: `cmd`" bullet, if the text is one. */
export function verifyBullet(text: string): string | undefined {
  return VERIFY_BULLET.exec(text)?.[1]?.trim();
}

export function wordCount(text: string): number {
  return text.split(/\s+/).filter((word) => /[\p{L}\p{N}]/u.test(word)).length;
}

/**
 * Maps character offsets to 1-based lines. Lookups are expected in ascending order (parsers
 * search forward), so each call only counts the newlines since the previous one: O(n) overall.
 */
export class LineCursor {
  private offset = 0;
  private line = 1;
  constructor(private readonly text: string) {}

  lineAt(offset: number): number {
    if (offset < this.offset) {
      this.offset = 0;
      this.line = 1;
    }
    let at = this.text.indexOf("\n", this.offset);
    while (at !== -1 && at < offset) {
      this.line++;
      at = this.text.indexOf("\n", at + 1);
    }
    this.offset = offset;
    return this.line;
  }
}
