// `loki ci deliver DIR --issue owner/repo#n --key KEY`: the half of a CI delivery that may write. The
// artifact came from a job an agent worked in, so nothing in it is taken on its word: the proof must be
// CLEAN under the one key given, be for this issue's branch and start on the base branch, and only the
// commits it covers are pushed — loki/issue-<n> with a pull request when verified, loki/wip-<n> when a cap hit.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../core/config.ts";
import { messageOf, usageError } from "../core/errors.ts";
import { DELIVERY_EXIT, PROOF_EXIT, RUN_EXIT, type ExitCode } from "../core/exit-codes.ts";
import { git, repoRoot } from "../core/git.ts";
import { oneLine } from "../core/text.ts";
import { ProofFile } from "../core/proof-schema.ts";
import { ensureWorkspace, workspaceAt } from "../core/workspace.ts";
import { commentOnIssue } from "../forge/comment.ts";
import { inspectRepo, repoFromIssue, upsertPullRequest } from "../forge/delivery.ts";
import { issueKey, type FetchContext, type IssueRef } from "../forge/types.ts";
import { readKeyInput } from "../proof/trust.ts";
import { changeChecks, verifyProof, type ProofStatus } from "../proof/verify.ts";
import type { Reporter } from "../run/execute.ts";
import { CAPPED, secretsIn } from "./ci-build.ts";
import { atCommit, copyProof, issueFromRef, issueOf, placeCommit, readManifest, sameKey } from "./ci-artifact.ts";
import { proofPrFacts, pullRequestBody } from "./pr-body.ts";

export type CiAction = "pr_opened" | "pr_updated" | "wip_pushed" | "none";
export type CiDelivered = {
  ok: boolean;
  run_id: string;
  issue: string;
  outcome: string | null;
  proof: { status: ProofStatus; signer: string | null };
  action: CiAction;
  branch: string | null;
  pr_url: string | null;
  comment_url: string | null;
  reason: string;
  exit_code: ExitCode;
};

export type CiDeliverInput = { artifact: string; issue: string; key: string; cwd: string; env: NodeJS.ProcessEnv; reporter: Reporter };

export async function ciDeliver(input: CiDeliverInput): Promise<CiDelivered> {
  const root = await repoRoot(input.cwd);
  const issue = issueOf(input.issue);
  const key = readKeyInput(input.key);
  if (!key.key)
    throw usageError("--key must be the CI key's whole public key (PEM or a .pub file), not a fingerprint", {
      hint: "the workflow `loki ci install` wrote passes it as LOKI_CI_KEY",
    });
  const manifest = readManifest(input.artifact);
  const runId = manifest.run_id;
  const n = issue.number;
  const branch = `loki/issue-${n}`;
  const ctx: FetchContext = { config: loadConfig(root, input.env).config, env: input.env };
  const ws = workspaceAt(root);
  ensureWorkspace(ws);
  copyProof(input.artifact, runId, ws.proof(runId));
  const base: Omit<CiDelivered, "ok" | "action" | "reason" | "exit_code" | "proof"> = {
    run_id: runId,
    issue: issueKey(issue),
    outcome: null,
    branch: null,
    pr_url: null,
    comment_url: null,
  };
  const refuse = async (status: ProofStatus, signer: string | null, why: string): Promise<CiDelivered> => {
    input.reporter.warn(`nothing pushed: ${why}`);
    const comment = await comment_(issue, `⛔ loki did not deliver run \`${runId}\`: ${why}. Nothing was pushed.`, ctx, input.reporter);
    const code = status === "clean" ? PROOF_EXIT.tampered : PROOF_EXIT[status];
    return { ...base, ok: false, proof: { status, signer }, action: "none", reason: why, comment_url: comment, exit_code: code };
  };

  // The one commit the artifact carries for this issue's branch, then the proof under the one key given.
  const placed = await placeCommit(root, input.artifact, manifest, branch);
  if (typeof placed === "string") return refuse("tampered", null, placed);
  const commit = placed.commit;
  const checked = await verifyProof(ws, runId, { key });
  const signer = checked.signer.fingerprint;
  // The run's own commits stay in the build job (only the one carrying its tree travels), and what is
  // pushed is that commit, not a branch: a missing head or branch is no failure here — the change is
  // checked against the commit below. Everything else (hash, signature, signer, schema) must hold.
  const failed = checked.checks.filter((c) => !c.ok && c.name !== "commits" && c.name !== "branch");
  if (failed.length > 0)
    return refuse(
      checked.status,
      signer,
      `its proof is ${checked.status.replaceAll("_", " ")} (${failed.map((c) => `${c.name}: ${c.detail}`).join("; ")})`,
    );
  const proof = ProofFile.parse(JSON.parse(readFileSync(join(ws.proof(runId), "proof.json"), "utf8")));
  // The CI key itself, matched on the whole key: not this machine's key, not one on its trust list.
  if (signer !== key.fingerprint || !sameKey(proof.provenance.public_key, key.key.publicPem))
    return refuse("untrusted_signer", signer, `its proof is signed by ${signer}, not by the CI key ${key.fingerprint}`);
  const p = proof.payload;
  if (p.run.sandboxed === false)
    return refuse("clean", signer, "its agents ran without loki's sandbox, where they could reach the signing key");
  if (p.change.branch !== branch) return refuse("tampered", signer, `its proof is for branch ${p.change.branch}, not ${branch}`);
  const source = p.spec.source.kind === "issue" ? issueFromRef(p.spec.source.ref) : null;
  if (!source || source.tracker !== issue.tracker || issueKey(source) !== issueKey(issue))
    return refuse("tampered", signer, `its proof is for ${p.spec.source.kind} ${p.spec.source.ref}, not ${issueKey(issue)}`);
  const repo = repoFromIssue(issue);
  if (!repo) throw usageError(`${issueKey(issue)}: only GitHub and GitLab issues are delivered from CI`);
  const defaultBranch = (await inspectRepo(repo, ctx)).defaultBranch;
  const start = p.change.start_sha;
  const onBase = await git(["merge-base", "--is-ancestor", start, `refs/remotes/origin/${defaultBranch}`], { cwd: root });
  if (!onBase.ok) return refuse("clean", signer, `the run started at ${start.slice(0, 12)}, which is not on origin/${defaultBranch}`);
  if (commit) {
    const parents = (await git(["rev-list", "--parents", "-n", "1", commit], { cwd: root })).stdout.trim().split(" ").slice(1);
    if (parents.length !== 1 || parents[0] !== start)
      return refuse(
        "tampered",
        signer,
        `the artifact's commit ${commit.slice(0, 12)} is not one commit on the run's start ${start.slice(0, 12)}`,
      );
    const change = (await atCommit(root, commit, (tree) => changeChecks(tree, p.change, commit))).filter((c) => !c.ok);
    if (change.length > 0)
      return refuse(
        "tampered",
        signer,
        `the artifact's commit is not the change the proof signs (${change.map((c) => c.detail).join("; ")})`,
      );
  }

  const outcome = p.run.outcome;
  const done = { ...base, outcome, proof: { status: "clean" as const, signer } };
  const pushFailed = async (to: string, error: string): Promise<CiDelivered> => {
    const why = `the push of ${to} was rejected (${oneLine(error).slice(0, 300)})`;
    const comment = await comment_(
      issue,
      `⚠️ loki ${outcome} run \`${runId}\`, but ${why}. A token of the workflow cannot push changes to .github/workflows/.`,
      ctx,
      input.reporter,
    );
    return { ...done, ok: false, action: "none", comment_url: comment, reason: why, exit_code: DELIVERY_EXIT.delivery_failed };
  };
  const where = `This branch holds the run as one commit whose tree is the run's head ${p.change.head_sha.slice(0, 12)}; the signed proof is in the workflow run's \`loki-run\` artifact (\`loki ci deliver\` re-checks it).`;
  if (outcome === "verified" && !commit) return refuse("clean", signer, "a verified run's artifact carries no commit");
  if (outcome === "verified" && commit) {
    const pushed = await push(root, commit, branch);
    if (pushed) return pushFailed(branch, pushed);
    const body = pullRequestBody(proofPrFacts(proof, issue, where));
    let pr: Awaited<ReturnType<typeof upsertPullRequest>>;
    try {
      pr = await upsertPullRequest({ repo, head: branch, base: defaultBranch, title: p.spec.title, body }, ctx);
    } catch (error) {
      const why = `pushed ${branch}, but the pull request could not be opened: ${oneLine(messageOf(error)).slice(0, 300)}`;
      const hint = "On GitHub: Settings → Actions → General → allow GitHub Actions to create pull requests.";
      const comment = await comment_(issue, `⚠️ loki verified run \`${runId}\` and ${why}. ${hint}`, ctx, input.reporter);
      return { ...done, ok: false, action: "none", branch, comment_url: comment, reason: why, exit_code: DELIVERY_EXIT.delivery_failed };
    }
    input.reporter.notice(`${pr.created ? "opened" : "updated"} pull request ${pr.url}`);
    const text = `✅ loki verified this work: pull request ${pr.url}\n\nBranch \`${branch}\` · ${p.run.iterations} iterations · $${p.bill.total_usd.toFixed(2)} (${p.bill.basis}) · run \`${runId}\` · proof key \`${signer}\``;
    const comment = await comment_(issue, text, ctx, input.reporter);
    const action = pr.created ? "pr_opened" : "pr_updated";
    return { ...done, ok: true, action, branch, pr_url: pr.url, comment_url: comment, reason: p.run.reason, exit_code: RUN_EXIT.verified };
  }
  const head = `⚠️ loki stopped: ${outcome} — ${p.run.reason}`;
  const cost = `${p.run.iterations} iterations · $${p.bill.total_usd.toFixed(2)} (${p.bill.basis}) · run \`${runId}\``;
  if (commit && CAPPED.has(outcome)) {
    const secret = await secretsIn(root, start, commit);
    if (secret) return refuse("clean", signer, `the work so far was not pushed: ${secret}`);
    const wip = `loki/wip-${n}`;
    const pushed = await push(root, commit, wip);
    if (pushed) return pushFailed(wip, pushed);
    const text = `${head}\n\nNothing finished is lost: the work so far (${p.change.diffstat.files} files, +${p.change.diffstat.insertions} −${p.change.diffstat.deletions}) is on branch \`${wip}\`. It is not verified; no pull request was opened.\n\n${cost}`;
    const comment = await comment_(issue, text, ctx, input.reporter);
    return {
      ...done,
      ok: false,
      action: "wip_pushed",
      branch: wip,
      comment_url: comment,
      reason: p.run.reason,
      exit_code: RUN_EXIT[outcome],
    };
  }
  const why =
    p.change.head_sha === start
      ? "the run made no commits"
      : !commit
        ? `the build job kept its commits back (${oneLine(manifest.no_bundle_reason ?? "no reason given").slice(0, 300)})`
        : `a run that ended ${outcome} is not delivered`;
  const comment = await comment_(issue, `${head}\n\nNothing was pushed: ${why}.\n\n${cost}`, ctx, input.reporter);
  return { ...done, ok: false, action: "none", comment_url: comment, reason: p.run.reason, exit_code: RUN_EXIT[outcome] };
}

/** Pushes `sha` to `branch` on origin; the error when the push was refused. */
async function push(root: string, sha: string, branch: string): Promise<string | null> {
  // loki/issue-<n> and loki/wip-<n> are loki's: a new run replaces what an earlier one pushed there.
  const pushed = await git(["push", "--quiet", "--force", "origin", `${sha}:refs/heads/${branch}`], { cwd: root, timeoutMs: 300_000 });
  return pushed.ok ? null : pushed.digest;
}

async function comment_(issue: IssueRef, body: string, ctx: FetchContext, reporter: Reporter): Promise<string | null> {
  try {
    return await commentOnIssue({ ref: issue, body }, ctx);
  } catch (error) {
    reporter.warn(`could not comment on ${issueKey(issue)}: ${messageOf(error)}`);
    return null;
  }
}
