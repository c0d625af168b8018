// Line classifier for markdown specs: splits text into headings, list entries, paragraph text
// and blanks with their 1-based source lines, skipping front matter, fenced code and HTML
// comments. Shared by the PRD and OpenSpec parsers. Pure; one pass, no backtracking regexes.

export type MdLine =
  | { kind: "heading"; line: number; level: number; text: string }
  | { kind: "entry"; line: number; indent: number; content: number; text: string; checkbox: boolean; ordered: boolean }
  | { kind: "text"; line: number; indent: number; text: string }
  | { kind: "blank"; line: number };

export type ScannedMarkdown = {
  lines: MdLine[];
  /** `title:` from a leading YAML front matter block. */
  frontTitle?: string;
  /** The document without front matter, code blocks and comments (for word counts): only when asked
   *  for, as a 20,000-line PRD's parser (which grades the text it keeps itself) does not. */
  text?: string;
};

const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const ENTRY = /^([-*+]|\d{1,9}[.)])(?:[ \t]+|$)/;
const CHECKBOX = /^\[([ xX])\](?:[ \t]+|$)/;
const FENCE = /^(`{3,}|~{3,})/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;

function indentOf(raw: string): number {
  let width = 0;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw.charCodeAt(i);
    if (ch === 0x20) width++;
    else if (ch === 0x09) width += 4 - (width % 4);
    else break;
  }
  return width;
}

function frontMatterEnd(rows: string[]): { end: number; title?: string } {
  if (rows[0]?.trimEnd() !== "---") return { end: 0 };
  for (let i = 1; i < rows.length; i++) {
    const row = rows[i] ?? "";
    if (/^(---|\.\.\.)\s*$/.test(row)) {
      const titleRow = rows.slice(1, i).find((r) => /^title:\s*\S/.test(r));
      const title = titleRow
        ?.replace(/^title:\s*/, "")
        .trim()
        .replace(/^(["'])(.*)\1$/, "$2");
      return title ? { end: i + 1, title } : { end: i + 1 };
    }
  }
  return { end: 0 };
}

export function scanMarkdown(source: string, options: { text?: boolean } = {}): ScannedMarkdown {
  const text = source.replace(/^\uFEFF/, "");
  // Without a carriage return the line-break pattern can only match "\n": the plain split is the same, and far cheaper on 1 MB.
  const rows = text.includes("\r") ? text.split(/\r?\n|\r/) : text.split("\n");
  const front = frontMatterEnd(rows);
  const lines: MdLine[] = [];
  const kept: string[] | undefined = options.text ? [] : undefined;
  let fence: string | undefined;
  let inComment = false;
  for (let i = front.end; i < rows.length; i++) {
    const raw = rows[i] ?? "";
    const line = i + 1;
    const trimmed = raw.trim();
    if (fence !== undefined) {
      if (trimmed.startsWith(fence) && trimmed.slice(fence.length).trim() === "") fence = undefined;
      lines.push({ kind: "blank", line });
      continue;
    }
    if (inComment || trimmed.startsWith("<!--")) {
      inComment = !trimmed.includes("-->");
      lines.push({ kind: "blank", line });
      continue;
    }
    // The first character rules most regexes out: a 20,000-line spec is classified in one cheap pass.
    const first = trimmed.charCodeAt(0);
    const fenceOpen = first === 0x60 || first === 0x7e ? FENCE.exec(trimmed) : null;
    if (fenceOpen?.[1]) {
      fence = fenceOpen[1];
      lines.push({ kind: "blank", line });
      continue;
    }
    kept?.push(raw);
    lines.push(classify(raw, trimmed, first, line, lines[lines.length - 1]));
  }
  return {
    lines: resolveSetext(lines),
    ...(kept ? { text: kept.join("\n") } : {}),
    ...(front.title ? { frontTitle: front.title } : {}),
  };
}

/** `first`: the char code of trimmed's first character (a heading, rule or list entry starts with one of a few). */
function classify(raw: string, trimmed: string, first: number, line: number, prev: MdLine | undefined): MdLine {
  if (trimmed === "") return { kind: "blank", line };
  const atx = first === 0x23 ? ATX.exec(raw) : null;
  if (atx?.[1]) return { kind: "heading", line, level: atx[1].length, text: (atx[2] ?? "").trim() };
  const indent = indentOf(raw);
  // "---" under a paragraph is a setext underline (resolved later); alone it is a rule.
  if (prev?.kind === "text" && SETEXT.test(raw)) return { kind: "text", line, indent, text: trimmed };
  const marker = first === 0x2d || first === 0x2a || first === 0x5f || first === 0x2b || (first >= 0x30 && first <= 0x39);
  if (!marker) return { kind: "text", line, indent, text: trimmed };
  // A rule ends in its own marker (trimmed has no trailing blank): a list entry's text rarely does.
  if (trimmed.charCodeAt(trimmed.length - 1) === first && /^([-*_])([ \t]*\1){2,}[ \t]*$/.test(trimmed)) return { kind: "blank", line };
  const entry = ENTRY.exec(trimmed);
  if (entry?.[1]) {
    let rest = trimmed.slice(entry[0].length);
    const box = CHECKBOX.exec(rest);
    if (box) rest = rest.slice(box[0].length);
    const content = indent + entry[0].length + (box ? box[0].length : 0);
    const ordered = /\d/.test(entry[1]);
    return { kind: "entry", line, indent, content, text: rest.trim(), checkbox: box !== null, ordered };
  }
  return { kind: "text", line, indent, text: trimmed };
}

/** A paragraph line followed by "===" / "---" becomes a level 1 / 2 heading. */
function resolveSetext(lines: MdLine[]): MdLine[] {
  for (let i = 1; i < lines.length; i++) {
    const cur = lines[i];
    const prev = lines[i - 1];
    if (cur?.kind !== "text" || prev?.kind !== "text" || prev.indent > 3) continue;
    const underline = SETEXT.exec(cur.text);
    if (!underline?.[1]) continue;
    lines[i - 1] = { kind: "heading", line: prev.line, level: underline[1].startsWith("=") ? 1 : 2, text: prev.text };
    lines[i] = { kind: "blank", line: cur.line };
  }
  return lines;
}
