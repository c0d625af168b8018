// `loki ci install | build | deliver`: run delegated issues on GitHub Actions (or any job runner through
// the --json contract in docs/scale-out.md). install writes the workflow and the CI signing key; build and
// deliver are its two jobs. Thin: the work is in src/deliver/ci-*.ts.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { loadConfig, parseDuration } from "../core/config.ts";
import { usageError } from "../core/errors.ts";
import { COMMAND_EXIT, RUN_EXIT, type ExitCode } from "../core/exit-codes.ts";
import { remoteUrl, repoRoot } from "../core/git.ts";
import { color, hintLine, out, outJson } from "../core/log.ts";
import type { ProviderId } from "../core/provider-ids.ts";
import { lokiHomeAt, writeFileAtomic } from "../core/workspace.ts";
import { ciBuild } from "../deliver/ci-build.ts";
import { ciDeliver } from "../deliver/ci-deliver.ts";
import { checkWorkflowSettings, renderWorkflow, WORKFLOW_MARK, WORKFLOW_PATH, workflowKey } from "../deliver/ci-workflow.ts";
import { repoFromRemote } from "../forge/delivery.ts";
import { ciKeyFrom, newCiKey } from "../proof/ci-key.ts";
import { readKeyInput } from "../proof/trust.ts";
import { loadProvider } from "../providers/registry.ts";
import { createReporter } from "../run/reporter.ts";
import { flagsOf, type RunOptions } from "./run.ts";

export type CiInstallOptions = {
  provider?: ProviderId;
  label?: string;
  budget?: number;
  maxDuration?: string;
  runner?: string;
  newKey?: boolean;
  force?: boolean;
  json?: boolean;
};

export async function runCiInstall(options: CiInstallOptions): Promise<ExitCode> {
  const root = await repoRoot(process.cwd());
  const config = loadConfig(root, process.env).config;
  const providerId = options.provider ?? config.provider;
  const provider = await loadProvider(providerId);
  const packages = provider.install.startsWith("npm install -g ") ? provider.install.slice("npm install -g ".length).split(/\s+/) : [];
  const secret = provider.auth.env[0];
  if (packages.length === 0 || !secret)
    throw usageError(`${providerId} does not install from npm (${provider.install}), so the workflow cannot set it up`, {
      hint: "use --provider claude or --provider codex",
    });
  const minutes = Math.ceil(parseDuration(options.maxDuration ?? "45m") / 60);
  const path = join(root, WORKFLOW_PATH);
  const existing = existsSync(path) ? readFileSync(path, "utf8") : null;
  if (existing !== null && !existing.startsWith(WORKFLOW_MARK) && !options.force)
    throw usageError(`${WORKFLOW_PATH} exists and loki did not write it`, {
      hint: "rename it (a `loki verify` workflow can be loki-verify.yml), or pass --force to replace it",
    });
  const origin = await remoteUrl(root);
  const repo = origin ? repoFromRemote(origin, config) : null;
  const slug = repo?.forge === "github" ? `${repo.owner}/${repo.repo}` : null;
  const key = ciKey(existing, slug ?? relative(dirname(root), root), options.newKey === true);
  const settings = {
    lokiVersion: pkg.version,
    provider: providerId,
    providerPackages: packages,
    providerSecret: secret,
    label: options.label ?? "loki",
    budgetUsd: options.budget ?? 5,
    maxDurationMinutes: minutes,
    runner: options.runner ?? "ubuntu-latest",
    publicKeyPem: key.publicPem,
  };
  const problem = checkWorkflowSettings(settings);
  if (problem) throw usageError(problem, { hint: "see `loki ci install --help`" });
  const yaml = renderWorkflow(settings);
  key.save();
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, yaml, 0o644);
  const on = slug ? ` --repo ${slug}` : "";
  const steps = [
    ...(key.file
      ? [`gh secret set LOKI_SIGNING_KEY${on} < ${key.file}   (the CI signing key; keep the file or delete it once set)`]
      : ["LOKI_SIGNING_KEY: already set for the key in the workflow (rotate with --new-key)"]),
    `gh secret set ${secret}${on}   (the ${providerId} API key)`,
    `gh label create ${JSON.stringify(options.label ?? "loki")}${on} --description "loki builds this issue"`,
    "Settings → Actions → General → Workflow permissions: allow GitHub Actions to create and approve pull requests",
    `git add ${WORKFLOW_PATH} && git commit -m "Run labelled issues with loki" && git push   (to the default branch)`,
  ];
  const notes = [
    "Only people with write access start a run; protect the default branch (require reviews): loki pushes only loki/issue-<n> and loki/wip-<n>.",
    "Pushes made with the workflow's token start no other workflows: to run your CI on loki's pull requests, have a maintainer re-run it or use a GitHub App token.",
  ];
  if (options.json) {
    outJson({
      path,
      created: existing === null,
      repo: slug,
      key: { fingerprint: key.fingerprint, public_key: key.publicPem, private_key_file: key.file },
      secrets: ["LOKI_SIGNING_KEY", secret],
      label: options.label ?? "loki",
      steps,
      notes,
    });
    return COMMAND_EXIT.ok;
  }
  out(
    `${existing === null ? "wrote" : "rewrote"} ${WORKFLOW_PATH} (${providerId}, $${options.budget ?? 5} and ${minutes} min per run, CI key ${key.fingerprint})`,
  );
  out("next:");
  steps.forEach((step, i) => out(`  ${i + 1}. ${step}`));
  for (const note of notes) hintLine(note);
  return COMMAND_EXIT.ok;
}

type CiKey = { publicPem: string; fingerprint: string; file: string | null; save: () => void };

/** The workflow's key: kept when loki wrote it before (its private half is in the secret already), else
 *  this repository's key file, else a new one — written by `save`, once the settings are known to be good. */
function ciKey(existing: string | null, slug: string, rotate: boolean): CiKey {
  const file = lokiHomeAt().ciKey(slug.replace(/[^A-Za-z0-9._-]+/g, "-"));
  const onFile = existsSync(file) ? ciKeyFrom(readFileSync(file, "utf8"), file) : null;
  const inWorkflow = existing === null || rotate ? null : workflowKey(existing);
  if (inWorkflow && onFile?.publicPem !== inWorkflow)
    return { publicPem: inWorkflow, fingerprint: readKeyInput(inWorkflow).fingerprint, file: null, save: () => {} };
  const pair = onFile && !rotate ? onFile : newCiKey();
  const save = () => {
    if (pair !== onFile) {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, pair.privatePem, { mode: 0o600 });
    }
    // The public half beside it: what another job runner's deliver step passes as --key.
    writeFileAtomic(file.replace(/\.key$/, ".pub"), pair.publicPem, 0o644);
  };
  return { publicPem: pair.publicPem, fingerprint: pair.fingerprint, file, save };
}

export type CiBuildOptions = RunOptions & { out?: string; signingKey?: string };

export async function runCiBuild(issue: string, options: CiBuildOptions): Promise<ExitCode> {
  const reporter = createReporter("plain", {});
  const built = await ciBuild({
    issue,
    out: options.out ?? "loki-artifact",
    cwd: process.cwd(),
    env: process.env,
    flags: flagsOf(options),
    reporter,
    lokiVersion: pkg.version,
    ...(options.signingKey ? { signingKey: options.signingKey } : {}),
  });
  if (options.json) outJson({ ok: true, ...built });
  else {
    out(`run ${built.run_id} ended ${built.outcome} (exit ${built.exit_code}); artifact: ${built.artifact}`);
    if (built.no_bundle_reason) out(`no commits packed: ${built.no_bundle_reason}`);
  }
  // The artifact is whole: the job succeeds and the deliver job reads the outcome from the proof.
  return COMMAND_EXIT.ok;
}

export async function runCiDeliver(artifact: string, options: { issue?: string; key?: string; json?: boolean }): Promise<ExitCode> {
  if (!options.issue) throw usageError("--issue is required: the issue the workflow ran for (owner/repo#N)");
  if (!options.key) throw usageError("--key is required: the CI key's public half", { hint: "the workflow passes it as LOKI_CI_KEY" });
  const delivered = await ciDeliver({
    artifact,
    issue: options.issue,
    key: options.key,
    cwd: process.cwd(),
    env: process.env,
    reporter: createReporter("plain", {}),
  });
  if (options.json) outJson(delivered);
  else {
    const tone = delivered.ok ? color.green : color.yellow;
    out(tone(`${delivered.action.replaceAll("_", " ")}: ${delivered.reason}`));
    if (delivered.pr_url) out(`pull request: ${delivered.pr_url}`);
    if (delivered.branch) out(`branch: ${delivered.branch}`);
  }
  return delivered.exit_code ?? RUN_EXIT.error;
}
