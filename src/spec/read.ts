// Spec intake: detect → load (size, binary and encoding checks) → parse → ids, stats, complexity.
// Bad input fails here with one clear message before anything is written under .loki/.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative } from "node:path";
import type { Config } from "../core/config.ts";
import { isLokiError, specError } from "../core/errors.ts";
import { remoteUrl } from "../core/git.ts";
import { sha256 } from "../core/hash.ts";
import { buildChecklist, assignIds } from "./checklist.ts";
import { SCHEMA_VERSION, Checklist, JITLESS, Spec, type SpecSource } from "../core/schema.ts";
import { writeJson, ensureWorkspace, type Workspace } from "../core/workspace.ts";
import { vouchedFrozen } from "../core/validated.ts";
import { fetchIssue } from "../forge/issue.ts";
import type { IssueRef } from "../forge/types.ts";
import { issueKey } from "../forge/types.ts";
import { parseBrief } from "./brief.ts";
import { gradeComplexity, specStats } from "./complexity.ts";
import { detectSpec, parseRemoteUrl, type Explicit, type SpecTarget } from "./detect.ts";
import { heldOutIds } from "./heldout.ts";
import { parseMarkdown } from "./markdown.ts";
import { openSpecFiles, parseOpenSpec } from "./openspec.ts";
import { checkChecklistItems, checkSpecItems, checkSpecSections } from "./spec-check.ts";
import type { ParsedSpec } from "./types.ts";

export const MAX_SPEC_BYTES = 5 * 1024 * 1024;

export type ReadOptions = { cwd: string; config: Config; env: Record<string, string | undefined>; explicit?: Explicit; now?: Date };

export async function readSpec(arg: string | undefined, options: ReadOptions): Promise<Spec> {
  const target = detectSpec(arg, options.explicit ?? {}, options.cwd, probe);
  const { parsed, source } = await loadAndParse(target, options);
  const items = assignIds(parsed.items);
  const stats = specStats(parsed);
  // zod parses all but the two big arrays, which a plain check holds to the same rules where they are
  // (spec/spec-check.ts): zod's copy of a 20,000-item spec cost 20 ms and 6 MB. Validated once, and
  // frozen: writeIntake writes this very value without checking it again.
  const head = Spec.parse(
    {
      schema_version: SCHEMA_VERSION,
      title: parsed.title,
      ...(parsed.summary ? { summary: parsed.summary } : {}),
      source,
      sections: [],
      items: [],
      stats,
      complexity: gradeComplexity(stats),
      warnings: parsed.warnings,
      parsed_at: (options.now ?? new Date()).toISOString(),
    },
    JITLESS,
  );
  checkSpecSections(parsed.sections);
  checkSpecItems(items);
  return vouchedFrozen(Spec, { ...head, sections: parsed.sections, items });
}

/** Write the intake output: .loki/spec/spec.json and the visible checklist. */
export function writeIntake(ws: Workspace, spec: Spec, now: Date = new Date()): Checklist {
  ensureWorkspace(ws);
  writeJson(ws.spec, Spec, spec);
  const checklist = buildChecklist(spec.items, heldOutIds(spec), spec.source.sha256, now);
  // As readSpec's spec: zod for the few fields, the plain check for the items.
  const head = Checklist.parse({ ...checklist, items: [] }, JITLESS);
  checkChecklistItems(checklist.items);
  return writeJson(ws.checklist, Checklist, vouchedFrozen(Checklist, { ...head, items: checklist.items }));
}

/** How to read a recorded spec source again (spec status, resume): the same file, dir, issue or brief. */
export function rereadArgs(source: SpecSource): { arg?: string; explicit: Explicit } {
  if (source.kind === "openspec" && source.path) return { explicit: { openspec: source.path } };
  if (source.kind === "issue") return { explicit: { issue: source.ref } };
  if (source.path) return { explicit: { prd: source.path } };
  // A brief is read as one whatever it looks like (a one-word brief is no file, no issue).
  if (source.kind === "brief") return { explicit: { brief: source.ref } };
  return { arg: source.ref, explicit: {} };
}

/** What is at `path`, for detectSpec: a file, a directory, or nothing. */
export const probe = (path: string): "file" | "dir" | null => {
  try {
    const stat = statSync(path);
    return stat.isFile() ? "file" : stat.isDirectory() ? "dir" : null;
  } catch {
    return null;
  }
};

async function loadAndParse(target: SpecTarget, options: ReadOptions): Promise<{ parsed: ParsedSpec; source: SpecSource }> {
  switch (target.kind) {
    case "file": {
      const text = readSpecFile(target.path);
      const source: SpecSource = {
        kind: "markdown",
        ref: relative(options.cwd, target.path) || target.path,
        path: target.path,
        sha256: sha256(text),
      };
      if (target.format === "markdown") return { parsed: parseMarkdown(text, source.ref), source };
      if (target.format === "text") return { parsed: markdownOrBrief(text, source.ref), source: { ...source, kind: "brief" } };
      // A JSON or YAML spec's parsers, and the yaml and jsonc packages, load only for such a spec.
      const [{ assertShallow, parseJsonText, parseStructured, parseYamlText }, { isOpenApi, parseOpenApi }] = await Promise.all([
        import("./structured.ts"),
        import("./openapi.ts"),
      ]);
      const value = target.format === "json" ? parseJsonText(text, source.ref) : parseYamlText(text, source.ref);
      assertShallow(value, source.ref);
      if (isOpenApi(value)) return { parsed: parseOpenApi(value, text, source.ref), source: { ...source, kind: "openapi" } };
      return { parsed: parseStructured(value, text, source.ref), source: { ...source, kind: target.format } };
    }
    case "openspec": {
      const rels = openSpecFiles(listFiles(target.path).map((file) => relative(target.path, file)));
      const files = rels.map((rel) => ({ path: rel, text: readSpecFile(join(target.path, rel)) }));
      const digest = sha256(files.map((file) => `${file.path}\n${sha256(file.text)}`).join("\n"));
      return {
        parsed: parseOpenSpec(files, basename(target.path)),
        source: { kind: "openspec", ref: relative(options.cwd, target.path) || ".", path: target.path, sha256: digest },
      };
    }
    case "brief":
      return { parsed: parseBrief(target.text), source: { kind: "brief", ref: target.text, sha256: sha256(target.text) } };
    case "issue":
      return parseIssue(target.ref, options, target.url);
    case "origin-issue":
      return parseIssue(await originIssue(target.number, options), options);
  }
}

async function parseIssue(ref: IssueRef, options: ReadOptions, url?: string) {
  const issue = await fetchIssue(ref, { config: options.config, env: options.env });
  const text = `# ${issue.title}\n\n${issue.body}`;
  const parsed = markdownOrTitle(text, issue.title, issue.key);
  const source: SpecSource = { kind: "issue", ref: url ?? issueKey(ref), tracker: issue.tracker, url: issue.url, sha256: sha256(text) };
  return { parsed, source };
}

/** An issue with no checklist or acceptance section still has a goal: its title. */
function markdownOrTitle(text: string, title: string, key: string): ParsedSpec {
  try {
    return parseMarkdown(text, key);
  } catch (error) {
    if (!isLokiError(error) || error.kind !== "spec") throw error;
    return {
      title,
      sections: [],
      items: [{ text: title, kind: "acceptance", line: 1 }],
      text,
      endpoints: 0,
      warnings: [`${key} has no checklist or acceptance section; its title is the only item`],
    };
  }
}

function markdownOrBrief(text: string, ref: string): ParsedSpec {
  try {
    return parseMarkdown(text, ref);
  } catch (error) {
    if (!isLokiError(error) || error.kind !== "spec") throw error;
    return parseBrief(text);
  }
}

async function originIssue(number: number, options: ReadOptions): Promise<IssueRef> {
  const url = await remoteUrl(options.cwd);
  const hint = "run inside a clone with an `origin` remote, or pass owner/repo#N";
  if (!url) throw specError(`#${number} needs this repository's origin to know where the issue lives, and there is none`, { hint });
  const remote = parseRemoteUrl(url);
  if (!remote) throw specError(`cannot tell the tracker from origin ${url}`, { hint });
  if (remote.host.includes("gitlab") || options.config.trackers.gitlab.api_url) {
    return { tracker: "gitlab", project: remote.path, number, ...(remote.host === "gitlab.com" ? {} : { host: remote.host }) };
  }
  const [owner, repo, ...rest] = remote.path.split("/");
  if (!owner || !repo || rest.length > 0) throw specError(`cannot read owner/repo from origin ${url}`, { hint });
  return { tracker: "github", owner, repo, number, ...(remote.host === "github.com" ? {} : { host: remote.host }) };
}

/** Read a spec file as UTF-8 text, refusing what is too big, empty, binary or not UTF-8. */
export function readSpecFile(path: string): string {
  const size = statSync(path).size;
  if (size > MAX_SPEC_BYTES)
    throw specError(`${path} is ${(size / 1024 / 1024).toFixed(1)} MB; specs are limited to 5 MB`, {
      hint: "split the spec, or pass the part to build now",
    });
  const bytes = readFileSync(path);
  if (bytes.subarray(0, 8192).includes(0))
    throw specError(`${path} looks binary, not a text spec`, { hint: "pass a Markdown, JSON or YAML file" });
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw specError(`${path} is not valid UTF-8`, { hint: `convert it first, e.g. iconv -f latin1 -t utf-8 ${path} > spec.md` });
  }
  if (text.trim() === "")
    throw specError(`${path} is empty`, { hint: "write some acceptance criteria, or start from `loki init --template todo-app`" });
  return text;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}
