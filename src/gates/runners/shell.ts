// Shell text as the tests gate needs it: top-level command segments (split on && || ; | & and
// newlines, quotes respected), the words of each with their offsets, and insertion of extra words.
// Pure: it never runs anything, and it reads only enough shell to find a test runner's arguments.

export type Word = { text: string; start: number; end: number };
export type Segment = { words: Word[]; start: number; end: number };

const OPERATOR = /^(&&|\|\||;;|[;|&\n])/;

/** Unquoted value of a word: quotes removed, backslash escapes resolved. */
function unquote(raw: string): string {
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] ?? "";
    if (c === "'") {
      const close = raw.indexOf("'", i + 1);
      out += raw.slice(i + 1, close < 0 ? raw.length : close);
      i = close < 0 ? raw.length : close;
    } else if (c === '"') {
      let j = i + 1;
      while (j < raw.length && raw[j] !== '"') {
        if (raw[j] === "\\" && j + 1 < raw.length) j++;
        out += raw[j] ?? "";
        j++;
      }
      i = j;
    } else if (c === "\\" && i + 1 < raw.length) {
      out += raw[i + 1] ?? "";
      i++;
    } else out += c;
  }
  return out;
}

/** The top-level segments of `text`, each with its words (unquoted) and their source offsets. */
export function splitSegments(text: string): Segment[] {
  const segments: Segment[] = [];
  let words: Word[] = [];
  let segStart = 0;
  let i = 0;
  const close = (end: number) => {
    if (words.length > 0) segments.push({ words, start: segStart, end });
    words = [];
  };
  while (i < text.length) {
    const c = text[i] ?? "";
    if (c === " " || c === "\t") {
      i++;
      continue;
    }
    if (c === "#" && words.length === 0) {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    const op = OPERATOR.exec(text.slice(i));
    if (op) {
      close(i);
      i += op[0].length;
      segStart = i;
      continue;
    }
    const start = i;
    while (i < text.length && !/[ \t\n;&|]/.test(text[i] ?? "")) {
      const q = text[i];
      if (q === "'" || q === '"') {
        let j = i + 1;
        while (j < text.length && text[j] !== q) j += text[j] === "\\" && q === '"' ? 2 : 1;
        i = j + 1;
      } else i += q === "\\" ? 2 : 1;
    }
    if (words.length === 0) segStart = start;
    words.push({ text: unquote(text.slice(start, Math.min(i, text.length))), start, end: Math.min(i, text.length) });
  }
  close(text.length);
  return segments;
}

/** A word quoted for sh, unless it needs no quoting. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/** Replace source range [start, end) by `text` (end = start inserts). Offsets refer to the original. */
export type Edit = { start: number; end: number; text: string };

/** Edit that inserts `words`, quoted, at offset `at` (preceded by a space). */
export function insertAt(at: number, words: string[]): Edit {
  return { start: at, end: at, text: words.length === 0 ? "" : ` ${words.map(shellQuote).join(" ")}` };
}

/** `text` with every edit applied; edits must not overlap. */
export function applyEdits(text: string, edits: Edit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start || b.end - a.end))
    out = `${out.slice(0, e.start)}${e.text}${out.slice(e.end)}`;
  return out;
}

/** Words that run the next word as the command: env assignments, npx, pnpm exec, uv run, python -m… */
export function commandIndex(words: string[]): number {
  let i = 0;
  const at = (k: number) => words[k] ?? "";
  for (;;) {
    const w = at(i);
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w) || w === "exec" || w === "time" || w === "command") i++;
    else if (w === "env") {
      i++;
      while (/^-/.test(at(i)) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(at(i))) i++;
    } else if (w === "npx" || w === "bunx" || w === "pnpx") {
      i++;
      while (/^-/.test(at(i))) i++;
    } else if ((w === "pnpm" || w === "npm") && (at(i + 1) === "exec" || at(i + 1) === "dlx")) {
      i += 2;
      while (/^-/.test(at(i))) i++;
    } else if (w === "yarn" && at(i + 1) !== "test" && at(i + 1) !== "run" && at(i + 1) !== "") i++;
    else if ((w === "uv" || w === "poetry" || w === "pipenv" || w === "pdm") && at(i + 1) === "run") i += 2;
    else if (/^python[0-9.]*$/.test(basename(w)) && at(i + 1) === "-m") return i + 2;
    else return i;
  }
}

export function basename(word: string): string {
  return word.slice(word.lastIndexOf("/") + 1);
}
