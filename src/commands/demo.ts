// `loki demo`: builds a small bundled sample (a slug library) end to end in a new temporary directory —
// quote first, build only after a yes (an interactive confirmation, or --yes in a script) — and says
// where the result, its evidence and its proof are.
import { confirm, isCancel } from "@clack/prompts";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import demoPrd from "../../templates/demo/prd.md" with { type: "text" };
import { loadConfig } from "../core/config.ts";
import { usageError } from "../core/errors.ts";
import { COMMAND_EXIT, type ExitCode } from "../core/exit-codes.ts";
import { info, out, warn } from "../core/log.ts";
import { createProject, quoteLines, quotePrd } from "./new-project.ts";
import { type RunOptions, runStart } from "./run.ts";

/** The demo's budget cap unless --budget says otherwise: a few times its estimate. */
export const DEMO_BUDGET_USD = 2;

/** `--yes` answers the confirmation (as root, the provider's bypass comes from allow_root in config only). */
type DemoOptions = Pick<RunOptions, "provider" | "model" | "budget" | "sandbox" | "dashboard"> & { yes?: boolean; dir?: string };

export async function runDemo(options: DemoOptions): Promise<ExitCode> {
  if (options.dir !== undefined && existsSync(options.dir))
    throw usageError(`${options.dir} already exists: the demo builds in a new directory`, {
      hint: "pass another --dir, or none for a temporary one",
    });
  const { config, origins } = loadConfig(process.cwd(), process.env, {});
  const plan = await quotePrd(String(demoPrd), config, process.cwd());
  out("loki demo: builds a tiny slug library (6 acceptance items) in a new directory, end to end");
  for (const line of quoteLines(plan)) out(`  ${line}`);
  // The demo's cap stands in for an unset one only: a lower cap of your own config is never raised.
  const budget =
    options.budget ??
    (origins.has("budget_usd") && config.budget_usd !== undefined ? Math.min(config.budget_usd, DEMO_BUDGET_USD) : DEMO_BUDGET_USD);
  out(`  capped at $${budget.toFixed(2)} (--budget to change)`);
  if (!options.yes) {
    const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !process.env.CI;
    if (!interactive) {
      info("nothing built: in a script, confirm with loki demo --yes");
      return COMMAND_EXIT.declined;
    }
    const answer = await confirm({ message: "Build it?", initialValue: true });
    if (isCancel(answer) || !answer) {
      info("nothing built, nothing spent");
      return COMMAND_EXIT.declined;
    }
  }
  const dir = options.dir ?? join(mkdtempSync(join(tmpdir(), "loki-demo-")), "slugs");
  // A runnable test command from the start: `node --test` reads what the PRD asks for (slug.test.js).
  const pkg = `${JSON.stringify({ name: "loki-demo-slugs", private: true, type: "module", scripts: { test: "node --test" } }, null, 2)}\n`;
  await createProject(dir, { "prd.md": String(demoPrd), "package.json": pkg }, "Start the loki demo");
  out(`building in ${dir}`);
  process.chdir(dir);
  const { yes: _confirmed, dir: _dir, ...run } = options;
  const code = await runStart("prd.md", { ...run, budget });
  out(`the demo is in ${dir}: its code, .loki/verify/evidence.json and the proof (cd ${dir} && loki proof open)`);
  if (code !== COMMAND_EXIT.ok) warn("the demo did not verify: loki status in that directory says why");
  return code;
}
