// Markdown PRD → ParsedSpec: title, summary, sections and acceptance items with source lines.
// Pure: text in, data out (no fs); a spec with nothing usable is a specError, never a crash.
import { specError } from "../core/errors.ts";
import type { MdLine } from "./markdown-lines.ts";
import { scanMarkdown } from "./markdown-lines.ts";
import { collectListItems, walkSections } from "./markdown-items.ts";
import type { ParsedSpec, RawItem } from "./types.ts";
import { firstSentence, normalizeText, truncate } from "./item-text.ts";

export const NO_ITEMS_WARNING = "no acceptance items found; using section headings";

export function parseMarkdown(text: string, file?: string): ParsedSpec {
  const scanned = scanMarkdown(text);
  const { lines } = scanned;
  const inScope: string[] = [];
  const { items, sections } = collectListItems(lines, (line, heading) => {
    if (heading?.cls !== "exclude") inScope.push(line.kind === "blank" ? "" : line.text);
  });
  const warnings: string[] = [];
  if (items.length === 0) {
    items.push(...headingItems(lines));
    if (items.length > 0) warnings.push(NO_ITEMS_WARNING);
  }
  if (items.length === 0) {
    throw specError(`no acceptance items found in ${file ?? "the spec"}`, {
      hint: "add a '## Acceptance criteria' section with '- [ ] …' items",
      data: { file },
    });
  }
  const { title, line } = titleOf(lines, scanned.frontTitle);
  const summary = summaryAfter(lines, line);
  // The prose complexity is graded on: out-of-scope and non-goal sections name what will NOT be built.
  return { title, ...(summary ? { summary } : {}), sections, items, text: inScope.join("\n"), endpoints: 0, warnings };
}

/** First `# ` heading, else the front-matter title, else the first line with text. */
function titleOf(lines: MdLine[], frontTitle: string | undefined): { title: string; line: number } {
  const h1 = lines.find((l) => l.kind === "heading" && l.level === 1 && l.text !== "");
  if (h1?.kind === "heading") return { title: h1.text, line: h1.line };
  if (frontTitle) return { title: frontTitle, line: 0 };
  for (const l of lines) {
    if (l.kind !== "blank" && l.text !== "") return { title: truncate(normalizeText(l.text), 80), line: l.line };
  }
  return { title: "Untitled spec", line: 0 };
}

/** The first plain paragraph after the title line (tables, images and HTML are not prose). */
function summaryAfter(lines: MdLine[], titleLine: number): string | undefined {
  const parts: string[] = [];
  for (const l of lines) {
    if (l.line <= titleLine) continue;
    if (l.kind === "text" && !/^[|<]|^!\[/.test(l.text)) {
      parts.push(l.text.replace(/^>\s?/, ""));
      continue;
    }
    if (parts.length > 0) break;
  }
  const summary = normalizeText(parts.join(" "));
  return summary === "" ? undefined : truncate(summary, 300);
}

/** Fallback: each level-2/3 heading with a body becomes "<heading>: <first sentence>". */
function headingItems(lines: MdLine[]): RawItem[] {
  const items: RawItem[] = [];
  let current: { item: RawItem; body: string[]; done: boolean } | undefined;
  const flush = () => {
    const sentence = current ? firstSentence(current.body.join(" ")) : "";
    if (current && sentence !== "") items.push({ ...current.item, text: `${current.item.text}: ${sentence}` });
    current = undefined;
  };
  walkSections(lines, (line, heading) => {
    if (line.kind === "heading") {
      flush();
      if (heading && heading.cls !== "exclude" && (line.level === 2 || line.level === 3) && line.text !== "") {
        current = { item: { text: line.text, kind: "requirement", section: line.text, line: line.line }, body: [], done: false };
      }
      return;
    }
    if (!current || current.done) return;
    if (line.kind === "blank") current.done = current.body.length > 0;
    else current.body.push(line.text);
  });
  flush();
  return items;
}
