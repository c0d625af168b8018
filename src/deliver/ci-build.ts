// `loki ci build <owner/repo#n> --out DIR`: the read-only half of a CI delivery. Reads the issue with the
// job's token, drops every forge token before any agent starts, runs the issue in a worktree (sandboxed,
// capped) and packs the artifact: the signed proof, redacted evidence, and the change as one commit in a git bundle.
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { CI_BUNDLE_REF, CI_FILES, CI_MANIFEST_VERSION, CiManifest } from "../core/ci-schema.ts";
import { loadConfig } from "../core/config.ts";
import { LokiError, usageError, workspaceError } from "../core/errors.ts";
import { RUN_EXIT } from "../core/exit-codes.ts";
import { git, repoRoot, squashOnto } from "../core/git.ts";
import { ProofFile } from "../core/proof-schema.ts";
import type { Completion } from "../core/run-schema.ts";
import { scanLines } from "../core/secrets/detect.ts";
import { readJson, userHome, workspaceAt, writeFileAtomic, writeJson } from "../core/workspace.ts";
import { readSubject } from "../gates/diff.ts";
import { holdCiKey } from "../proof/ci-key.ts";
import { redactText } from "../proof/redact.ts";
import type { Reporter } from "../run/execute.ts";
import type { RunFlags } from "../core/run-start-schema.ts";
import { parseIssueArg } from "../spec/detect.ts";
import { readSpec } from "../spec/read.ts";
import { fetchIssue } from "../forge/issue.ts";
import type { FetchContext, IssueRef } from "../forge/types.ts";
import { prepareDelegated } from "./delegate.ts";
import { branchFor, worktreeDir } from "./worktree.ts";

/** Tokens that let a process write to a forge or tracker: read for the issue, then gone before any agent runs. */
export const FORGE_TOKENS = [
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "GITLAB_TOKEN",
  "CI_JOB_TOKEN",
  "JIRA_API_TOKEN",
  "JIRA_TOKEN",
  "AZURE_DEVOPS_TOKEN",
  "SYSTEM_ACCESSTOKEN",
] as const;

/** Outcomes whose commits travel in the artifact: verified work, and work a cap stopped (a WIP branch). */
export const CAPPED = new Set(["budget_exceeded", "max_duration", "max_iterations", "interrupted", "stalled", "stopped"]);

export type CiBuildInput = {
  issue: string;
  out: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  flags: RunFlags;
  reporter: Reporter;
  lokiVersion: string;
  /** The CI key's private half (PKCS#8 PEM) in a file, removed once read. */
  signingKey?: string;
};

export type CiBuilt = CiManifest & { artifact: string };

export async function ciBuild(input: CiBuildInput): Promise<CiBuilt> {
  const root = await repoRoot(input.cwd);
  const out = resolve(input.cwd, input.out);
  checkOut(out, root);
  const target = parseIssueArg(input.issue.trim());
  if (target?.kind !== "issue")
    throw usageError(`"${input.issue}" is not an issue reference`, { hint: "give it as owner/repo#N (or an issue URL)" });
  // The signing key first: read into memory and its file removed, before anything of the run starts.
  if (input.signingKey) input.reporter.notice(`signing with the CI key ${holdCiKey(input.signingKey).fingerprint}`);
  else input.reporter.warn("no --signing-key: this proof is signed by this machine's key, which the deliver job does not trust");
  // The project's commands are confined as on a CI machine (sandbox/confine.ts: no container engine socket).
  input.env.LOKI_CI_BUILD = "1";
  // Always in the sandbox, whatever loki.yaml says: outside it the agent could read the signing key.
  const flags: RunFlags = { ...input.flags, sandbox: true };
  const config = loadConfig(root, input.env, flags).config;
  const spec = await readSpec(input.issue, { cwd: input.cwd, config, env: input.env, explicit: {} });
  await sameAsLabelled(target.ref, { config, env: input.env });
  for (const name of FORGE_TOKENS) delete input.env[name];
  // A CI run starts from the checkout: a branch or worktree left by an earlier job (a self-hosted runner
  // keeps them) would start it from that job's head instead.
  await dropEarlierAttempt(root, branchFor(target.ref, "ci"), input.reporter);
  const prepared = await prepareDelegated({
    arg: input.issue,
    explicit: {},
    cwd: input.cwd,
    env: input.env,
    flags,
    reporter: input.reporter,
    pr: false,
    ship: false,
    spec,
  });
  const completion = await prepared.execute();
  return await pack(prepared.ws.root, completion, { out, issue: input.issue, lokiVersion: input.lokiVersion });
}

/**
 * What a maintainer labelled is what is built: the workflow passes the issue's title and body as the
 * `issues` event saw them (LOKI_ISSUE_EVENT=issues, LOKI_ISSUE_TITLE, LOKI_ISSUE_BODY); an issue edited
 * since is refused before any agent spend. Other triggers (a run started by hand) pass none.
 */
async function sameAsLabelled(ref: IssueRef, ctx: FetchContext): Promise<void> {
  const env = ctx.env;
  const labelled = env.LOKI_ISSUE_EVENT === "issues" ? { title: env.LOKI_ISSUE_TITLE ?? "", body: env.LOKI_ISSUE_BODY ?? "" } : null;
  for (const name of ["LOKI_ISSUE_EVENT", "LOKI_ISSUE_TITLE", "LOKI_ISSUE_BODY"]) delete env[name];
  if (!labelled) return;
  const now = await fetchIssue(ref, ctx);
  const same = (a: string, b: string) => a.replace(/\r\n/g, "\n").trim() === b.replace(/\r\n/g, "\n").trim();
  if (!same(now.title, labelled.title) || !same(now.body, labelled.body))
    throw new LokiError("tracker", `${now.key} was edited after it was labelled: loki builds only the text a maintainer labelled`, {
      hint: "read the new text, then remove the label and add it again",
    });
}

async function dropEarlierAttempt(root: string, branch: string, reporter: Reporter): Promise<void> {
  const dir = worktreeDir(root, branch);
  if (existsSync(dir)) {
    await git(["worktree", "remove", "--force", dir], { cwd: root, timeoutMs: 120_000 });
    reporter.notice(`removed the worktree of an earlier attempt at ${dir}`);
  }
  await git(["worktree", "prune"], { cwd: root, timeoutMs: 60_000 });
  if ((await git(["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`], { cwd: root })).ok) {
    await mustRun(["branch", "-D", branch], root);
    reporter.notice(`deleted the branch ${branch} an earlier attempt left`);
  }
}

/** The artifact directory: new or empty, and not loki's own (.loki/ is where the run's state lives). */
function checkOut(out: string, root: string): void {
  const inside = relative(join(root, ".loki"), out);
  if (out === root || inside === "" || (!inside.startsWith("..") && !isAbsolute(inside)))
    throw usageError(`--out ${out} is the repository or inside its .loki/`, {
      hint: 'give a directory of its own, e.g. --out "$RUNNER_TEMP/loki-run"',
    });
  if (existsSync(out) && readdirSync(out).length > 0)
    throw usageError(`--out ${out} is not empty`, { hint: "give a new directory: an artifact holds one run" });
}

type PackOptions = { out: string; issue: string; lokiVersion: string };

async function pack(worktree: string, completion: Completion, options: PackOptions): Promise<CiBuilt> {
  const ws = workspaceAt(worktree);
  const runId = completion.run_id;
  const proofDir = ws.proof(runId);
  const proof = readJson(join(proofDir, "proof.json"), ProofFile);
  if (!proof) throw workspaceError(`run ${runId} ended ${completion.outcome} but left no proof in ${proofDir}`);
  const { start_sha: start, head_sha: head, branch } = proof.payload.change;
  if (!branch) throw workspaceError(`run ${runId} ran on no branch: a CI run works in its worktree's branch`);
  // Checked again now that the run is over: anything that appeared there meanwhile (a link to a key,
  // say, that an upload would follow) is not loki's, and the artifact is not packed over it.
  if (existsSync(options.out) && (!lstatSync(options.out).isDirectory() || readdirSync(options.out).length > 0))
    throw workspaceError(`--out ${options.out} was changed during the run: loki packs only into an empty directory of its own`);
  mkdirSync(options.out, { recursive: true, mode: 0o700 });
  mkdirSync(join(options.out, CI_FILES.evidenceDir));
  copyFiles(proofDir, join(options.out, CI_FILES.proofDir, runId));
  for (const file of [ws.completion, ws.evidence, ws.completionText, ws.heldoutResult]) {
    if (!existsSync(file)) continue;
    const text = redactText(readFileSync(file, "utf8"), { home: userHome() }).text;
    writeFileAtomic(join(options.out, CI_FILES.evidenceDir, file.split("/").pop() ?? "file"), text, 0o644);
  }
  const outcome = proof.payload.run.outcome;
  let noBundle: string | null = null;
  if (head === start) noBundle = "the run made no commits";
  else if (outcome !== "verified" && !CAPPED.has(outcome)) noBundle = `the run ended ${outcome}: its commits are not delivered`;
  // Verified work passed the secrets gate (its allow markers and .lokiignore honoured); capped work
  // may never have been graded, so it travels only without a secret in its added lines.
  else if (outcome !== "verified") noBundle = await secretsIn(worktree, start, head);
  let commit: string | null = null;
  if (noBundle === null) {
    // The run as one commit on its start, with its head's tree: no checkpoint, message or other history
    // the agent made travels (a secret committed then removed, a grafted unrelated history).
    commit = await squashOnto(
      worktree,
      head,
      start,
      `${proof.payload.spec.title}\n\nloki run ${runId}; proof sha256 ${proof.provenance.canonical_sha256}`,
    );
    const ref = `${CI_BUNDLE_REF}${branch}`;
    await mustRun(["update-ref", ref, commit], worktree);
    await mustRun(["bundle", "create", "--quiet", join(options.out, CI_FILES.bundle), ref, `^${start}`], worktree);
    await mustRun(["update-ref", "-d", ref], worktree);
    await mustRun(
      ["diff", "--no-ext-diff", "--no-textconv", "--binary", `--output=${join(options.out, CI_FILES.patch)}`, start, commit],
      worktree,
    );
  }
  // Last: an artifact without its manifest is a torn one, and `loki ci deliver` refuses it.
  const manifest = writeJson(join(options.out, CI_FILES.manifest), CiManifest, {
    schema_version: CI_MANIFEST_VERSION,
    loki_version: options.lokiVersion,
    run_id: runId,
    issue: options.issue,
    branch,
    outcome,
    exit_code: RUN_EXIT[outcome],
    start_sha: start,
    head_sha: head,
    commit,
    cost_usd: proof.payload.bill.total_usd,
    proof: { fingerprint: proof.provenance.key_fingerprint, sha256: proof.provenance.canonical_sha256 },
    bundle: noBundle === null ? CI_FILES.bundle : null,
    no_bundle_reason: noBundle,
  });
  return { ...manifest, artifact: options.out };
}

/** Why the change may not travel (a secret in its added lines), or null. Stricter than the gate: no allow markers. */
export async function secretsIn(root: string, start: string, head: string): Promise<string | null> {
  const subject = await readSubject(root, start, { includeWorktree: false, head });
  const hits = subject.files.flatMap((f) => scanLines(f.added.lines()).map((h) => `${f.path}:${h.line} (${h.rule.id})`));
  if (hits.length === 0) return null;
  // Paths can hold a secret too: the reason is posted on the issue.
  const where = redactText(hits.slice(0, 3).join(", "), { home: userHome() }).text;
  return `the change adds ${hits.length} secret${hits.length === 1 ? "" : "s"}: ${where}`;
}

function copyFiles(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const path = join(from, name);
    if (lstatSync(path).isFile()) copyFileSync(path, join(to, name));
  }
}

async function mustRun(argv: string[], cwd: string): Promise<string> {
  const result = await git(argv, { cwd, timeoutMs: 300_000 });
  if (!result.ok) throw workspaceError(`git ${argv.slice(0, 2).join(" ")} failed: ${result.digest}`);
  return result.stdout;
}
