// `loki ci deliver DIR --issue owner/repo#n --key KEY`: the half of a CI delivery that may write. The
// artifact came from a job an agent worked in, so nothing in it is taken on its word: the proof must be
// CLEAN under the one key given, be for this issue's branch and start on the base branch, and only the
// commits it covers are pushed — loki/issue-<n> with a pull request when verified, loki/wip-<n> when a cap hit.
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { CI_FILES, CiManifest } from "../core/ci-schema.ts";
import { loadConfig } from "../core/config.ts";
import { messageOf, usageError, workspaceError } from "../core/errors.ts";
import { PROOF_EXIT, RUN_EXIT, type ExitCode } from "../core/exit-codes.ts";
import { git, repoRoot } from "../core/git.ts";
import { oneLine } from "../core/text.ts";
import { ProofFile } from "../core/proof-schema.ts";
import { ensureWorkspace, workspaceAt, writeFileAtomic } from "../core/workspace.ts";
import { commentOnIssue } from "../forge/comment.ts";
import { inspectRepo, repoFromIssue, upsertPullRequest } from "../forge/delivery.ts";
import { issueKey, type FetchContext, type IssueRef } from "../forge/types.ts";
import { readKeyInput } from "../proof/trust.ts";
import { verifyProof, type ProofStatus } from "../proof/verify.ts";
import type { Reporter } from "../run/execute.ts";
import { detectSpec } from "../spec/detect.ts";
import { probe } from "../spec/read.ts";
import { CAPPED, secretsIn } from "./ci-build.ts";
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

const MANIFEST_MAX = 64 * 1024;

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
  const proofFile = join(input.artifact, CI_FILES.proofDir, runId, "proof.json");
  if (!existsSync(proofFile)) throw workspaceError(`the artifact has no proof for run ${runId} (${proofFile})`);
  mkdirSync(ws.proof(runId), { recursive: true });
  writeFileAtomic(join(ws.proof(runId), "proof.json"), readFileSync(proofFile, "utf8"), 0o644);
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

  // The commits, on the branch the proof must name; then the proof, under the one key given.
  const misplaced = await placeCommits(root, input.artifact, manifest, branch);
  if (misplaced) return refuse("tampered", null, misplaced);
  const checked = await verifyProof(ws, runId, { key });
  const signer = checked.signer.fingerprint;
  const failed = checked.checks.filter((c) => !c.ok);
  // Commits the build kept back (a secret, an outcome that is not delivered) cannot be re-derived here:
  // the proof's hash, signature and signer must still hold, and nothing is pushed.
  const packed = !(manifest.bundle === null && checked.status === "unusable" && failed.every((c) => c.name === "commits"));
  if (checked.status !== "clean" && packed)
    return refuse(
      checked.status,
      signer,
      `its proof is ${checked.status.replaceAll("_", " ")} (${failed.map((c) => `${c.name}: ${c.detail}`).join("; ")})`,
    );
  if (signer !== key.fingerprint)
    return refuse("untrusted_signer", signer, `its proof is signed by ${signer}, not by the CI key ${key.fingerprint}`);
  const proof = ProofFile.parse(JSON.parse(readFileSync(join(ws.proof(runId), "proof.json"), "utf8")));
  const p = proof.payload;
  if (p.run.sandboxed === false)
    return refuse("clean", signer, "its agents ran without loki's sandbox, where they could reach the signing key");
  if (p.change.branch !== branch) return refuse("tampered", signer, `its proof is for branch ${p.change.branch}, not ${branch}`);
  const source = p.spec.source.kind === "issue" ? issueFromRef(p.spec.source.ref) : null;
  if (!source || issueKey(source) !== issueKey(issue))
    return refuse("tampered", signer, `its proof is for ${p.spec.source.kind} ${p.spec.source.ref}, not ${issueKey(issue)}`);
  const repo = repoFromIssue(issue);
  if (!repo) throw usageError(`${issueKey(issue)}: only GitHub and GitLab issues are delivered from CI`);
  const defaultBranch = (await inspectRepo(repo, ctx)).defaultBranch;
  const onBase = await git(["merge-base", "--is-ancestor", p.change.start_sha, `refs/remotes/origin/${defaultBranch}`], { cwd: root });
  if (!onBase.ok)
    return refuse("clean", signer, `the run started at ${p.change.start_sha.slice(0, 12)}, which is not on origin/${defaultBranch}`);

  const outcome = p.run.outcome;
  const done = { ...base, outcome, proof: { status: checked.status, signer } };
  const where = `The signed proof is in the workflow run's \`loki-run\` artifact; re-check it with \`loki ci deliver\`, or copy \`proof/${runId}/\` to \`.loki/proofs/\` in a clone with this branch and run \`loki proof verify ${runId} --key <the CI key>\`.`;
  if (outcome === "verified" && !packed) return refuse(checked.status, signer, "a verified run's artifact carries no commits");
  if (outcome === "verified") {
    await push(root, p.change.head_sha, branch);
    const body = pullRequestBody(proofPrFacts(proof, issue, where));
    const pr = await upsertPullRequest({ repo, head: branch, base: defaultBranch, title: p.spec.title, body }, ctx);
    input.reporter.notice(`${pr.created ? "opened" : "updated"} pull request ${pr.url}`);
    const text = `✅ loki verified this work: pull request ${pr.url}\n\nBranch \`${branch}\` · ${p.run.iterations} iterations · $${p.bill.total_usd.toFixed(2)} (${p.bill.basis}) · run \`${runId}\` · proof key \`${signer}\``;
    const comment = await comment_(issue, text, ctx, input.reporter);
    return {
      ...done,
      ok: true,
      action: pr.created ? "pr_opened" : "pr_updated",
      branch,
      pr_url: pr.url,
      comment_url: comment,
      reason: p.run.reason,
      exit_code: RUN_EXIT.verified,
    };
  }
  const head = `⚠️ loki stopped: ${outcome} — ${p.run.reason}`;
  const cost = `${p.run.iterations} iterations · $${p.bill.total_usd.toFixed(2)} (${p.bill.basis}) · run \`${runId}\``;
  if (packed && CAPPED.has(outcome) && p.change.head_sha !== p.change.start_sha) {
    const secret = await secretsIn(root, p.change.start_sha, p.change.head_sha);
    if (secret) return refuse("clean", signer, `the work so far was not pushed: ${secret}`);
    const wip = `loki/wip-${n}`;
    await push(root, p.change.head_sha, wip);
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
  const why = !packed
    ? `the build job kept its commits back (${oneLine(manifest.no_bundle_reason ?? "no reason given").slice(0, 300)})`
    : p.change.head_sha === p.change.start_sha
      ? "the run made no commits"
      : `a run that ended ${outcome} is not delivered`;
  const comment = await comment_(issue, `${head}\n\nNothing was pushed: ${why}.\n\n${cost}`, ctx, input.reporter);
  return { ...done, ok: false, action: "none", comment_url: comment, reason: p.run.reason, exit_code: RUN_EXIT[outcome] };
}

function issueOf(text: string): IssueRef & { number: number } {
  const ref = issueFromRef(text);
  if (!ref || !("number" in ref)) throw usageError(`"${text}" is not a GitHub or GitLab issue`, { hint: "give it as owner/repo#N" });
  return ref;
}

function issueFromRef(text: string): (IssueRef & { number: number }) | null {
  try {
    const target = detectSpec(text, {}, "/", probe);
    return target.kind === "issue" && "number" in target.ref ? target.ref : null;
  } catch {
    return null;
  }
}

function readManifest(dir: string): CiManifest {
  const path = join(dir, CI_FILES.manifest);
  if (!existsSync(path))
    throw usageError(`${dir} is not a whole loki CI artifact: ${CI_FILES.manifest} is missing`, {
      hint: "point at the directory `loki ci build --out` wrote (the build may have stopped before packing)",
    });
  if (statSync(path).size > MANIFEST_MAX) throw workspaceError(`${path} is larger than any manifest loki writes`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw workspaceError(`${path} is not JSON (${messageOf(error)})`);
  }
  const parsed = CiManifest.safeParse(raw);
  if (!parsed.success)
    throw workspaceError(`${path} is not a loki CI manifest: ${parsed.error.issues[0]?.path.join(".")} ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** The artifact's commits as refs/heads/<branch> here (a run without commits: its start commit); or why they are not this issue's. */
async function placeCommits(root: string, artifact: string, manifest: CiManifest, branch: string): Promise<string | null> {
  const bundle = manifest.bundle === null ? null : join(artifact, CI_FILES.bundle);
  if (bundle) {
    if (!existsSync(bundle)) throw workspaceError(`the artifact names ${CI_FILES.bundle} but has none`);
    const heads = await git(["bundle", "list-heads", bundle], { cwd: root });
    if (!heads.ok) throw workspaceError(`${bundle} is not a git bundle: ${heads.digest}`);
    const names = heads.stdout
      .split("\n")
      .map((line) => line.split(" ")[1] ?? "")
      .filter(Boolean);
    if (!names.includes(`refs/heads/${branch}`)) return `the artifact holds commits for ${names.join(", ") || "no branch"}, not ${branch}`;
    const fetched = await git(
      ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", bundle, `+refs/heads/${branch}:refs/heads/${branch}`],
      {
        cwd: root,
        timeoutMs: 300_000,
      },
    );
    if (!fetched.ok)
      throw workspaceError(`cannot take the commits from ${bundle}: ${fetched.digest}`, { hint: "check out with fetch-depth: 0" });
    return null;
  }
  // No commits travelled: the branch is placed only when the head is here (a run that made none).
  if ((await git(["cat-file", "-e", `${manifest.head_sha}^{commit}`], { cwd: root })).ok) {
    const at = await git(["update-ref", `refs/heads/${branch}`, manifest.head_sha], { cwd: root });
    if (!at.ok) throw workspaceError(`cannot place ${branch} at ${manifest.head_sha.slice(0, 12)}: ${at.stderr.trim()}`);
  }
  return null;
}

async function push(root: string, sha: string, branch: string): Promise<void> {
  // loki/issue-<n> and loki/wip-<n> are loki's: a new run replaces what an earlier one pushed there.
  const pushed = await git(["push", "--quiet", "--force", "origin", `${sha}:refs/heads/${branch}`], { cwd: root, timeoutMs: 300_000 });
  if (!pushed.ok) throw workspaceError(`git push of ${branch} to origin was rejected: ${pushed.digest}`);
}

async function comment_(issue: IssueRef, body: string, ctx: FetchContext, reporter: Reporter): Promise<string | null> {
  try {
    return await commentOnIssue({ ref: issue, body }, ctx);
  } catch (error) {
    reporter.warn(`could not comment on ${issueKey(issue)}: ${messageOf(error)}`);
    return null;
  }
}
