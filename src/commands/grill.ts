// `loki grill [spec]`: one read-only, sandboxed model call that interrogates a spec before anything is
// spent on building it — ambiguities, contradictions, missing and untestable criteria, each on a spec
// line. Exit 0 clean, 1 findings, 3 could not grill. `--write` appends the questions to a Markdown spec.
import { readFileSync, statSync } from "node:fs";
import { relative } from "node:path";
import { loadConfig } from "../core/config.ts";
import { LokiError, usageError } from "../core/errors.ts";
import { COMMAND_EXIT, type ExitCode } from "../core/exit-codes.ts";
import { color, info, out, outJson, warn } from "../core/log.ts";
import type { Spec } from "../core/schema.ts";
import { findRoot, writeFileAtomic } from "../core/workspace.ts";
import { GRILL_SYSTEM, type GrillFinding, grillPrompt, parseGrill, questionsSection, shownLines } from "../review/grill.ts";
import { flagsOnlySandbox, readOnlyCall } from "../run/oneshot.ts";
import { stripControls } from "../run/terminal-text.ts";
import { readSpec } from "../spec/read.ts";

type GrillOptions = {
  prd?: string;
  issue?: string;
  openspec?: string;
  provider?: string;
  model?: string;
  budget?: number;
  write?: boolean;
  sandbox?: boolean;
  json?: boolean;
};

/** The most one grill may cost unless --budget says otherwise. */
export const GRILL_BUDGET_USD = 1;

export async function runGrill(arg: string | undefined, options: GrillOptions): Promise<ExitCode> {
  const root = findRoot();
  const cwd = process.cwd();
  const loaded = loadConfig(root, process.env, { provider: options.provider, model: options.model });
  const { warnings } = loaded;
  const config = flagsOnlySandbox(loaded.config, options.sandbox);
  for (const line of warnings) warn(line);
  const spec = await readSpec(arg, {
    cwd,
    config,
    env: process.env,
    explicit: { prd: options.prd, issue: options.issue, openspec: options.openspec },
  });
  const file = localMarkdown(spec);
  // Refused before anything is spent: --write needs a Markdown file to append to.
  if (options.write && !file)
    throw usageError(`--write appends to a local Markdown spec; ${spec.source.ref} is a ${spec.source.kind} spec`, {
      hint: "run loki grill without --write and answer the questions in the spec's own place",
    });
  // Printed and put in the prompt: a path or a brief with control characters cannot move the terminal's cursor.
  const name = stripControls(file ? relative(cwd, file) || file : spec.source.ref);
  const text = file ? readFileSync(file, "utf8") : specText(spec);
  const lineCount = text.split("\n").length;
  if (!options.json)
    info(
      `grilling ${name} (${lineCount} lines) with ${config.provider}: one read-only call, budget $${(options.budget ?? GRILL_BUDGET_USD).toFixed(2)}…`,
    );
  const answer = await readOnlyCall(
    root,
    config,
    {
      label: "grill",
      prompt: grillPrompt(name, text),
      systemPrompt: GRILL_SYSTEM,
      files: { [file ? "spec.md" : "spec.txt"]: text },
      tier: spec.complexity.tier,
      budgetUsd: options.budget ?? GRILL_BUDGET_USD,
    },
    { env: process.env, warn },
  );
  const cost = `$${answer.costUsd.toFixed(2)} ${answer.costBasis} (${answer.provider}, ${answer.model}${answer.sandboxed ? "" : ", unsandboxed"})`;
  if (!answer.ok)
    throw new LokiError("provider", `the grill call failed (${answer.errorClass ?? "no answer"}; ${cost}): nothing was concluded`, {
      hint: "loki doctor checks the provider; run loki grill again",
    });
  const result = parseGrill(answer.finalText, shownLines(lineCount));
  if (!result)
    throw new LokiError("provider", `the grill answer had no findings block (${cost}): nothing was concluded, not even "clean"`, {
      hint: "run loki grill again, or with another --model",
    });
  // Findings given, none of them in the protocol: no verdict either — never "ready to build".
  if (result.findings.length === 0 && result.dropped > 0)
    throw new LokiError(
      "provider",
      `none of the grill answer's ${result.dropped} findings followed the protocol (a spec line, a known kind and severity; ${cost}): nothing was concluded`,
      { hint: "run loki grill again, or with another --model" },
    );
  let wrote: string | null = null;
  if (options.write && file && result.findings.length > 0) {
    writeFileAtomic(
      file,
      `${text.replace(/\n*$/, "\n")}${questionsSection(result.findings, new Date().toISOString().slice(0, 10))}`,
      statSync(file).mode & 0o777,
    );
    wrote = name;
  }
  if (options.json)
    outJson({
      spec: { ref: spec.source.ref, kind: spec.source.kind, lines: lineCount },
      findings: result.findings,
      dropped: result.dropped,
      cost_usd: answer.costUsd,
      cost_basis: answer.costBasis,
      provider: answer.provider,
      model: answer.model,
      sandboxed: answer.sandboxed,
      wrote,
    });
  else render(name, result.findings, result.dropped, cost, wrote);
  return result.findings.length > 0 ? COMMAND_EXIT.check_failed : COMMAND_EXIT.ok;
}

function render(name: string, findings: readonly GrillFinding[], dropped: number, cost: string, wrote: string | null): void {
  const mark = { high: color.red("high"), medium: color.yellow("medium"), low: color.dim("low") };
  for (const f of findings) {
    out(`${name}:${f.line}  ${mark[f.severity]}  ${f.kind}: ${f.issue}`);
    if (f.question) out(color.dim(`    ? ${f.question}`));
  }
  if (dropped > 0) info(`${dropped} finding${dropped === 1 ? "" : "s"} dropped: no line of the spec, or not in the protocol`);
  out(
    findings.length === 0
      ? `no findings: the spec reads as ready to build (${cost}). next: loki plan, then loki start`
      : `${findings.length} finding${findings.length === 1 ? "" : "s"} (${cost}). next: ${wrote ? `answer the questions appended to ${wrote}` : "settle them in the spec (loki grill --write appends them as questions)"}, then loki grill again`,
  );
}

/** The spec's own file when it is one Markdown file on disk (what --write may append to). */
function localMarkdown(spec: Spec): string | null {
  const path = spec.source.path;
  if (spec.source.kind !== "markdown" || !path) return null;
  try {
    return statSync(path).isFile() ? path : null;
  } catch {
    return null;
  }
}

/** A spec with no single text file (an issue, a brief, a directory): its title, summary and items, one per line. */
function specText(spec: Spec): string {
  return [
    `# ${spec.title}`,
    ...(spec.summary ? ["", spec.summary] : []),
    "",
    "## Items",
    ...spec.items.map((item) => `- ${item.text}`),
  ].join("\n");
}
