// `loki init [dir] --template <name>`: write a starter PRD (embedded in the binary) as <dir>/prd.md
// and make <dir> a git repository (with a first commit) if it is not in one. `--list` shows them.
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import cliTool from "../../templates/cli-tool.md" with { type: "text" };
import fullstack from "../../templates/fullstack-compose.md" with { type: "text" };
import landing from "../../templates/landing-page.md" with { type: "text" };
import library from "../../templates/library.md" with { type: "text" };
import restApi from "../../templates/rest-api-auth.md" with { type: "text" };
import todoApp from "../../templates/todo-app.md" with { type: "text" };
import { usageError } from "../core/errors.ts";
import { run } from "../core/exec.ts";
import { commitCheckpoint, isRepo } from "../core/git.ts";
import { info, out, outJson } from "../core/log.ts";
import { writeFileAtomic } from "../core/workspace.ts";
import { COMMAND_EXIT, ERROR_EXIT, type ExitCode } from "../core/exit-codes.ts";

const SOURCES = [todoApp, restApi, cliTool, landing, fullstack, library];
const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n/;

export type Template = { name: string; description: string; body: string };

export function templates(): Template[] {
  return SOURCES.map((source) => {
    const match = FRONT_MATTER.exec(source);
    const meta = (match ? parseYaml(match[1] ?? "") : {}) as { template?: string; description?: string };
    return { name: meta.template ?? "unnamed", description: meta.description ?? "", body: match ? source.slice(match[0].length) : source };
  });
}

type InitOptions = { template?: string; list?: boolean; force?: boolean; json?: boolean };

export async function runInit(dir: string, options: InitOptions): Promise<ExitCode> {
  const all = templates();
  if (options.list || !options.template) {
    if (!options.list) info("choose a template with --template <name>:");
    if (options.json) outJson({ templates: all.map(({ name, description }) => ({ name, description })) });
    else for (const t of all) out(`${t.name.padEnd(20)} ${t.description}`);
    return options.list ? COMMAND_EXIT.ok : ERROR_EXIT.usage;
  }
  const chosen = all.find((t) => t.name === options.template);
  if (!chosen) {
    const near = all.find((t) => t.name.startsWith(options.template!.slice(0, 3)));
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
    // A new repository gets its first commit, so `loki start` has a clean tree to start from.
    await commitCheckpoint(target, `Start from the loki template ${chosen.name}`);
  }
  const rel = relative(process.cwd(), prd) || "prd.md";
  if (options.json) outJson({ template: chosen.name, prd, git_initialized: initialized });
  else {
    out(`wrote ${rel} from template ${chosen.name}${initialized ? " (new git repository, first commit made)" : ""}`);
    const into = relative(process.cwd(), target);
    out(
      `next: edit it, ${initialized ? "commit, " : "commit it, "}then ${into ? `cd ${into} && ` : ""}loki plan (quote) or loki start (build)`,
    );
  }
  return COMMAND_EXIT.ok;
}
