// The PRD item rules: which headings make a section of acceptance items, which are excluded,
// and how nested bullets become items with groups and `verify:` commands. Works on classified
// lines from markdown-lines.ts; pure and single-pass over the lines.
import type { SpecItemKind, SpecSection } from "../core/schema.ts";
import type { MdLine } from "./markdown-lines.ts";
import type { RawItem } from "./types.ts";
import { extractVerify, normalizeText, verifyBullet } from "./item-text.ts";

export type SectionClass = "exclude" | "acceptance" | "requirement" | "plain";

const EXCLUDED = /out of scope|\bnon[- ]?goals?\b|future work|open questions|\bappendix|\bglossary\b/i;
// These also name things a product builds ("Notes resource", "Background jobs"), so they exclude
// only as the heading's noun: "Notes", "Technical background", "Risks and mitigations".
const EXCLUDED_NOUN = /^(?:[\w-]+\s+){0,2}(?:notes|background|references|risks?|assumptions?)\s*(?:$|[:(&/,\d]|and\b)/i;
const ACCEPTANCE = /acceptance|\bcriteri(?:a|on)\b|definition of done|\bsuccess\b/i;
const ITEM_SECTION = /\brequirements?\b|\buser stor(?:y|ies)\b|\bfeatures?\b|\bmust[- ]haves?\b|\bdeliverables?\b/i;
// Upper-case RFC 2119 words anywhere; the lower-case ones only in the phrasings that are
// unambiguous in prose ("should" alone is too weak to make an item).
const REQUIREMENT_WORD = /\b(?:MUST|SHALL|SHOULD|[Mm]ust|[Ss]hall|[Nn]eeds to|[Ss]hould be able to)\b/;

/** A heading's own class, before inheritance from the headings above it. */
export function headingClass(title: string): SectionClass {
  const bare = title.replace(/^(?:\d+(?:\.\d+)*\.?|[A-Z][.)])\s+/, "");
  if (EXCLUDED.test(bare) || EXCLUDED_NOUN.test(bare)) return "exclude";
  if (ACCEPTANCE.test(title)) return "acceptance";
  if (ITEM_SECTION.test(title)) return "requirement";
  return "plain";
}

type ListNode = {
  parts: string[];
  line: number;
  indent: number;
  checkbox: boolean;
  parent: ListNode | undefined;
  children: number;
  section: string | undefined;
  cls: SectionClass;
  verify?: string;
};

export type Heading = { level: number; title: string; cls: SectionClass };

/** Sections with their effective class (exclusion and item sections are inherited). */
export function walkSections(lines: MdLine[], visit: (line: MdLine, heading: Heading | undefined) => void): SpecSection[] {
  const sections: SpecSection[] = [];
  const stack: Heading[] = [];
  // A PRD repeats its headings ("Requirements", "Acceptance criteria" under every feature): each title is classified once.
  const classes = new Map<string, SectionClass>();
  let titled = false;
  for (const line of lines) {
    if (line.kind === "heading") {
      while ((stack[stack.length - 1]?.level ?? 0) >= line.level) stack.pop();
      const outer = stack[stack.length - 1]?.cls ?? "plain";
      // The document title names the product, not a section: it never excludes the whole spec.
      const isTitle = line.level === 1 && !titled;
      titled ||= line.level === 1;
      let classified = classes.get(line.text);
      if (classified === undefined) {
        classified = headingClass(line.text);
        classes.set(line.text, classified);
      }
      const own = isTitle && classified === "exclude" ? "plain" : classified;
      const cls = outer === "exclude" || own === "exclude" ? "exclude" : own === "plain" ? outer : own;
      stack.push({ level: line.level, title: line.text, cls });
      sections.push({ title: line.text, level: line.level, line: line.line });
    }
    visit(line, stack[stack.length - 1]);
  }
  return sections;
}

/** The list items and sections; `also` sees every line in the same walk (the callers' own pass over the sections). */
export function collectListItems(
  lines: MdLine[],
  also?: (line: MdLine, heading: Heading | undefined) => void,
): { items: RawItem[]; sections: SpecSection[] } {
  const nodes: ListNode[] = [];
  let open: ListNode[] = [];
  let blank = false;
  const sections = walkSections(lines, (line, heading) => {
    also?.(line, heading);
    if (line.kind === "heading") open = [];
    if (line.kind === "blank") blank = true;
    if (line.kind === "entry") {
      while ((open[open.length - 1]?.indent ?? -1) >= line.indent) open.pop();
      const parent = open[open.length - 1];
      const node: ListNode = {
        parts: [line.text],
        line: line.line,
        indent: line.indent,
        checkbox: line.checkbox,
        parent,
        children: 0,
        section: heading?.title,
        cls: heading?.cls ?? "plain",
      };
      nodes.push(node);
      open.push(node);
      blank = false;
    }
    if (line.kind === "text") {
      // Indented text continues the deepest entry it is indented under; unindented text
      // continues only directly (lazily) after an entry, otherwise it ends the list.
      while (open.length > 0 && (open[open.length - 1]?.indent ?? 0) >= line.indent && (blank || line.indent > 0)) open.pop();
      const owner = open[open.length - 1];
      if (owner) owner.parts.push(line.text);
      else open = [];
      blank = false;
    }
  });
  return { items: itemsFromNodes(nodes), sections };
}

function itemsFromNodes(nodes: ListNode[]): RawItem[] {
  const texts = new Map<ListNode, { text: string; verify?: string }>();
  for (const node of nodes) {
    const whole = normalizeText(node.parts.length === 1 ? (node.parts[0] as string) : node.parts.join(" "));
    const command = verifyBullet(whole);
    if (command !== undefined && node.parent) {
      node.parent.verify = command;
      continue;
    }
    // One line that is no "verify:" bullet normalized is none as it stands: nothing to split off.
    if (command === undefined && node.parts.length === 1) {
      texts.set(node, extractVerify(whole));
      if (node.parent) node.parent.children++;
      continue;
    }
    // A continuation line that is just "verify: `cmd`" attaches the command, like a nested bullet.
    const body: string[] = [];
    let inline: string | undefined;
    for (const part of node.parts) {
      const cmd = verifyBullet(part);
      if (cmd === undefined) body.push(part);
      else inline ??= cmd;
    }
    if (inline !== undefined) node.verify = inline;
    texts.set(node, extractVerify(body.length === node.parts.length ? whole : normalizeText(body.join(" "))));
    if (node.parent) node.parent.children++;
  }
  const items: RawItem[] = [];
  for (const [node, { text, verify }] of texts) {
    const kind = itemKind(node, text);
    if (kind === undefined || text === "") continue;
    const group = node.parent ? texts.get(node.parent)?.text.replace(/:$/, "") : undefined;
    const command = verify ?? node.verify;
    const item: RawItem = { text, kind, line: node.line };
    if (node.section !== undefined) item.section = node.section;
    if (group) item.group = group;
    if (command !== undefined) item.verify = command;
    items.push(item);
  }
  return items;
}

function itemKind(node: ListNode, text: string): SpecItemKind | undefined {
  if (node.cls === "exclude") return undefined;
  if (node.checkbox) return "acceptance";
  if (node.cls === "acceptance" || node.cls === "requirement") return node.children === 0 ? node.cls : undefined;
  return REQUIREMENT_WORD.test(text) ? "requirement" : undefined;
}
