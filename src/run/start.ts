// Starting and resuming a run: validate everything up front, set up the run's state (spec copy,
// held-out commitment, orchestrator state), then execute the loop with signal handling and write
// the completion summary whatever the outcome.
import { isAbsolute, relative } from "node:path";
import { randomBytes } from "node:crypto";
import { loadConfig, parseDuration, type Config, type ProviderId } from "../core/config.ts";
import { endpointOf } from "../core/endpoints.ts";
import { startSettings } from "./settings.ts";
import { git, keepOutOfGit, repoRoot } from "../core/git.ts";
import { readStartSnapshot } from "../gates/unseen.ts";
import { assertRunModels, configLevers, modelFor } from "../core/models.ts";
import { Spec } from "../core/schema.ts";
import { OrchestratorState, type RunFlags } from "../core/run-schema.ts";
import { takeRunLock, underRunLock, warnRunLockTo } from "../core/run-lock.ts";
import { ensureWorkspace, readJson, userHome, workspaceAt, writeJson, type Workspace } from "../core/workspace.ts";
import { freezeGrader } from "../gates/grader.ts";
import { graderPrograms } from "../gates/programs.ts";
import { fsTree } from "../gates/tree.ts";
import { commitHeldOut, selectHeldOut } from "../spec/heldout.ts";
import type { Explicit } from "../spec/detect.ts";
import { readSpec, writeIntake } from "../spec/read.ts";
import { executeRun, type ExecuteInput, type Reporter } from "./execute.ts";
import {
  assertCleanStart,
  assertPromptFits,
  denyReadPaths,
  prepareProviders,
  prepareSandbox,
  providerChain,
  UNSANDBOXED,
} from "./prepare.ts";
import { initialState, openRunRecord } from "../loop/run-state.ts";
import { switchBranch, currentBranch } from "../core/git.ts";
import { shipStages, type ShipStage } from "../loop/ship.ts";
import { trust } from "../loop/trust-sink.ts";
import { takeIntegrity } from "../loop/integrity.ts";

export type StartInput = {
  arg?: string;
  explicit: Explicit;
  cwd: string;
  env: Record<string, string | undefined>;
  flags: RunFlags;
  branch?: string;
  reporter: Reporter;
  stages?: ShipStage[];
  detach?: boolean;
  /** Already done by delegation (deliver/delegate.ts): the spec it read and the run id it named the branch with. */
  intake?: { spec: Spec; runId: string };
};

/** Flags that set a cap: applied to the run's state (caps, budget) by the invocation that gives them. */
const CAP_FLAGS = ["budget_usd", "max_iterations", "max_duration"] as const satisfies readonly (keyof RunFlags)[];

/**
 * The flags a run keeps in its state for its later processes: every flag given, but its caps —
 * those are in the state already, and a duration applied again would extend it.
 */
export function carriedFlags(flags: RunFlags): RunFlags {
  const carried: RunFlags = Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined));
  for (const cap of CAP_FLAGS) delete carried[cap];
  return carried;
}

/** The flags a resume runs with: the run's saved ones, overridden by any flag given now. A --bg
 *  child is given none: it runs with exactly what its parent resolved and saved. */
export function resumeFlags(ws: Workspace, given: RunFlags): RunFlags {
  const saved = readJson(ws.orchestrator, OrchestratorState)?.flags ?? {};
  return { ...carriedFlags(saved), ...definedFlags(given) };
}

/** The flags that were given (commander leaves the others undefined). */
export function definedFlags(flags: RunFlags): RunFlags {
  return Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined));
}

export function newRunId(now: Date): string {
  return `${now.toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-")}-${randomBytes(2).toString("hex")}`;
}

/**
 * Validate and set up a new run; returns a function that executes it (now, or in a detached child).
 * One run per repository: the run lock is taken before anything of the run is written, and held
 * until finishRun (or handed to the --bg child); a second start here ends at it, naming the active run.
 */
export async function prepareStart(input: StartInput) {
  const root = await repoRoot(input.cwd);
  const ws = workspaceAt(root);
  const loaded = loadConfig(root, input.env, input.flags);
  for (const line of loaded.warnings) input.reporter.warn(line);
  const runId = input.intake?.runId ?? newRunId(new Date());
  // .loki/ keeps its .gitignore, so the lock inside it leaves the working tree clean. The agent's sandbox
  // hides that .gitignore (and binds its scratch dir inside .loki/): the exclude keeps its own `git add -A` out.
  ensureWorkspace(ws);
  await keepOutOfGit(root, ".loki", null);
  await takeRunLock(ws.runLock, runId, { warn: input.reporter.warn });
  return await underRunLock(ws.runLock, () => setUpRun(input, ws, loaded.config, runId));
}

async function setUpRun(input: StartInput, ws: Workspace, config: Config, runId: string) {
  const root = ws.root;
  const startSha = await assertCleanStart(root, input.branch);
  const spec = input.intake?.spec ?? (await readSpec(input.arg, { cwd: input.cwd, config, env: input.env, explicit: input.explicit }));
  assertPromptFits(spec, config);
  // Every call's model, before anything of the run is written or switched: a ceiling never stops a run midway.
  assertRunModels(providerChain(config), spec.complexity.tier, config);
  const exposed = config.heldout && selectHeldOut(spec.items).length > 0 ? await specInHistory(root, spec.source.path) : null;
  if (exposed) input.reporter.warn(exposedWarning(exposed));
  const allowRoot = config.allow_root;
  const sandbox = await prepareSandbox(config, root, input.reporter.warn);
  const providers = await prepareProviders(config, providerChain(config), {
    env: input.env,
    cwd: root,
    allowRoot,
    sandboxed: sandbox !== null,
    warn: input.reporter.warn,
  });
  if (input.branch) await switchBranch(root, input.branch);
  const now = new Date();
  writeIntake(ws, spec, now);
  writeJson(ws.runSpec, Spec, spec);
  if (config.heldout) commitHeldOut(ws, runId, spec.items, now);
  const chain = [...providers.keys()];
  const model = modelFor({
    provider: chain[0] as ProviderId,
    tier: spec.complexity.tier,
    phase: "act",
    levers: configLevers(config),
  }).model;
  const maxDurationS = config.max_duration ? parseDuration(config.max_duration) : null;
  // After the branch switch, before any agent call: what the git_integrity gate compares against.
  const gitSnapshot = await readStartSnapshot(root, startSha);
  const state = initialState({
    runId,
    startSha,
    branch: await currentBranch(root),
    spec: { ref: spec.source.ref, sha256: spec.source.sha256, title: spec.title },
    chain,
    model,
    config,
    maxDurationS,
    sandboxed: sandbox !== null,
    now,
  });
  state.git_snapshot = gitSnapshot;
  // What the user declared at start: the diff the agent writes never changes how it is graded.
  const grader = await freezeGrader(fsTree(root), config);
  state.grader = { ...grader, origin: `run start (${startSha.slice(0, 12)})`, programs: graderPrograms(root, grader) };
  state.accept_config_change = input.flags.accept_config_change === true;
  state.max_tier = config.max_tier;
  // A resume keeps these whatever loki.yaml says by then (the agent can write it).
  state.settings = startSettings(config);
  // Every later process of this run (a --bg child, a resume) runs with the flags given here.
  state.flags = carriedFlags(input.flags);
  const record = openRunRecord(ws, state, input.reporter.event);
  warnRunLockTo(ws.runLock, (message) => record.emit({ kind: "warning", message }));
  record.save({
    integrity: takeIntegrity(
      [...providers.values()].map((p) => p.binaryPath),
      ws.root,
      [...providers.values()].flatMap(
        (p) => p.provider.graderConfig?.(userHome(), process.env, endpointOf(config, p.provider.id, process.env)) ?? [],
      ),
    ),
  });
  record.emit({
    kind: "run_started",
    provider: state.provider,
    model,
    spec: spec.source.ref,
    start_sha: startSha,
    resumed: false,
    budget_usd: config.budget_usd ?? null,
  });
  trust(record, "run_start", { provider: state.provider, model, items: spec.items.length });
  if (!sandbox) record.emit({ kind: "warning", message: UNSANDBOXED });
  if (exposed) record.emit({ kind: "warning", message: exposedWarning(exposed) });
  return {
    ws,
    runId,
    execute: () =>
      executeRun(loopInputs({ record, config, spec, providers, sandbox, env: input.env, reporter: input.reporter, stages: input.stages })),
  };
}

/** What executing a run needs beyond its record, the same for a new run and a resumed one. */
export function loopInputs(
  run: Pick<ExecuteInput, "record" | "config" | "spec" | "providers" | "sandbox" | "env" | "reporter"> & {
    stages: ShipStage[] | undefined;
  },
): ExecuteInput {
  const { record, config, spec } = run;
  return {
    ...run,
    allowRoot: config.allow_root,
    visible: visibleItems(spec, config.heldout),
    heldOutCount: config.heldout ? selectHeldOut(spec.items).length : 0,
    stages: run.stages ?? shipStages({ heldout: config.heldout, council: config.council }),
    denyRead: denyReadPaths(record.ws, spec, record.state.run_id),
  };
}

export function visibleItems(spec: Spec, heldout: boolean): { id: string; text: string }[] {
  const hidden = new Set(heldout ? selectHeldOut(spec.items).map((item) => item.id) : []);
  return spec.items.filter((item) => !hidden.has(item.id)).map((item) => ({ id: item.id, text: item.text }));
}

export async function loadRunSpec(ws: ReturnType<typeof workspaceAt>): Promise<Spec | undefined> {
  return readJson(ws.runSpec, Spec);
}

/** The spec's path in the repository when git history holds it (any commit, any branch); else null. */
async function specInHistory(root: string, path: string | undefined): Promise<string | null> {
  if (!path || !isAbsolute(path)) return null;
  const rel = relative(root, path);
  if (rel === "" || rel.startsWith("..")) return null;
  const seen = await git(["log", "--all", "-1", "--format=%H", "--", rel], { cwd: root, timeoutMs: 30_000 });
  return seen.ok && seen.stdout.trim() !== "" ? rel : null;
}

function exposedWarning(rel: string): string {
  return `${rel} is in this repository's git history, so its held-out items are too: anything run here — the agent, the tests it writes — can read them with git. For held-out items the agent cannot see, keep the spec out of git (a path in .git/info/exclude, or outside the repository) from the first commit`;
}
