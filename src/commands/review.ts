// `loki review [--staged | --diff <base>]`: `loki verify`'s gates over the change, and one read-only,
// sandboxed reviewer model over its diff; findings on file:line at or above --min-severity. Exit 0
// VERIFIED, 1 CONCERNS, 2 BLOCKED, 3 could not review (the mapping: review/code-review.ts, docs/review.md).
import { relative, resolve } from "node:path";
import { type Config, loadConfig } from "../core/config.ts";
import { gitError, isLokiError, LokiError, usageError } from "../core/errors.ts";
import type { Evidence } from "../core/evidence-schema.ts";
import { type ExitCode, VERIFY_EXIT } from "../core/exit-codes.ts";
import { currentBranch, dirtyFiles, git, headSha, repoRoot, workingTreeHash } from "../core/git.ts";
import { color, info, out, outJson, warn } from "../core/log.ts";
import { writeFileAtomic } from "../core/workspace.ts";
import { DIFF_ARGS, readSubject } from "../gates/diff.ts";
import type { DiffSubject } from "../gates/gate.ts";
import { commitTree } from "../gates/tree.ts";
import * as cr from "../review/code-review.ts";
import { MAX_DIFF_CHARS } from "../review/diff-text.ts";
import { stripControls } from "../run/terminal-text.ts";
import { flagsOnlySandbox, type OneShotAnswer, readOnlyCall } from "../run/oneshot.ts";
import { startRefusals } from "../run/prepare.ts";
import { resolveBase } from "../verify/base.ts";
import { locationOf } from "../verify/report/findings.ts";
import { toSarif } from "../verify/report/sarif.ts";
import { PROJECT_URL } from "../verify/report/sarif-rules.ts";
import { verifyRepo } from "../verify/verify.ts";
import { gateLine } from "./verify.ts";

type ReviewOptions = {
  staged?: boolean;
  diff?: string;
  minSeverity?: string;
  provider?: string;
  model?: string;
  budget?: number;
  sandbox?: boolean;
  json?: boolean;
  sarif?: string;
};

/** The most one review's model call may cost unless --budget says otherwise. */
export const REVIEW_BUDGET_USD = 1;

/** The change under review, and the `loki verify` base and --uncommitted that grade the same change. */
type Target = { label: string; change: DiffSubject; base: string; uncommitted: boolean; empty: [string, string]; caveat: string | null };
type Reviewer = { answer: OneShotAnswer; review: cr.ParsedReview; durationMs: number };

export async function runReview(options: ReviewOptions): Promise<ExitCode> {
  if (options.staged && options.diff !== undefined)
    throw usageError("--staged and --diff choose different changes: give one", {
      hint: "loki review --staged (what you would commit), or loki review --diff origin/main (this branch's commits)",
    });
  const cwd = process.cwd();
  const root = await repoRoot(cwd);
  if ((await headSha(root)) === null) throw gitError(`${root} has no commits yet`, { hint: "commit something first, then loki review" });
  const loaded = loadConfig(root, process.env, { provider: options.provider, model: options.model });
  const { warnings } = loaded;
  // The branch under review may carry a loki.yaml: it does not decide the reviewer's sandbox.
  for (const line of warnings) warn(line);
  const target = await readTarget(root, options);
  // Nor where the reviewer's calls go: the endpoints and the override come from the base's loki.yaml.
  const base = loadConfig(
    root,
    process.env,
    { provider: options.provider, model: options.model },
    {
      lokiYaml: (await commitTree(root, target.base)).read("loki.yaml"),
    },
  ).config;
  const config = { ...flagsOnlySandbox(loaded.config, options.sandbox), providers: base.providers, model_override: base.model_override };
  if (target.change.stat.files === 0) return nothingToReview(target, options.json === true, options.sarif);
  // Refused before anything runs or is spent, as `loki start` refuses: no provider, no login, no sandbox.
  const refusal = (await startRefusals(config, { env: process.env, cwd: root }))[0];
  if (refusal) throw new LokiError(refusal.check === "sandbox" ? "sandbox" : "provider", refusal.message, { hint: refusal.fix });
  const budget = options.budget ?? REVIEW_BUDGET_USD;
  if (!options.json)
    info(`reviewing ${target.label}: the gates, and one read-only call to ${config.provider}, budget $${budget.toFixed(2)}…`);
  const result = await gradeAndDecide(cwd, root, config, target, budget, (options.minSeverity ?? "low") as cr.ReviewSeverity);
  const sarif = options.sarif === undefined ? null : resolve(cwd, options.sarif);
  if (sarif) writeFileAtomic(sarif, sarifLog(result), 0o644);
  if (options.json) printJson(result, target, sarif);
  else printText(result, target, [result.outcome.written.report, sarif], options);
  return result.exitCode;
}

type Result = Awaited<ReturnType<typeof gradeAndDecide>>;

/**
 * The gates and the reviewer, then the one mapping (review/code-review.ts). Sandboxed, the reviewer
 * cannot touch the tree the gates grade, so both run at once; unsandboxed, the reviewer goes first and
 * alone, so any change to the tree is its own and nothing is graded after it.
 */
async function gradeAndDecide(cwd: string, root: string, config: Config, target: Target, budget: number, min: cr.ReviewSeverity) {
  const change = cr.withUntracked(target.change);
  const gates = () => verifyRepo({ cwd, base: target.base, uncommitted: target.uncommitted });
  const ask = () => askReviewer(root, config, change, target.label, budget);
  const [outcome, reviewer] = config.sandbox ? await settled(gates(), ask()) : await ask().then(async (r) => [await gates(), r] as const);
  for (const line of outcome.warnings) warn(line);
  const { subject } = outcome.evidence;
  const { stat } = target.change;
  const moved = subject.files !== stat.files || subject.insertions !== stat.insertions || subject.deletions !== stat.deletions;
  const caveat = target.caveat ?? (moved ? "the change moved while it was reviewed: the gates and the reviewer saw different diffs" : null);
  const kept = reviewer.review.ok ? reviewer.review.findings : [];
  const shown = cr.atOrAbove(kept, min);
  // A diff past the prompt's cap was not all read: whatever the reviewer said, it did not see the rest.
  const cut =
    change.text.length > MAX_DIFF_CHARS
      ? `the reviewer saw the first ${MAX_DIFF_CHARS} of ${change.text.length} characters of the diff: the rest was not reviewed`
      : null;
  const decided = cr.decideReview(
    outcome.evidence,
    reviewer.review,
    shown,
    [caveat, cut].filter((c): c is string => c !== null),
  );
  return { outcome, reviewer, min, kept, shown, ...decided, exitCode: cr.REVIEW_EXIT[decided.verdict] };
}

function printJson(result: Result, target: Target, sarif: string | null): void {
  const { answer, review } = result.reviewer;
  outJson({
    verdict: result.verdict,
    exit_code: result.exitCode,
    reasons: result.reasons,
    change: { label: target.label, base: target.change.base, head: target.change.head, ...target.change.stat },
    min_severity: result.min,
    gates: result.outcome.evidence.gates.map(({ digest: _, details: __, ...gate }) => gate),
    findings: result.shown,
    hidden: result.kept.length - result.shown.length,
    dropped: review.ok ? review.dropped : 0,
    reviewer: {
      verdict: review.ok ? review.verdict : null,
      reason: review.ok ? null : review.reason,
      provider: answer.provider,
      model: answer.model,
      cost_usd: answer.costUsd,
      cost_basis: answer.costBasis,
      sandboxed: answer.sandboxed,
    },
    evidence: result.outcome.written.evidence ?? null,
    sarif,
  });
}

/** The gates, the findings shown, then one result line: verdict, why, cost, the next command. */
function printText(result: Result, target: Target, written: (string | undefined | null)[], options: ReviewOptions): void {
  const { answer, review } = result.reviewer;
  const { stat } = target.change;
  out(`loki review: ${target.label}: ${stat.files} file${stat.files === 1 ? "" : "s"}, +${stat.insertions} −${stat.deletions}`);
  printGates(result.outcome.evidence, result.min);
  for (const f of result.shown) out(`${stripControls(cr.locationOf(f))}  ${SEVERITY[f.severity](f.severity)}  ${f.message}`);
  const hidden = result.kept.length - result.shown.length;
  if (hidden > 0) info(`${hidden} finding(s) below --min-severity ${result.min} hidden`);
  if (review.ok && review.dropped > 0) info(`${review.dropped} finding(s) dropped: not on a line the diff shows, or not in the protocol`);
  const cost = `$${answer.costUsd.toFixed(2)} ${answer.costBasis} (${answer.provider}, ${answer.model}${answer.sandboxed ? "" : ", unsandboxed"})`;
  const again = `loki review${options.staged ? " --staged" : options.diff !== undefined ? ` --diff ${options.diff}` : ""}`;
  const why = result.reasons.length > 0 ? `: ${result.reasons.join("; ")}` : "";
  const next = cr.nextStep(result.verdict, again, options.staged === true);
  out(`${VERDICT[result.verdict](result.verdict.replace("_", " "))} (exit ${result.exitCode})${why}. reviewer ${cost}. next: ${next}`);
  const files = written.filter((p): p is string => typeof p === "string").map((p) => relative(process.cwd(), p) || p);
  if (files.length > 0) out(`evidence: ${files.join(", ")}`);
}

const SEVERITY: Record<cr.ReviewSeverity, (t: string) => string> = {
  critical: color.red,
  high: color.red,
  medium: color.yellow,
  low: color.dim,
};
const VERDICT: Record<cr.ReviewVerdict, (t: string) => string> = {
  VERIFIED: color.green,
  CONCERNS: color.yellow,
  BLOCKED: color.red,
  NOT_REVIEWED: color.red,
};
/** One line per gate, as `loki verify` prints them, each with its findings at or above `min` (at most 5). */
function printGates(evidence: Evidence, min: cr.ReviewSeverity): void {
  const width = Math.max(...evidence.gates.map((g) => g.id.length));
  for (const g of evidence.gates) {
    out(gateLine(g, width));
    const findings = g.findings.filter((f) => cr.meets(f.severity, min));
    for (const f of findings.slice(0, 5))
      out(
        `      ${stripControls(locationOf(f))}  ${SEVERITY[f.severity as cr.ReviewSeverity](f.severity)}  ${f.rule ? `${f.rule}: ` : ""}${stripControls(f.message)}`,
      );
    if (findings.length > 5) out(`      … and ${findings.length - 5} more in .loki/verify/report.md`);
  }
}

/** Both at once; a failure of either is thrown only after both have settled (nothing left running). */
async function settled<A, B>(a: Promise<A>, b: Promise<B>): Promise<readonly [A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === "rejected") throw x.reason;
  if (y.status === "rejected") throw y.reason;
  return [x.value, y.value];
}

/** The one model call, in the repository itself, read-only; unsandboxed, a changed working tree discards it. */
async function askReviewer(root: string, config: Config, change: DiffSubject, label: string, budgetUsd: number): Promise<Reviewer> {
  const before = config.sandbox ? null : await workingTreeHash(root);
  const started = performance.now();
  const answer = await readOnlyCall(
    root,
    config,
    {
      label: "review",
      prompt: cr.reviewPrompt(label, change),
      systemPrompt: cr.REVIEW_SYSTEM,
      files: "repository",
      tier: "standard",
      budgetUsd,
    },
    { env: process.env, warn },
  );
  const durationMs = performance.now() - started;
  if (before !== null && (await workingTreeHash(root)) !== before)
    throw new LokiError("provider", "the reviewer changed the working tree (it ran unsandboxed): its verdict is discarded, no gate ran", {
      hint: "see what it changed: git status, git diff; then run loki review without --no-sandbox",
    });
  const review: cr.ParsedReview = answer.ok
    ? cr.parseReview(answer.finalText, cr.hunkLines(change.text))
    : { ok: false, reason: `the call failed (${answer.errorClass ?? "no answer"})` };
  return { answer, review, durationMs };
}

/** The change each mode reviews, and the `loki verify` flags that grade the same change. */
async function readTarget(root: string, options: ReviewOptions): Promise<Target> {
  if (options.staged) {
    const head = (await headSha(root)) ?? "HEAD";
    const diff = await git([...DIFF_ARGS, "--cached", head, "--"], { cwd: root, timeoutMs: 120_000, maxOutputBytes: 256 << 20 });
    if (!diff.ok || diff.truncated)
      throw gitError(`git diff --cached failed: ${diff.truncated ? "the diff is over 256 MiB" : diff.digest}`);
    // The gates run the project as it is on disk: with unstaged changes there, they grade more than the commit.
    const unstaged = (await dirtyFiles(root)).filter((line) => line[1] !== " ").length;
    return {
      label: "staged changes vs HEAD",
      change: cr.subjectOfDiff(root, head, diff.stdout),
      base: "HEAD",
      uncommitted: true,
      empty: ["nothing is staged", "git add what to review, or run loki review (everything uncommitted)"],
      caveat:
        unstaged > 0
          ? `the gates graded the working tree, where ${unstaged} path(s) have unstaged changes, not the staged change alone`
          : null,
    };
  }
  const branch = await currentBranch(root);
  const base = options.diff !== undefined ? await resolveBase(root, options.diff, branch) : await defaultBase(root, branch);
  const uncommitted = options.diff === undefined;
  const change = await readSubject(root, base.mergeBase, { includeWorktree: uncommitted });
  const at = `${base.ref} (merge base ${base.mergeBase.slice(0, 7)})`;
  const label = !uncommitted
    ? `commits since ${at}`
    : base.mergeBase === change.head
      ? "uncommitted changes vs HEAD"
      : `${at} + working tree`;
  const empty: [string, string] = uncommitted
    ? [`no change in ${label}`, "change something first, or name a base: loki review --diff <base>"]
    : [`HEAD adds nothing to ${base.ref}`, "commit the change first, or run loki review (includes uncommitted work)"];
  return { label, change, base: base.ref, uncommitted, empty, caveat: null };
}

/** `loki verify`'s default base; without one (no upstream, origin/HEAD, main or master), HEAD. */
async function defaultBase(root: string, branch: string | null) {
  try {
    return await resolveBase(root, undefined, branch);
  } catch (error) {
    if (!isLokiError(error) || error.kind !== "git") throw error;
    return resolveBase(root, "HEAD", branch);
  }
}

/** An empty change: nothing run, nothing spent; CONCERNS, as `loki verify` grades an empty diff. */
function nothingToReview(target: Target, json: boolean, sarif: string | undefined): ExitCode {
  const [what, hint] = target.empty;
  const exitCode = VERIFY_EXIT.CONCERNS;
  // A CI step that uploads the SARIF file finds one: no result, the verdict in its properties.
  if (sarif) writeFileAtomic(resolve(sarif), `${JSON.stringify(emptySarif(what), null, 2)}\n`);
  const reasons = [`nothing to review: ${what}`];
  const change = { label: target.label, base: target.change.base, head: target.change.head, ...target.change.stat };
  if (json)
    outJson({ verdict: "CONCERNS", exit_code: exitCode, reasons, change, gates: [], findings: [], hidden: 0, dropped: 0, reviewer: null });
  else out(`${color.yellow("CONCERNS")} (exit ${exitCode}): nothing to review: ${what}. next: ${hint}`);
  return exitCode;
}

/** A SARIF 2.1.0 log of a review that had nothing to review: one run of the reviewer, no result. */
function emptySarif(what: string): Record<string, unknown> {
  return {
    version: "2.1.0",
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    runs: [
      {
        tool: { driver: { name: "loki-review", informationUri: PROJECT_URL, rules: [] } },
        results: [],
        properties: { verdict: "CONCERNS", reason: `nothing to review: ${what}` },
      },
    ],
  };
}

/** `loki verify`'s SARIF (a run per gate) with the reviewer as one run more (tool loki-review, rule loki/review). */
function sarifLog(result: Result): string {
  const { evidence } = result.outcome;
  const gate = cr.reviewGate(result.reviewer.review, result.shown, result.reviewer.durationMs);
  const log = toSarif({ ...evidence, gates: [...evidence.gates, gate] });
  type Run = { tool: { driver: { rules: Record<string, unknown>[] } }; properties: Record<string, unknown> };
  const runs = (Array.isArray(log.runs) ? log.runs : []) as Run[];
  // Every run carries the verdict of the whole review; the reviewer's rule has its own words and page.
  for (const run of runs) run.properties.verdict = result.verdict;
  for (const rule of runs.at(-1)?.tool.driver.rules ?? []) Object.assign(rule, cr.reviewRuleText(evidence.tool.version));
  return `${JSON.stringify(log, null, 2)}\n`;
}
