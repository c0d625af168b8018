// Jira wiki markup → Markdown for the parts that carry acceptance criteria: headings, nested and
// numbered lists, {code}/{noformat} blocks, tables, quotes, links, monospace, bold. Pure. Unknown
// macros lose their braces and keep their text; "[ ]" checkbox text is never taken for a link.

const HEADING = /^\s*h([1-6])\.\s+(.*)$/;
const LIST_ITEM = /^\s*([*#]+|-)\s+(.*)$/;
const CODE_OPEN = /^\s*\{(code|noformat)(?::([^}]*))?\}(.*)$/;
const QUOTE_LINE = /^\s*bq\.\s+(.*)$/;
const RULE = /^\s*-{4,}\s*$/;

type Level = { ordered: boolean; count: number; width: number };
type Kind = "blank" | "text" | "list" | "table" | "other";

export function jiraWikiToMarkdown(text: string): string {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const out: string[] = [];
  let levels: Level[] = [];
  let previous = "blank" as Kind;
  let quoted = false;
  // Markdown would fold a paragraph line into the list item or table row right above it.
  const emit = (kind: Kind, line: string) => {
    if (kind !== previous && (previous === "list" || previous === "table") && kind !== "blank") out.push("");
    if (kind !== "list") levels = [];
    out.push(quoted && kind !== "blank" ? `> ${line}` : line);
    previous = kind;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const code = CODE_OPEN.exec(line);
    if (code) {
      const block = codeBlock(lines, i, code[1] ?? "code", code[2] ?? "", code[3] ?? "");
      i = block.end;
      emit("other", block.text);
      continue;
    }
    if (line.includes("{quote}")) {
      line.split("{quote}").forEach((part, index) => {
        if (index > 0) quoted = !quoted;
        if (part.trim() !== "") emit("text", wikiInline(part.trim()));
      });
      continue;
    }
    const heading = HEADING.exec(line);
    const item = LIST_ITEM.exec(line);
    const quote = QUOTE_LINE.exec(line);
    if (line.trim() === "") emit("blank", "");
    else if (heading) emit("other", `${"#".repeat(Number(heading[1]))} ${wikiInline(heading[2] ?? "")}`);
    else if (RULE.test(line)) emit("other", "---");
    else if (quote) emit("text", `> ${wikiInline(quote[1] ?? "")}`);
    else if (item) {
      const marker = listMarker(item[1] === "-" ? "*" : (item[1] ?? "*"), levels);
      emit("list", `${marker}${wikiInline(item[2] ?? "")}`);
    } else if (/^\s*\|/.test(line)) emit("table", tableRow(line, previous !== "table"));
    else emit("text", wikiInline(line.trim()));
  }
  return out
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** `*#*` is three levels deep, the last one numbered; children sit under their parent's text. */
function listMarker(markers: string, levels: Level[]): string {
  const depth = markers.length;
  levels.length = Math.min(levels.length, depth);
  while (levels.length < depth - 1) {
    const ordered = markers[levels.length] === "#";
    levels.push({ ordered, count: 0, width: ordered ? 3 : 2 });
  }
  const ordered = markers.endsWith("#");
  const current = levels[depth - 1];
  const count = current && current.ordered === ordered ? current.count + 1 : 1;
  const marker = ordered ? `${count}. ` : "- ";
  levels[depth - 1] = { ordered, count, width: marker.length };
  const indent = levels.slice(0, depth - 1).reduce((sum, level) => sum + level.width, 0);
  return `${" ".repeat(indent)}${marker}`;
}

function codeBlock(lines: string[], start: number, macro: string, params: string, rest: string): { text: string; end: number } {
  const close = `{${macro}}`;
  const body: string[] = [];
  let end = start;
  let current = rest;
  for (;;) {
    const at = current.indexOf(close);
    if (at >= 0) {
      body.push(current.slice(0, at));
      break;
    }
    body.push(current);
    if (end + 1 >= lines.length) break;
    current = lines[++end] ?? "";
  }
  if (body[0]?.trim() === "") body.shift();
  if (body.at(-1)?.trim() === "") body.pop();
  return { text: `\`\`\`${macro === "code" ? languageOf(params) : ""}\n${body.join("\n")}\n\`\`\``, end };
}

/** `{code:java}`, `{code:language=java|title=x}` or `{code:title=x}`. */
function languageOf(params: string): string {
  const parts = params.split("|").map((part) => part.trim());
  const named = parts.find((part) => part.startsWith("language="));
  if (named) return named.slice("language=".length);
  return parts.find((part) => part !== "" && !part.includes("=")) ?? "";
}

/** Markdown tables need a header row, so the first row of every table becomes one. */
function tableRow(line: string, first: boolean): string {
  const header = /^\s*\|\|/.test(line);
  // Link labels may contain "|" ([text|url]); hide them while splitting cells.
  const hidden = line.trim().replace(/\[[^\]]*\]/g, (link) => link.replaceAll("|", "\u0000"));
  const cells = hidden
    .replace(header ? /^\|\|/ : /^\|/, "")
    .replace(/\|+$/, "")
    .split(header ? "||" : "|")
    .map((cell) => wikiInline(cell.replaceAll("\u0000", "|").trim()).replaceAll("|", "\\|"));
  const row = `| ${cells.join(" | ")} |`;
  return first ? `${row}\n| ${cells.map(() => "---").join(" | ")} |` : row;
}

/** Inline markup: {{monospace}} first, so nothing inside it is touched. */
export function wikiInline(text: string): string {
  return text
    .split(/(\{\{.*?\}\})/)
    .map((part, index) => (index % 2 === 1 ? `\`${part.slice(2, -2)}\`` : plainInline(part)))
    .join("");
}

function plainInline(text: string): string {
  return text
    .replace(/\{(?:color|anchor|panel|section|column|expand)(?::[^}]*)?\}/g, "")
    .replace(/\[([^\]|]+)\|([^\]]+)\]/g, (_, label: string, url: string) => `[${label.trim()}](${url.trim()})`)
    .replace(/\[((?:https?|mailto):[^\]\s]+)\]/g, "<$1>")
    .replace(/(^|[\s(])\*(?=\S)([^*]*?\S)\*(?=$|[\s).,:;!?])/g, "$1**$2**");
}
