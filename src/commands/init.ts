// `loki init [dir] --template <name>`: write a starter PRD (embedded in the binary) as <dir>/prd.md
// and make <dir> a git repository (with a first commit) if it is not in one. `--list` shows them.
import { existsSync, mkdirSync, realpathSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { usageError } from "../core/errors.ts";
import { run } from "../core/exec.ts";
import { headSha, isRepo, keepOutOfGit, repoRoot as repoTop } from "../core/git.ts";
import { info, out, outJson } from "../core/log.ts";
import { writeFileAtomic } from "../core/workspace.ts";
import { COMMAND_EXIT, ERROR_EXIT, type ExitCode } from "../core/exit-codes.ts";
import { TEMPLATE_SOURCES } from "./init-templates.ts";

const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n/;

export type Template = { name: string; category: string; description: string; body: string };

export function templates(): Template[] {
  return TEMPLATE_SOURCES.map((source) => {
    const match = FRONT_MATTER.exec(source);
    const meta = (match ? parseYaml(match[1] ?? "") : {}) as { template?: string; category?: string; description?: string };
    return {
      name: meta.template ?? "unnamed",
      category: meta.category ?? "other",
      description: meta.description ?? "",
      body: match ? source.slice(match[0].length) : source,
    };
  });
}

/** Templates grouped by category: categories in order of first appearance, templates in source order. */
function groupTemplates(all: Template[]): { category: string; templates: Template[] }[] {
  const groups = new Map<string, Template[]>();
  for (const t of all) groups.set(t.category, [...(groups.get(t.category) ?? []), t]);
  return [...groups].map(([category, members]) => ({ category, templates: members }));
}

function listTemplates(all: Template[], json: boolean | undefined): void {
  const groups = groupTemplates(all);
  if (json) {
    outJson({ templates: groups.flatMap((g) => g.templates.map(({ name, category, description }) => ({ name, category, description }))) });
    return;
  }
  const width = Math.max(...all.map((t) => t.name.length)) + 2;
  groups.forEach((group, i) => {
    if (i > 0) out();
    out(`${group.category}:`);
    for (const t of group.templates) out(`  ${t.name.padEnd(width)}${t.description}`);
  });
}

/** The template a mistyped name most likely meant: one containing it, else one sharing its first letters. */
function nearestTemplate(all: Template[], name: string): Template | undefined {
  return all.find((t) => t.name.includes(name)) ?? all.find((t) => t.name.startsWith(name.slice(0, 3)));
}

type InitOptions = { template?: string; list?: boolean; force?: boolean; json?: boolean };

export async function runInit(dir: string, options: InitOptions): Promise<ExitCode> {
  const all = templates();
  if (options.list || !options.template) {
    if (!options.list) info("choose a template with --template <name>:");
    listTemplates(all, options.json);
    return options.list ? COMMAND_EXIT.ok : ERROR_EXIT.usage;
  }
  const chosen = all.find((t) => t.name === options.template);
  if (!chosen) {
    const near = nearestTemplate(all, options.template);
    throw usageError(`unknown template "${options.template}"${near ? ` (did you mean ${near.name}?)` : ""}`, {
      hint: "list them with `loki init --list`",
    });
  }
  const target = resolve(dir);
  if (existsSync(target) && !statSync(target).isDirectory()) throw usageError(`${dir} exists and is not a directory`);
  const prd = join(target, "prd.md");
  if (existsSync(prd) && !options.force)
    throw usageError(`${relative(process.cwd(), prd) || prd} already exists`, {
      hint: "pass --force to overwrite it, or choose another directory",
    });
  const fresh = !existsSync(target);
  mkdirSync(target, { recursive: true });
  writeFileAtomic(prd, chosen.body, 0o644);
  // A directory init creates is a new project with its own repository, even inside another one.
  const initialized = fresh || !(await isRepo(target));
  if (initialized) {
    const result = await run(["git", "init", "-q"], { cwd: target, timeoutMs: 30_000 });
    if (!result.ok) throw usageError(`git init failed in ${target}: ${result.digest}`, { hint: "is git installed? run `loki doctor`" });
  }
  // The PRD names the held-out items: kept out of git (.git/info/exclude), they never enter its history,
  // where the agent could read them. A new repository gets a first commit, so `loki start` has one.
  const inRepo = relative(await repoTop(target), join(realpathSync(target), "prd.md"));
  await keepOutOfGit(target, inRepo, initialized ? `Start from the loki template ${chosen.name}` : null);
  const rel = relative(process.cwd(), prd) || "prd.md";
  if (options.json) outJson({ template: chosen.name, prd, git_initialized: initialized });
  else {
    out(`wrote ${rel} from template ${chosen.name}${initialized ? " (new git repository, first commit made)" : ""}`);
    out(`${rel} is kept out of git (.git/info/exclude): the held-out items it names never enter history, where the agent could read them`);
    const into = relative(process.cwd(), target);
    // An existing repository with no commit yet: loki start needs one, and init makes none there.
    const commit = (await headSha(target)) ? "" : 'commit your files (git add -A && git commit -m "initial"), ';
    out(`next: edit it, ${commit}then ${into ? `cd ${into} && ` : ""}loki plan (quote) or loki start (build)`);
  }
  return COMMAND_EXIT.ok;
}
