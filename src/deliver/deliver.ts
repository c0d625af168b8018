// After a delegated run's loop: a verified run is pushed and gets a pull request (updated, never
// duplicated); with --ship, loki waits for the repository's checks and merges only when they are
// green. An unverified run gets no PR and is never merged. The outcome goes back on the issue.
// Delivery sets no exit code: it returns what it came to, and the code comes from core/exit-codes.ts.
import { join } from "node:path";
import { loadConfig } from "../core/config.ts";
import { messageOf } from "../core/errors.ts";
import { runExitCode, type DeliveryResult } from "../core/exit-codes.ts";
import { Evidence } from "../core/evidence-schema.ts";
import { run } from "../core/exec.ts";
import { gitBinary, headSha } from "../core/git.ts";
import { ProofFile } from "../core/proof-schema.ts";
import { Delivery, OrchestratorState, type Completion } from "../core/run-schema.ts";
import { readJson, type Workspace } from "../core/workspace.ts";
import { commentOnIssue } from "../forge/comment.ts";
import { mergePullRequest, upsertPullRequest, waitForChecks } from "../forge/delivery.ts";
import type { RepoRef } from "../forge/pr-types.ts";
import type { FetchContext, IssueRef } from "../forge/types.ts";
import { notifyDesktop, writeCompletion } from "../run/completion.ts";
import type { Reporter } from "../run/execute.ts";
import { councilOf } from "../proof/facts.ts";
import { issueLabel, pullRequestBody } from "./pr-body.ts";
import { readSubject } from "../gates/diff.ts";

/** A run as delivered: its completion summary and what delivery came to (null: nothing delivered). */
export type Delivered = { completion: Completion; delivery: DeliveryResult | null };
type Step = { result: DeliveryResult; note: string };

export async function deliver(
  ws: Workspace,
  completion: Completion,
  env: Record<string, string | undefined>,
  reporter: Reporter,
): Promise<Delivered> {
  const delivery = readJson(ws.delivery, Delivery);
  if (!delivery || delivery.run_id !== completion.run_id) return { completion, delivery: null };
  // The trackers' URLs as the run started: loki.yaml in this tree is the agent's to write, and a
  // tracker URL of its choosing would receive the forge token with the push, the PR and the comments.
  const config = loadConfig(ws.root, env).config;
  const trackers = readJson(ws.orchestrator, OrchestratorState)?.settings?.trackers;
  const ctx: FetchContext = { config: trackers ? { ...config, trackers } : config, env };
  const issue = delivery.issue as IssueRef | null;
  const outcome = completion.outcome;
  let step: Step | null = null;
  let prUrl: string | null = null;
  if (delivery.pr && outcome === "verified") {
    try {
      const opened = await openPr(ws, delivery, completion, ctx, reporter);
      prUrl = opened.url;
      step = delivery.ship
        ? await ship(delivery, opened, ctx, reporter)
        : { result: "pr_opened", note: `verified; pull request ${opened.url}` };
    } catch (error) {
      step = { result: "delivery_failed", note: `verified, but delivery failed: ${messageOf(error)}` };
      reporter.warn(step.note);
    }
  } else if (delivery.pr) {
    reporter.notice(`no pull request: the run ended ${outcome}, not verified`);
  }
  const note = step?.note ?? (outcome === "verified" ? `verified — ${completion.reason}` : `stopped: ${outcome} — ${completion.reason}`);
  // A delivery that fell short says why in the summary; a successful one keeps the run's reason.
  const fellShort = step !== null && step.result !== "pr_opened" && step.result !== "merged";
  const saved = writeCompletion(ws, {
    ...completion,
    pr_url: prUrl,
    exit_code: runExitCode(outcome, step?.result ?? null),
    reason: fellShort ? note : completion.reason,
  });
  if (issue) await commentBack(issue, delivery, saved, note, ctx, reporter);
  if (env.LOKI_BACKGROUND === "1") await notifyDesktop(`loki: ${saved.outcome}`, `${issueLabel(issue) ?? delivery.branch}: ${note}`);
  return { completion: saved, delivery: step?.result ?? null };
}

async function openPr(ws: Workspace, delivery: Delivery, completion: Completion, ctx: FetchContext, reporter: Reporter) {
  // The user's own git (their credentials) as found at start, but no hook: .git/hooks was the agent's to write.
  const push = await run(
    [
      gitBinary(),
      "-c",
      "core.hooksPath=/dev/null",
      "push",
      "--no-verify",
      "--quiet",
      "origin",
      // The commit the run ended on and its proof names, not whatever HEAD is by now.
      `${completion.head_sha ?? "HEAD"}:refs/heads/${delivery.branch}`,
    ],
    {
      cwd: ws.root,
      timeoutMs: 300_000,
    },
  );
  if (!push.ok) throw new Error(`git push to origin was rejected: ${push.digest}`);
  reporter.notice(`pushed ${delivery.branch} to origin`);
  const proof = proofFacts(ws, completion.run_id);
  const body = pullRequestBody({
    title: delivery.title,
    completion,
    evidence: readJson(ws.evidence, Evidence) ?? null,
    council: councilOf(ws, completion.run_id).at(-1) ?? null,
    proof,
    issue: delivery.issue as IssueRef | null,
    files: proof?.files ?? (await readSubject(ws.root, completion.start_sha, { includeWorktree: false })).files.map((f) => f.path),
  });
  const pr = await upsertPullRequest(
    { repo: delivery.repo as RepoRef, head: delivery.branch, base: delivery.base, title: delivery.title, body },
    ctx,
  );
  reporter.notice(`${pr.created ? "opened" : "updated"} pull request ${pr.url}`);
  return { ...pr, headSha: pr.headSha ?? (await headSha(ws.root)) };
}

async function ship(
  delivery: Delivery,
  pr: { number: number; url: string; headSha: string | null },
  ctx: FetchContext,
  reporter: Reporter,
): Promise<Step> {
  const repo = delivery.repo as RepoRef;
  const sha = pr.headSha ?? "";
  const { checks_timeout_seconds: timeout, poll_seconds: poll, merge_method: method } = ctx.config.ship;
  const checks = await waitForChecks(
    repo,
    sha,
    {
      timeoutMs: timeout * 1000,
      pollMs: poll * 1000,
      onProgress: (s, elapsed) =>
        reporter.notice(
          `checks: ${s.state} (${s.total - s.pending.length}/${s.total} done${s.pending.length ? `, waiting for ${s.pending.slice(0, 3).join(", ")}` : ""}) after ${Math.round(elapsed / 1000)} s`,
        ),
    },
    ctx,
  );
  if (checks.state === "failure")
    return { result: "checks_failed", note: `not merged: checks failed (${checks.failing.join(", ")}) on ${pr.url}` };
  if (checks.state === "pending")
    return {
      result: "checks_pending",
      note: `not merged: checks still pending after ${timeout} s (${checks.pending.join(", ")}) on ${pr.url}`,
    };
  const merged = await mergePullRequest(repo, pr.number, method, sha, ctx);
  if (!merged.merged) return { result: "merge_refused", note: `not merged: ${merged.message} (${pr.url})` };
  reporter.notice(`merged ${pr.url} (${method})`);
  return { result: "merged", note: `verified, checks green${checks.total === 0 ? " (no CI configured)" : ""}, merged: ${pr.url}` };
}

async function commentBack(
  issue: IssueRef,
  delivery: Delivery,
  completion: Completion,
  note: string,
  ctx: FetchContext,
  reporter: Reporter,
): Promise<void> {
  const head = completion.outcome === "verified" ? "✅ loki verified this work" : `⚠️ loki stopped: ${completion.outcome}`;
  const body = [
    head,
    "",
    note,
    "",
    `Branch \`${delivery.branch}\` · ${completion.iterations} iterations · $${completion.cost.usd.toFixed(2)} (${completion.cost.basis}) · run \`${completion.run_id}\``,
    ...(completion.pr_url ? ["", `Pull request: ${completion.pr_url}`] : []),
  ].join("\n");
  try {
    await commentOnIssue({ ref: issue, body }, ctx);
  } catch (error) {
    reporter.warn(`could not comment on ${issueLabel(issue)}: ${messageOf(error)}`);
  }
}

/** The proof's headline, fingerprint and the run's changed files (the change as the run derived it). */
function proofFacts(ws: Workspace, runId: string): { headline: string; sha256: string; fingerprint: string; files: string[] } | null {
  try {
    const file = readJson(join(ws.proof(runId), "proof.json"), ProofFile);
    return file
      ? {
          headline: file.payload.headline.verdict,
          sha256: file.provenance.canonical_sha256,
          fingerprint: file.provenance.key_fingerprint,
          files: file.payload.change.files.map((f) => f.path),
        }
      : null;
  } catch {
    return null; // an unreadable proof is reported by `loki proof verify`, not by the PR
  }
}
