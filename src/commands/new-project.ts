// What `loki demo` and `loki quickstart` share: rank the starter templates for a one-line idea (BM25
// over their names, categories, descriptions and text; no model call), quote a PRD as `loki plan`
// would, and make a new project directory with the PRD and a first commit.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { keepOutOfGit } from "../core/git.ts";
import { run } from "../core/exec.ts";
import { usageError } from "../core/errors.ts";
import type { Plan } from "../core/schema.ts";
import { buildIndex, searchMany } from "../memory/bm25.ts";
import { readSpec } from "../spec/read.ts";
import type { Config } from "../core/config.ts";
import type { Template } from "./init.ts";
import { quoteSpec } from "./plan.ts";

export type Ranked = { template: Template; score: number };

/** The templates best matching `idea`, best first; every template is listed (unmatched ones last, in gallery order). */
export function rankTemplates(templates: readonly Template[], idea: string): Ranked[] {
  const index = buildIndex(
    templates.map((t) => ({
      id: t.name,
      text: `${t.name.replaceAll("-", " ")}\n${t.category}\n${t.description}\n${t.description}\n${t.body}`,
    })),
  );
  const hits = new Map(searchMany([index], idea, templates.length).map((hit) => [hit.id, hit.score]));
  return templates
    .map((template, order) => ({ template, score: hits.get(template.name) ?? 0, order }))
    .sort((a, b) => b.score - a.score || a.order - b.order)
    .map(({ template, score }) => ({ template, score }));
}

/** The quote of a PRD text, as `loki plan` prints it (read from a private temp copy: nothing written here). */
export async function quotePrd(prd: string, config: Config, cwd: string): Promise<Plan> {
  const dir = mkdtempSync(join(tmpdir(), "loki-quote-"));
  try {
    const file = join(dir, "prd.md");
    writeFileSync(file, prd);
    const spec = await readSpec(file, { cwd: dir, config, env: process.env });
    return await quoteSpec(spec, config, { providerChosen: false, heldOut: 0, cwd });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A directory under `parent` named `name`, or `name-2`, `name-3` … when taken. */
export function freeDir(parent: string, name: string): string {
  for (let i = 1; ; i++) {
    const dir = join(parent, i === 1 ? name : `${name}-${i}`);
    if (!existsSync(dir)) return dir;
  }
}

/** Makes `dir` — which must not exist — a new git repository holding `files` in a first commit; prd.md is
 *  kept out of git (core/git.ts keepOutOfGit), so its held-out items never enter history. */
export async function createProject(dir: string, files: Record<string, string>, message: string): Promise<void> {
  mkdirSync(dirname(dir), { recursive: true });
  try {
    // Made here, never reused: a directory (or a link) that appeared since it was chosen is refused.
    mkdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST")
      throw usageError(`${dir} already exists: a new project gets a new directory`, { hint: "choose another name or remove it" });
    throw error;
  }
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const init = await run(["git", "init", "-q"], { cwd: dir, timeoutMs: 30_000 });
  if (!init.ok) throw usageError(`git init failed in ${dir}: ${init.digest}`, { hint: "is git installed? run `loki doctor`" });
  await keepOutOfGit(dir, "prd.md", message);
}

/** The quote as `loki plan` prints it, in short: items and complexity, iterations, tokens, dollars per model (the chosen one marked), time. */
export function quoteLines(plan: Plan): string[] {
  const usd = (n: number) => `$${n.toFixed(2)}`;
  const { iterations, cost, time, complexity, items, tokens } = plan;
  const total = tokens.total_estimate;
  const k = (n: number) => (n >= 1_000_000 ? `${(n / 1_000_000).toFixed(1)}M` : `${Math.round(n / 1000)}k`);
  return [
    `${items.total} items · complexity ${complexity.tier}`,
    `iterations ~${iterations.estimate} (${iterations.low}–${iterations.high})`,
    `tokens ~${k(total.input + total.cache_read + total.cache_write)} in, ~${k(total.output)} out`,
    ...cost.by_model.map((m) => `${m.selected ? "▸" : " "} ${m.model}: ~${usd(m.usd.estimate)} (${usd(m.usd.low)}–${usd(m.usd.high)})`),
    `time ~${time.minutes.estimate} min (${time.minutes.low}–${time.minutes.high})`,
  ];
}
