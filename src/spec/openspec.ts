// OpenSpec change directory (proposal.md, tasks.md, specs/<capability>/spec.md deltas) →
// ParsedSpec with tasks, requirements and scenarios, each carrying its file and line.
// Pure: the caller lists and reads the directory; this module never touches the fs.
import { specError } from "../core/errors.ts";
import type { SpecSection } from "../core/schema.ts";
import type { MdLine } from "./markdown-lines.ts";
import { scanMarkdown } from "./markdown-lines.ts";
import type { ParsedSpec, RawItem } from "./types.ts";
import { firstParagraph, firstSentence, normalizeText } from "./item-text.ts";

export type OpenSpecFile = { path: string; text: string };

const TOP_FILES = ["proposal.md", "design.md", "tasks.md"];
const DELTA_FILE = /^specs\/(.+)\/spec\.md$/;

const normalizePath = (path: string) => path.replace(/\\/g, "/").replace(/^(\.\/)+/, "");

/** The change's files among a directory listing, in reading order: proposal, design, tasks, specs (sorted). */
export function openSpecFiles(relPaths: string[]): string[] {
  const paths = new Set(relPaths.map(normalizePath));
  const top = TOP_FILES.filter((name) => paths.has(name));
  // Code-unit order, not localeCompare: the order must not depend on the machine's locale.
  const deltas = [...paths].filter((path) => DELTA_FILE.test(path)).sort();
  return [...top, ...deltas];
}

/** `name` (the change directory's name) titles a change whose proposal has no `# ` heading. */
export function parseOpenSpec(files: OpenSpecFile[], name?: string): ParsedSpec {
  const byPath = new Map(files.map((f) => [normalizePath(f.path), f.text]));
  const sections: SpecSection[] = [];
  const items: RawItem[] = [];
  const warnings: string[] = [];
  const texts: string[] = [];
  let title: string | undefined;
  let summary: string | undefined;
  for (const path of openSpecFiles([...byPath.keys()])) {
    const scanned = scanMarkdown(byPath.get(path) ?? "", { text: true });
    texts.push(scanned.text ?? "");
    for (const l of scanned.lines) if (l.kind === "heading") sections.push({ title: l.text, level: l.level, line: l.line });
    if (path === "proposal.md") {
      const h1 = scanned.lines.find((l) => l.kind === "heading" && l.level === 1);
      title = h1?.kind === "heading" ? h1.text : undefined;
      summary = sectionParagraph(scanned.lines, /^why$/i);
    }
    if (path === "tasks.md") items.push(...taskItems(scanned.lines, path));
    const capability = DELTA_FILE.exec(path)?.[1];
    if (capability !== undefined) items.push(...deltaItems(scanned.lines, path, capability, warnings));
  }
  if (items.length === 0) {
    throw specError("no acceptance items found in the OpenSpec change", {
      hint: "add tasks to tasks.md ('- [ ] 1.1 …') or requirements under '## ADDED Requirements' in specs/<capability>/spec.md",
    });
  }
  return {
    title: title || `Change: ${name ?? "unnamed"}`,
    ...(summary ? { summary } : {}),
    sections,
    items,
    text: texts.join("\n\n"),
    endpoints: 0,
    warnings,
  };
}

/** The first paragraph under the heading matching `heading` (e.g. "## Why"). */
function sectionParagraph(lines: MdLine[], heading: RegExp): string | undefined {
  const start = lines.findIndex((l) => l.kind === "heading" && heading.test(l.text));
  if (start === -1) return undefined;
  const body: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.kind === "heading") break;
    body.push(l.kind === "blank" ? "" : l.text);
  }
  return firstParagraph(body.join("\n"));
}

/** Checkbox tasks; the "1.1" numbering is dropped so renumbering does not change item ids. */
function taskItems(lines: MdLine[], file: string): RawItem[] {
  const items: RawItem[] = [];
  let section: string | undefined;
  let last: { item: RawItem; indent: number } | undefined;
  for (const l of lines) {
    if (l.kind === "heading") section = l.text;
    if (l.kind === "text" && last && l.indent > last.indent) {
      last.item.text = normalizeText(`${last.item.text} ${l.text}`);
      continue;
    }
    last = undefined;
    if (l.kind !== "entry" || !l.checkbox) continue;
    const text = normalizeText(l.text.replace(/^\d+(?:\.\d+)*\.?\s+/, ""));
    if (text === "") continue;
    const item: RawItem = { text, kind: "task", file, line: l.line, ...(section ? { section } : {}) };
    items.push(item);
    last = { item, indent: l.indent };
  }
  return items;
}

type Requirement = { name: string; line: number; body: string[]; emitted: boolean };
type Scenario = { name: string; line: number; steps: string[]; group: string };

const STEP = /^(?:\*\*)?(GIVEN|WHEN|THEN|AND|BUT)(?:\*\*)?:?\s+(.*)$/i;
const RENAME = /^(FROM|TO):\s*`?\s*(?:###\s*)?(?:Requirement:\s*)?(.*?)\s*`?$/i;

function deltaItems(lines: MdLine[], file: string, capability: string, warnings: string[]): RawItem[] {
  const items: RawItem[] = [];
  const base = { file, section: capability };
  let op: string | undefined;
  let req: Requirement | undefined;
  let scenario: Scenario | undefined;
  let renameFrom: { name: string; line: number } | undefined;
  const emitRequirement = () => {
    if (!req || req.emitted) return;
    req.emitted = true;
    if (op === "REMOVED") return void items.push({ ...base, text: `Remove requirement: ${req.name}`, kind: "requirement", line: req.line });
    const sentences = req.body.join(" ").split(/(?<=[.!?])\s+/);
    const normative = sentences.find((s) => /\b(SHALL|MUST)\b/.test(s));
    if (!normative) warnings.push(`${file}:${req.line}: requirement "${req.name}" has no SHALL or MUST statement`);
    const sentence = firstSentence(normative ?? sentences[0] ?? "");
    items.push({ ...base, text: `Requirement: ${req.name}${sentence ? ` — ${sentence}` : ""}`, kind: "requirement", line: req.line });
  };
  const flushScenario = () => {
    if (scenario)
      items.push({
        ...base,
        text: `Scenario: ${scenario.name}${scenario.steps.length > 0 ? ` — ${scenario.steps.join("; ")}` : ""}`,
        kind: "scenario",
        group: scenario.group,
        line: scenario.line,
      });
    scenario = undefined;
  };
  for (const l of lines) {
    if (l.kind === "heading") {
      flushScenario();
      if (l.level <= 3) emitRequirement();
      if (l.level <= 2) req = undefined;
      if (l.level === 2)
        op =
          /^(ADDED|MODIFIED|REMOVED|RENAMED)\b/i.exec(l.text)?.[1]?.toUpperCase() ?? (/requirements/i.test(l.text) ? "ADDED" : undefined);
      const named = /^(Requirement|Scenario):\s*(.+)$/i.exec(l.text);
      if (l.level === 3)
        req =
          named?.[1]?.toLowerCase() === "requirement" && op ? { name: named[2] ?? "", line: l.line, body: [], emitted: false } : undefined;
      if (l.level === 4 && named?.[1]?.toLowerCase() === "scenario" && req && op !== "REMOVED") {
        emitRequirement();
        scenario = { name: named[2] ?? "", line: l.line, steps: [], group: req.name };
      }
      continue;
    }
    if (l.kind === "blank") continue;
    const content = l.text.replace(/\*\*/g, "");
    const step = l.kind === "entry" ? STEP.exec(l.text) : null;
    if (scenario && step) scenario.steps.push(normalizeText(`${step[1]?.toUpperCase()} ${step[2] ?? ""}`));
    else if (req && !scenario) req.body.push(content);
    else if (op === "RENAMED" && l.kind === "entry") {
      const rename = RENAME.exec(content);
      if (rename?.[1]?.toUpperCase() === "FROM") renameFrom = { name: normalizeText(rename[2] ?? ""), line: l.line };
      else if (rename && renameFrom) {
        items.push({
          ...base,
          text: `Rename requirement: ${renameFrom.name} → ${normalizeText(rename[2] ?? "")}`,
          kind: "requirement",
          line: renameFrom.line,
        });
        renameFrom = undefined;
      }
    }
  }
  flushScenario();
  emitRequirement();
  return items;
}
