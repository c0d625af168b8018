// `loki quickstart`: a guided first build in four steps — setup check (offering, with your yes, to install
// Claude Code into the new project), a one-line idea, the starter template that fits it (ranked offline),
// the quote — then the build in a new directory. Enter at every step builds the Todo app. Interactive
// terminals only: elsewhere it prints what to run instead.
import { cancel, confirm, intro, isCancel, note, outro, select, spinner, text } from "@clack/prompts";
import { writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { commitCheckpoint } from "../core/git.ts";
import { loadConfig } from "../core/config.ts";
import { run } from "../core/exec.ts";
import { COMMAND_EXIT, type ExitCode } from "../core/exit-codes.ts";
import { out } from "../core/log.ts";
import { startRefusals } from "../run/prepare.ts";
import { templates } from "./init.ts";
import { createProject, freeDir, quoteLines, quotePrd, rankTemplates } from "./new-project.ts";
import { runStart } from "./run.ts";

export const DEFAULT_IDEA = "a todo app with filters that keeps my tasks in the browser";
const SHOWN = 5;

export async function runQuickstart(): Promise<ExitCode> {
  if (!process.stdin.isTTY || !process.stdout.isTTY || process.env.CI) {
    out("loki quickstart is a guided interview for a terminal. In a script, the same first build is:");
    out("  loki init todo --template todo-app && cd todo && loki plan && loki start");
    out("(loki init --list shows every starter template)");
    return COMMAND_EXIT.declined;
  }
  const cwd = process.cwd();
  const { config } = loadConfig(cwd, process.env, {});
  intro("loki quickstart: your first verified build, in four steps");

  // 1. Setup: what `loki start` would refuse right now, and git.
  const git = await run(["git", "--version"], { timeoutMs: 10_000 });
  const refusals = await startRefusals(config, { env: process.env, cwd });
  const checks = [
    git.ok ? `✓ ${git.stdout.trim()}` : "✗ git is not installed (apt install git, brew install git)",
    ...(refusals.length === 0
      ? [
          `✓ ${config.provider} is installed and logged in`,
          config.sandbox ? "✓ the OS sandbox is available" : "! running without the OS sandbox",
        ]
      : []),
    ...refusals.map((r) => `✗ ${r.message}\n    fix: ${r.fix}`),
  ];
  note(checks.join("\n"), "1/4 Setup");
  // Claude Code missing is the one setup step loki can do for you — with your yes, into the new project.
  const missing = refusals.length === 1 && refusals[0]?.check === "install" && config.provider === "claude";
  if (!git.ok || (refusals.length > 0 && !missing)) {
    outro("fix the above, then run loki quickstart again");
    return COMMAND_EXIT.check_failed;
  }
  let installAgent = false;
  if (missing) {
    const yes = await confirm({ message: `Install Claude Code into the new project (${INSTALL_CLAUDE.join(" ")})?`, initialValue: true });
    if (!answered(yes)) {
      outro(`nothing installed: install it yourself (${refusals[0]?.fix}), then run loki quickstart again`);
      return COMMAND_EXIT.declined;
    }
    installAgent = true;
  } else if (!answered(await confirm({ message: "Continue?", initialValue: true }))) return stopped();

  // 2. The idea.
  const idea = await text({ message: "2/4 What do you want to build? (one line)", placeholder: DEFAULT_IDEA, defaultValue: DEFAULT_IDEA });
  if (isCancel(idea)) return stopped();

  // 3. The template: ranked for the idea, offline.
  const ranked = rankTemplates(templates(), String(idea)).slice(0, SHOWN);
  const picked = await select({
    message: "3/4 Start from this template",
    options: ranked.map(({ template }) => ({ value: template.name, label: template.name, hint: template.description })),
    initialValue: ranked[0]?.template.name,
  });
  if (isCancel(picked)) return stopped();
  const template = templates().find((t) => t.name === picked);
  if (!template) return stopped();
  const prd =
    String(idea) === DEFAULT_IDEA
      ? template.body
      : `${template.body.trimEnd()}\n\n## Context\n\nWhat the user asked for: ${String(idea)}\n`;

  // 4. The quote: declining costs nothing.
  const plan = await quotePrd(prd, config, cwd);
  const dir = freeDir(cwd, template.name);
  const cap = config.budget_usd ?? Math.ceil(plan.cost.usd.high);
  note([...quoteLines(plan), `capped at $${cap.toFixed(2)}`].join("\n"), `4/4 The quote for ${template.name}`);
  const go = await confirm({ message: `Build it in ./${relative(cwd, dir)}?`, initialValue: true });
  if (!answered(go)) {
    outro("nothing built, nothing spent");
    return COMMAND_EXIT.declined;
  }
  await createProject(dir, { "prd.md": prd }, `Start from the loki template ${template.name}`);
  if (installAgent) {
    const ready = await installClaude(dir, config);
    if (ready !== null) {
      outro(`${relative(cwd, dir)} is ready, the build not started: ${ready}`);
      return COMMAND_EXIT.check_failed;
    }
  }
  outro(`building ${basename(dir)}: the live line below, the dashboard in your browser; loki stop ends it cleanly`);
  process.chdir(dir);
  // Capped at the quote's high end (whole dollars) unless your config sets a cap: the build never spends past what you agreed to.
  return runStart("prd.md", config.budget_usd !== undefined ? {} : { budget: Math.ceil(plan.cost.usd.high) });
}

/** How quickstart installs Claude Code into the new project (its node_modules/.bin is where loki looks first). */
export const INSTALL_CLAUDE = ["npm", "install", "--save-dev", "@anthropic-ai/claude-code"];

/** Installs Claude Code in `dir` (git keeps ignoring node_modules/); null when loki start would now run, else what is left to do. */
async function installClaude(dir: string, config: ReturnType<typeof loadConfig>["config"]): Promise<string | null> {
  writeFileSync(join(dir, ".gitignore"), "node_modules/\n");
  const s = spinner();
  s.start(`installing Claude Code into ${basename(dir)} (${INSTALL_CLAUDE.join(" ")})`);
  const result = await run(INSTALL_CLAUDE, { cwd: dir, timeoutMs: 600_000 });
  s.stop(result.ok ? "Claude Code installed" : "the install failed");
  if (!result.ok)
    return `${INSTALL_CLAUDE.join(" ")} failed: ${result.digest.split("\n").slice(-3).join(" ")}; run it in ${dir}, then loki start there`;
  await commitCheckpoint(dir, "Add Claude Code as a development dependency");
  const left = await startRefusals(config, { env: process.env, cwd: dir });
  return left.length === 0 ? null : `${left[0]?.message} (fix: ${left[0]?.fix}), then cd ${basename(dir)} && loki start`;
}

function answered(value: boolean | symbol): boolean {
  return !isCancel(value) && value === true;
}

function stopped(): ExitCode {
  cancel("stopped: nothing built, nothing spent");
  return COMMAND_EXIT.declined;
}
