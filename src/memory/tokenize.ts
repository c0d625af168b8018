// The code-aware tokenizer memory retrieval indexes and queries with (research/MEMORY.md): lower-case
// words, identifier parts (camelCase, snake_case, kebab, path segments) as extra terms, stop words
// dropped, a light plural/-ing/-ed stemmer; error codes (TS2322, ERESOLVE) and numbers kept. Pure.

/** Bump on any change to the terms produced: persisted indexes built by another version are rebuilt. */
export const TOKENIZER_VERSION = 1;

/** A run of word characters, possibly joined by identifier/path separators (`a_b`, `a-b`, `a/b.ts`, `a:b`). */
const CHUNK = /[\p{L}\p{N}_]+(?:[-./:@\\][\p{L}\p{N}_]+)*/gu;
const SEGMENT_SPLIT = /[-./:@\\]/;
/** camelCase / PascalCase / ACRONYMWord boundaries; a digit never splits (TS2322, utf8, e2e stay whole). */
const CAMEL = /\p{Lu}+(?=\p{Lu}\p{Ll})|\p{Lu}?[\p{Ll}\p{N}]+|\p{Lu}[\p{Lu}\p{N}]*|\p{N}+/gu;
const MAX_TERM = 48;

// biome-ignore format: a word list
const STOP_WORDS = new Set([
  "a", "about", "after", "again", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been", "before", "being",
  "but", "by", "can", "could", "did", "do", "does", "doing", "done", "for", "from", "had", "has", "have", "having", "he",
  "her", "here", "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "me", "more", "most", "my", "no", "nor",
  "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "out", "over", "own", "same", "she", "should",
  "so", "some", "such", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those",
  "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while",
  "who", "why", "will", "with", "would", "you", "your",
]);

/**
 * Light suffix stripping: plurals, -ing, -ed, then a trailing "e", so that cause/causes/caused/causing
 * meet. Words with digits, and short words, are left alone.
 */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  let w = word;
  if (w.endsWith("ies") && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith("ied") && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (/(?:ss|sh|ch|x)es$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith("s") && !/(?:ss|us|is)$/.test(w)) w = w.slice(0, -1);
  else if (w.endsWith("ing") && hasVowel(w.slice(0, -3))) w = undouble(w.slice(0, -3));
  else if (w.endsWith("ed") && !w.endsWith("eed") && hasVowel(w.slice(0, -2))) w = undouble(w.slice(0, -2));
  if (w.endsWith("e") && w.length > 4) w = w.slice(0, -1);
  return w;
}

/** string, spring, bed keep their ending: what is left before it would hold no vowel. */
function hasVowel(rest: string): boolean {
  return rest.length >= 3 && /[aeiouy]/.test(rest);
}

/** running → runn → run; but "fall", "pass", "add" keep their double letter. */
function undouble(w: string): string {
  const last = w[w.length - 1];
  return last && last === w[w.length - 2] && !"lsz".includes(last) && w.length > 3 ? w.slice(0, -1) : w;
}

/** One word's terms: its camel parts (stemmed, stop words out), plus the whole word when it has several. */
function wordTerms(word: string, out: string[]): void {
  const parts = word.match(CAMEL) ?? [];
  if (parts.length > 1) pushTerm(word.toLowerCase(), out, false);
  // All-caps codes are stemmed like any word (ERESOLVE → eresolv) so ERR_MODULE meets "module".
  for (const part of parts) pushTerm(part.toLowerCase(), out, true);
}

function pushTerm(term: string, out: string[], stemmed: boolean): void {
  if (term.length < 2 || term.length > MAX_TERM) return;
  if (stemmed) {
    if (STOP_WORDS.has(term)) return;
    out.push(stem(term));
  } else out.push(term);
}

/**
 * The terms of `text`, in order, with repeats (BM25 counts them). An identifier joined by `_` or `-`
 * also yields its whole lower-cased form (`amount_cents`, `docker-compose`); a path (`/`, `.`) only its
 * parts, since a whole path is too rare a term to match anything but itself.
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(CHUNK)) {
    const chunk = match[0];
    const segments = chunk.split(SEGMENT_SPLIT);
    if (segments.length > 1 && !/[./:@\\]/.test(chunk)) pushTerm(chunk.toLowerCase(), out, false);
    for (const segment of segments) {
      const words = segment.split("_").filter((w) => w !== "");
      if (words.length > 1) pushTerm(segment.toLowerCase(), out, false);
      for (const word of words) wordTerms(word, out);
    }
  }
  return out;
}

/** The distinct terms of a query, first occurrence first. */
export function queryTerms(text: string): string[] {
  return [...new Set(tokenize(text))];
}

/**
 * The form two documents share when they are near-identical: lower-case words only, every run of
 * other characters one space. What search dedupes on (via a 32-bit hash kept in the index).
 */
export function normalizeText(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/** FNV-1a, 32 bits, over UTF-16 code units: cheap and stable; a collision only merges two results. */
export function textHash(text: string): number {
  const norm = normalizeText(text);
  let h = 0x811c9dc5;
  for (let i = 0; i < norm.length; i++) {
    h ^= norm.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
