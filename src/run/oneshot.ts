// One read-only agent call outside a run (`loki grill`, `loki review`): the configured provider, checked
// and located as `loki start` does, run in loki's OS sandbox with the reviewer's policy over a private
// copy of the files it is given, its cost bounded and reported. Nothing of the user's tree is writable.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { onExit } from "signal-exit";
import { callEndpoint, endpointOf } from "../core/endpoints.ts";
import { dirname, join } from "node:path";
import type { Config, ProviderId } from "../core/config.ts";
import { type CallBasis, configLevers, modelFor } from "../core/models.ts";
import type { ComplexityTier } from "../core/schema.ts";
import { userHome } from "../core/workspace.ts";
import { callProvider } from "../providers/call.ts";
import { sandboxPolicy, standardHidden, standardReadOnly } from "../sandbox/policy.ts";
import { sandboxCommand } from "../sandbox/wrap.ts";
import { cacheEnv, plantedLinks, providerInstall, realBinary } from "../loop/sandbox.ts";
import { LokiError } from "../core/errors.ts";
import { lokiCodePaths } from "../loop/integrity.ts";
import { isRoot, prepareProviders, prepareSandbox } from "./prepare.ts";

export type OneShot = {
  /** File-safe: names the transcript and the scratch dir. */
  label: string;
  prompt: string;
  systemPrompt: string;
  /** Where the agent works: a private copy of these files (relative path → content), or the repository itself (read-only). */
  files: Record<string, string> | "repository";
  tier: ComplexityTier;
  /** The most the call may cost, passed to the CLI where it takes a cap. */
  budgetUsd: number;
};

/**
 * The sandbox settings of a one-off call come from its flags alone: a repository's loki.yaml (a branch
 * under review, a spec's checkout) must not turn the sandbox off for the model that reads it, nor let
 * a provider bypass its own prompts as root.
 */
export function flagsOnlySandbox(config: Config, sandboxFlag: boolean | undefined): Config {
  return { ...config, sandbox: sandboxFlag !== false, allow_root: false };
}

export type OneShotAnswer = {
  ok: boolean;
  finalText: string;
  costUsd: number;
  costBasis: CallBasis;
  provider: ProviderId;
  model: string;
  errorClass: string | null;
  sandboxed: boolean;
};

/**
 * Runs `call` once, in a private copy of `files` or in the repository; either way the repository is
 * read-only (the reviewer's policy) and loki's state (`.loki/`, `~/.loki`) hidden. Throws the start refusals (no provider, no login, no
 * sandbox) as `loki start` would, before anything is spent.
 */
export async function readOnlyCall(
  root: string,
  config: Config,
  call: OneShot,
  io: { env: Record<string, string | undefined>; warn: (line: string) => void; signal?: AbortSignal },
): Promise<OneShotAnswer> {
  const sandbox = await prepareSandbox(config, root, io.warn);
  const id = config.provider as ProviderId;
  const providers = await prepareProviders(config, [id], {
    env: io.env,
    cwd: root,
    allowRoot: config.allow_root,
    sandboxed: sandbox !== null,
    warn: io.warn,
  });
  const ready = providers.get(id);
  if (!ready) throw new Error(`provider ${id} was not prepared`);
  const model = modelFor({ provider: id, tier: call.tier, phase: "verify", levers: configLevers(config, io.env) }).model;
  const base = mkdtempSync(join(tmpdir(), `loki-${call.label}-`));
  // Gone on Ctrl+C or a kill as on a normal end: the copy may hold the spec or the prompt.
  const forget = onExit(() => rmSync(base, { recursive: true, force: true }));
  try {
    const cwd = call.files === "repository" ? root : join(base, "work");
    const scratchDir = join(base, "scratch");
    mkdirSync(scratchDir, { recursive: true, mode: 0o700 });
    if (call.files !== "repository") {
      for (const [rel, text] of Object.entries(call.files)) {
        const file = join(cwd, rel);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, text);
      }
      mkdirSync(cwd, { recursive: true });
    }
    const home = userHome();
    const stateDirs = ready.provider.stateDirs(home, io.env, endpointOf(config, id, io.env));
    for (const dir of stateDirs) if (!/\.json$/.test(dir)) mkdirSync(dir, { recursive: true });
    const policy = sandboxPolicy({
      role: "review",
      repo: cwd,
      scratch: scratchDir,
      providerStateDirs: stateDirs,
      hidden: [...standardHidden(home, root), ...(ready.provider.graderHidden?.(cwd, home, io.env) ?? [])],
      readOnly: [...standardReadOnly(home), ...lokiCodePaths(), ...providerInstall(ready.binaryPath)],
    });
    const caches = cacheEnv(scratchDir);
    const planted = plantedLinks(ready.provider, cwd, io.env);
    if (planted.length > 0)
      throw new LokiError("provider", planted.join("; "), {
        hint: "a reviewer does not run through a link where its CLI keeps hooks and config: remove the link, then run again",
      });
    const result = await callProvider(ready.provider, {
      prompt: call.prompt,
      systemPrompt: call.systemPrompt,
      model,
      role: "review",
      remainingBudgetUsd: call.budgetUsd,
      cwd,
      scratchDir,
      denyRead: [],
      allowRoot: config.allow_root && isRoot(),
      sandboxed: sandbox !== null,
      ...(sandbox
        ? {
            wrap: (argv: string[], env: Record<string, string | undefined>) =>
              sandboxCommand(policy, realBinary(argv), { ...caches, ...env }, sandbox.path ? { bwrap: sandbox.path } : {}),
          }
        : {}),
      binaryPath: ready.binaryPath,
      help: ready.help,
      ...callEndpoint(config, id, io.env),
      transcript: join(scratchDir, `${call.label}.jsonl`),
      timeoutMs: config.agent_timeout_seconds * 1000,
      idleTimeoutMs: config.agent_idle_seconds * 1000,
      env: io.env,
      ...(io.signal ? { signal: io.signal } : {}),
    });
    // Not every CLI takes a cost cap (Claude Code does): past the budget anyway, it is said, not hidden.
    if (result.costUsd > call.budgetUsd)
      io.warn(
        `the ${call.label} call cost $${result.costUsd.toFixed(2)}, over its $${call.budgetUsd.toFixed(2)} budget (${id} takes no cost cap)`,
      );
    return {
      ok: result.ok,
      finalText: result.finalText,
      costUsd: result.costUsd,
      costBasis: result.costBasis,
      provider: id,
      model,
      errorClass: result.errorClass ?? (result.spawnError ? "not_started" : null),
      sandboxed: sandbox !== null,
    };
  } finally {
    forget();
    rmSync(base, { recursive: true, force: true });
  }
}
