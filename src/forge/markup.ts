// Markdown rendering of a small block/inline document model: Atlassian Document Format (ADF) *is*
// this model, and markup-html.ts parses Azure DevOps HTML into it. Pure: strings in, strings out.
// Keeps what checklists need (headings, nested/ordered/task lists, code); drops media and layout.

export type DocMark = { type: string; attrs?: Record<string, unknown> };
export type DocNode = { type: string; text?: string; attrs?: Record<string, unknown>; content?: DocNode[]; marks?: DocMark[] };

const LISTS = new Set(["bulletList", "orderedList", "taskList"]);
const INLINE = new Set(["text", "hardBreak", "mention", "emoji", "inlineCard", "status", "date"]);
const SKIPPED = new Set(["mediaSingle", "mediaGroup", "media", "mediaInline", "extension", "inlineExtension"]);

/** An ADF document (as Jira API v3 returns descriptions) as Markdown; anything else → "". */
export function adfToMarkdown(value: unknown): string {
  const doc = toDocNode(value);
  return doc ? renderMarkdown(doc) : "";
}

export function renderMarkdown(doc: DocNode): string {
  return blocks(doc.content ?? [])
    .join("\n\n")
    .trim();
}

function toDocNode(value: unknown): DocNode | undefined {
  if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
  const raw = value as Record<string, unknown>;
  if (typeof raw.type !== "string") return undefined;
  const node: DocNode = { type: raw.type };
  if (typeof raw.text === "string") node.text = raw.text;
  if (raw.attrs && typeof raw.attrs === "object") node.attrs = raw.attrs as Record<string, unknown>;
  if (Array.isArray(raw.content)) node.content = raw.content.map(toDocNode).filter((n): n is DocNode => n !== undefined);
  if (Array.isArray(raw.marks)) node.marks = raw.marks.map(toDocNode).filter((m): m is DocNode => m !== undefined);
  return node;
}

function blocks(nodes: DocNode[]): string[] {
  return nodes.map(block).filter((text) => text.trim() !== "");
}

function block(node: DocNode): string {
  const children = node.content ?? [];
  switch (node.type) {
    case "paragraph":
      return inline(children);
    case "heading":
      return `${"#".repeat(clampLevel(node.attrs?.level))} ${inline(children).replace(/\n/g, " ")}`;
    case "codeBlock": {
      const language = typeof node.attrs?.language === "string" ? node.attrs.language : "";
      return `\`\`\`${language}\n${children
        .map((c) => c.text ?? "")
        .join("")
        .replace(/\n$/, "")}\n\`\`\``;
    }
    case "blockquote":
      return blocks(children)
        .join("\n\n")
        .split("\n")
        .map((line) => (line ? `> ${line}` : ">"))
        .join("\n");
    case "rule":
      return "---";
    case "table":
      return table(children);
    default:
      if (LISTS.has(node.type)) return list(node).join("\n");
      if (SKIPPED.has(node.type)) return "";
      if (INLINE.has(node.type)) return inline([node]);
      // panel, expand, layoutSection, …: transparent containers around ordinary blocks.
      return blocks(children).join("\n\n");
  }
}

/** One line per item; an item's later blocks and nested lists are indented under its marker. */
function list(node: DocNode): string[] {
  const start = typeof node.attrs?.order === "number" ? node.attrs.order : 1;
  const lines: string[] = [];
  let width = 2;
  let index = 0;
  for (const item of node.content ?? []) {
    if (LISTS.has(item.type)) {
      // ADF nests a task list directly inside its parent list, meaning "under the previous item".
      lines.push(...list(item).map((line) => indent(line, width)));
      continue;
    }
    const marker =
      item.type === "taskItem"
        ? item.attrs?.state === "DONE"
          ? "- [x] "
          : "- [ ] "
        : node.type === "orderedList"
          ? `${start + index}. `
          : "- ";
    index++;
    width = marker.startsWith("- [") ? 2 : marker.length;
    const [first = "", ...rest] = itemBody(item);
    lines.push(`${marker}${first}`, ...rest.map((line) => indent(line, width)));
  }
  return lines;
}

function itemBody(item: DocNode): string[] {
  const children = item.content ?? [];
  const leading: DocNode[] = [];
  let i = 0;
  for (; i < children.length && INLINE.has(children[i]?.type ?? ""); i++) leading.push(children[i] as DocNode);
  const parts = leading.length > 0 ? [inline(leading)] : [];
  for (const child of children.slice(i)) {
    const text = LISTS.has(child.type) ? list(child).join("\n") : block(child);
    if (text.trim() !== "") parts.push(text);
  }
  return parts.join("\n").split("\n");
}

function indent(line: string, width: number): string {
  return line === "" ? line : `${" ".repeat(width)}${line}`;
}

function table(rows: DocNode[]): string {
  const cells = rows.map((row) =>
    (row.content ?? []).map((cell) =>
      blocks(cell.content ?? [])
        .join(" ")
        .replace(/\n/g, " ")
        .replaceAll("|", "\\|"),
    ),
  );
  const columns = Math.max(0, ...cells.map((row) => row.length));
  if (columns === 0) return "";
  const line = (row: string[]) => `| ${Array.from({ length: columns }, (_, i) => row[i] ?? "").join(" | ")} |`;
  const [head = [], ...body] = cells;
  return [line(head), line(Array(columns).fill("---")), ...body.map(line)].join("\n");
}

export function inline(nodes: DocNode[]): string {
  return nodes
    .map(inlineNode)
    .join("")
    .split("\n")
    .map((line) => line.trim())
    .join("\n")
    .trim();
}

function inlineNode(node: DocNode): string {
  const attr = (name: string) => (typeof node.attrs?.[name] === "string" ? (node.attrs[name] as string) : "");
  switch (node.type) {
    case "text":
      return applyMarks(node.text ?? "", node.marks ?? []);
    case "hardBreak":
      return "\n";
    case "mention":
      return attr("text");
    case "emoji":
      return attr("text") || attr("shortName");
    case "inlineCard":
      return attr("url");
    case "status":
      return `[${attr("text")}]`;
    default:
      return (node.content ?? []).map(inlineNode).join("");
  }
}

function applyMarks(text: string, marks: DocMark[]): string {
  if (text.trim() === "") return text;
  const names = new Set(marks.map((m) => m.type));
  const lead = text.match(/^\s*/)?.[0] ?? "";
  const trail = text.match(/\s*$/)?.[0] ?? "";
  let out = text.trim();
  if (names.has("code")) out = `\`${out}\``;
  if (names.has("strike")) out = `~~${out}~~`;
  if (names.has("em")) out = `_${out}_`;
  if (names.has("strong")) out = `**${out}**`;
  const href = marks.find((m) => m.type === "link")?.attrs?.href;
  if (typeof href === "string" && href !== "") out = `[${out}](${href})`;
  // Markdown emphasis cannot start or end with a space, so whitespace stays outside the markers.
  return `${lead}${out}${trail}`;
}

function clampLevel(level: unknown): number {
  return typeof level === "number" ? Math.min(6, Math.max(1, Math.round(level))) : 1;
}
