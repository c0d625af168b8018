// `loki resume`: relaunch a run from its saved state, under the run lock — same run id, start sha,
// iteration count and spend. What the dead run left running (its children, the agent call among them)
// is killed with its group first (only while each pid is still that process), and that call billed
// once, conservatively. A run killed while finishing is not relaunched: its end is completed.
import { loadConfig, parseDuration, type Config, type ProviderId } from "../core/config.ts";
import { endpointOf } from "../core/endpoints.ts";
import { repoRoot } from "../core/git.ts";
import { usageError } from "../core/errors.ts";
import { takeRunLock, underRunLock, warnRunLockTo } from "../core/run-lock.ts";
import { signalSaved } from "../core/process-identity.ts";
import { OrchestratorState, type RunFlags } from "../core/run-schema.ts";
import type { LoopResult } from "../loop/env.ts";
import { readJson, userHome, workspaceAt, type Workspace } from "../core/workspace.ts";
import { assertRunModels, priceTokens } from "../core/models.ts";
import { FLOOR_TOKENS } from "../providers/outcome.ts";
import { executeRun, withTrackedChildren, type Reporter } from "./execute.ts";
import { clearLeftovers } from "./children.ts";
import { finishRun, unfinishedEnd } from "./finish.ts";
import { prepareProviders, prepareSandbox, UNSANDBOXED } from "./prepare.ts";
import { ledgerSpend, openRunRecord } from "../loop/run-state.ts";
import type { ShipStage } from "../loop/ship.ts";
import { clearSignal } from "../loop/signals.ts";
import { takeIntegrity } from "../loop/integrity.ts";
import { foldCheckpoints } from "../loop/reflect.ts";
import { freezeGrader } from "../gates/grader.ts";
import { commitTree } from "../gates/tree.ts";
import { carriedFlags, loadRunSpec, loopInputs } from "./start.ts";
import { keptSettings, startSettings } from "./settings.ts";

export type ResumeInput = {
  cwd: string;
  env: Record<string, string | undefined>;
  flags: RunFlags;
  reporter: Reporter;
  stages?: ShipStage[];
  /** A --bg child: its parent holds the run lock until it hands it over. */
  background?: boolean;
};

export async function prepareResume(input: ResumeInput) {
  const root = await repoRoot(input.cwd);
  const ws = workspaceAt(root);
  const saved = readJson(ws.orchestrator, OrchestratorState);
  if (!saved) throw usageError(`no run to resume in ${root}`, { hint: "start one: loki start ./prd.md" });
  // One run per repository: nothing is written for the resume before the run lock is ours.
  await takeRunLock(ws.runLock, saved.run_id, { warn: input.reporter.warn, ...(input.background ? { handOverFrom: process.ppid } : {}) });
  return await underRunLock(ws.runLock, () => resumeRun(input, ws, saved));
}

async function resumeRun(input: ResumeInput, ws: Workspace, saved: OrchestratorState) {
  const root = ws.root;
  await settleLeftovers(ws, input.reporter);
  const end = unfinishedEnd(ws, saved);
  if (end) return completeEnd(ws, saved, end, input);
  if (saved.outcome === "verified")
    throw usageError(`run ${saved.run_id} already finished verified`, { hint: "start a new run: loki start ./prd.md" });
  const spec = await loadRunSpec(ws);
  if (!spec)
    throw usageError(`run ${saved.run_id} has no saved spec (.loki/state/run-spec.json)`, { hint: "start a new run: loki start ./prd.md" });
  const config = await resumeConfig(root, saved, input);
  assertRunModels(saved.chain as ProviderId[], spec.complexity.tier, config, {
    provider: saved.provider as ProviderId,
    model: saved.model,
  });
  clearSignal(ws.pause);
  clearSignal(ws.stop);

  const record = openRunRecord(ws, saved, input.reporter.event);
  warnRunLockTo(ws.runLock, (message) => record.emit({ kind: "warning", message }));
  await settleInterruptedCall(record);
  const spend = ledgerSpend(ws, saved.run_id);
  const caps = {
    max_iterations: input.flags.max_iterations ?? saved.caps.max_iterations,
    max_duration_s: input.flags.max_duration
      ? parseDuration(input.flags.max_duration) + saved.elapsed_ms / 1000
      : saved.caps.max_duration_s,
  };
  const limit = input.flags.budget_usd ?? saved.budget.limit_usd;
  record.save({
    caps,
    outcome: null,
    status: "starting",
    budget: {
      limit_usd: limit,
      spent_usd: spend.usd,
      estimated_usd: spend.estimated,
      warned: saved.budget.warned && limit === saved.budget.limit_usd,
    },
  });
  // A run started with --no-sandbox resumes unsandboxed (the --bg child gets no flags of its own).
  const sandbox = await prepareSandbox({ ...config, sandbox: config.sandbox && saved.sandboxed }, root, input.reporter.warn);
  // Once any part of a run was unsandboxed, the whole run is: its state could have been written.
  if (!sandbox && record.state.sandboxed) record.save({ sandboxed: false });
  if (!sandbox) record.emit({ kind: "warning", message: UNSANDBOXED });
  const providers = await prepareProviders(config, saved.chain as ProviderId[], {
    env: input.env,
    cwd: root,
    allowRoot: config.allow_root,
    sandboxed: sandbox !== null,
    warn: input.reporter.warn,
  });
  if (!providers.has(record.state.provider as ProviderId)) record.save({ provider: [...providers.keys()][0] as string });
  record.save({
    integrity: takeIntegrity(
      [...providers.values()].map((p) => p.binaryPath),
      ws.root,
      [...providers.values()].flatMap(
        (p) => p.provider.graderConfig?.(userHome(), process.env, endpointOf(config, p.provider.id, process.env)) ?? [],
      ),
    ),
  });
  // A state from before frozen grading: the start commit is what the run began from.
  if (!saved.grader)
    record.save({
      grader: {
        ...(await freezeGrader(await commitTree(root, saved.start_sha), config)),
        origin: `run start (${saved.start_sha.slice(0, 12)})`,
      },
    });
  if (input.flags.accept_config_change) record.save({ accept_config_change: true });
  record.save({ flags: carriedFlags(input.flags) });
  record.emit({
    kind: "run_started",
    provider: record.state.provider,
    model: record.state.model,
    spec: spec.source.ref,
    start_sha: saved.start_sha,
    resumed: true,
    budget_usd: record.state.budget.limit_usd,
  });
  return {
    ws,
    runId: saved.run_id,
    // Folded only by the process that runs the loop (not a --bg parent), once every check passed.
    execute: async () => {
      await foldRedoneIteration(record, input.reporter);
      return executeRun(
        loopInputs({ record, config, spec, providers, sandbox, env: input.env, reporter: input.reporter, stages: input.stages }),
      );
    },
  };
}

/**
 * Today's configuration with the held-out, council, sandbox and root settings the run started with:
 * loki.yaml may since have been written by the agent. A state from before they were saved takes them
 * from the start commit's loki.yaml.
 */
async function resumeConfig(root: string, saved: OrchestratorState, input: ResumeInput): Promise<Config> {
  const current = loadConfig(root, input.env, input.flags).config;
  const settings =
    saved.settings ??
    startSettings(
      loadConfig(root, input.env, saved.flags ?? {}, { lokiYaml: (await commitTree(root, saved.start_sha)).read("loki.yaml") }).config,
    );
  const { config, ignored } = keptSettings(current, settings, input.flags);
  if (ignored.length > 0)
    input.reporter.warn(
      `the configuration changed since run ${saved.run_id} started, and a run keeps its grading and sandbox settings: ${ignored.join("; ")}. Start a new run to use the new ones`,
    );
  return config;
}

/** What the dead run left running is ended (its children, by pid and start time) and its review copies removed. */
async function settleLeftovers(ws: ReturnType<typeof workspaceAt>, reporter: Reporter): Promise<void> {
  const left = await clearLeftovers(ws);
  if (left.processes.length > 0)
    reporter.notice(
      `ended ${left.processes.length} process${left.processes.length === 1 ? "" : "es"} the dead run left running: ${left.processes.join(", ")}`,
    );
  if (left.reviewCopies > 0)
    reporter.notice(`removed ${left.reviewCopies} review cop${left.reviewCopies === 1 ? "y" : "ies"} the dead run left behind`);
}

/** A run killed between deciding its outcome and recording all of it: finish writing its end, nothing more. */
async function completeEnd(ws: Workspace, saved: OrchestratorState, end: LoopResult, input: ResumeInput) {
  const record = openRunRecord(ws, saved, input.reporter.event);
  await settleInterruptedCall(record);
  input.reporter.notice(`run ${saved.run_id} was killed while finishing (${end.outcome}): completing its summary and proof`);
  return {
    ws,
    runId: saved.run_id,
    execute: () => withTrackedChildren(record, () => finishRun({ record, reporter: input.reporter, env: input.env }, end)),
  };
}

/** The iteration about to be redone takes back its own checkpoint commits, so history shows it once. */
async function foldRedoneIteration(record: ReturnType<typeof openRunRecord>, reporter: Reporter): Promise<void> {
  const folded = await foldCheckpoints(record.ws.root, record.state);
  if (!folded) return;
  const message = `iteration ${record.state.iteration} is redone: its ${folded.commits} checkpoint commit${folded.commits === 1 ? "" : "s"} folded back into the working tree (HEAD ${folded.to.slice(0, 12)})`;
  record.emit({ kind: "warning", message });
  reporter.notice(message);
}

/**
 * Kill what is left of an interrupted call — its process group, only while its pid is still that
 * call's (a pid reused by another process is never signalled; settleLeftovers ended the run's other
 * children already) — and bill it once: with no result to read, at a floor estimate.
 */
async function settleInterruptedCall(record: ReturnType<typeof openRunRecord>): Promise<void> {
  const active = record.state.active_call;
  if (!active) return;
  if ((await signalSaved(active.pid, active.pid_start, "SIGKILL", { group: true })) === "reused")
    record.emit({
      kind: "warning",
      message: `the interrupted agent call's pid ${active.pid} now belongs to another process: not signalled`,
    });
  if (!ledgerSpend(record.ws, record.state.run_id).calls.has(active.call_id)) {
    const provider = record.state.provider as ProviderId;
    const floor = priceTokens(record.state.model, FLOOR_TOKENS, provider, record.state.settings?.providers?.[provider]?.price);
    record.bill({
      iteration: active.iteration,
      call_id: active.call_id,
      role: "build",
      provider: record.state.provider,
      model: record.state.model,
      usd: floor.usd,
      basis: "estimated",
      tokens: {},
      duration_ms: 0,
      note: "interrupted call; no result was read, billed at a conservative floor",
    });
  }
  record.save({ active_call: null });
}
