// `loki start`, `loki resume`, `loki pause`, `loki stop`: parse flags, hand them to the loop,
// print the completion summary. The exit code is the run's outcome's (or its delivery's), looked up
// in core/exit-codes.ts.
import { existsSync, readFileSync } from "node:fs";
import { relative } from "node:path";
import { usageError } from "../core/errors.ts";
import { COMMAND_EXIT, runExitCode, type ExitCode } from "../core/exit-codes.ts";
import { out, outJson } from "../core/log.ts";
import { pidState, signalSaved } from "../core/process-identity.ts";
import { Session } from "../core/session-schema.ts";
import { findRoot, readJson, workspaceAt } from "../core/workspace.ts";
import { spawnBackground } from "../run/background.ts";
import { createReporter, reporterMode } from "../run/reporter.ts";
import { prepareResume } from "../run/resume.ts";
import { clearLeftovers } from "../run/children.ts";
import { clearSignal, setSignal } from "../loop/signals.ts";
import { prepareDelegated } from "../deliver/delegate.ts";
import { deliver, type Delivered } from "../deliver/deliver.ts";
import { prepareStart, resumeFlags } from "../run/start.ts";
import type { RunFlags } from "../core/run-schema.ts";
import { readStatus } from "../run/status.ts";
import { completionLine } from "../run/completion.ts";
import { pauseRun } from "../run/control.ts";
import { autoOpenDashboard } from "../run/dashboard-policy.ts";
import { childVerbosityEnv, verbosity } from "../core/verbosity.ts";

export type RunOptions = {
  provider?: string;
  model?: string;
  budget?: number;
  maxIterations?: number;
  maxDuration?: string;
  failover?: string;
  yes?: boolean;
  json?: boolean;
  bg?: boolean;
  branch?: string;
  prd?: string;
  issue?: string;
  openspec?: string;
  /** The spec is this brief, whatever it looks like (`loki quick`). */
  brief?: string;
  backgroundChild?: boolean;
  sandbox?: boolean;
  worktree?: boolean;
  pr?: boolean;
  ship?: boolean;
  acceptConfigChange?: boolean;
  /** false: --no-dashboard. */
  dashboard?: boolean;
};

/** Options that shape only this invocation (what to read, where to work, how to print), never the
 *  run: every other run option must reach RunFlags below, which the run keeps in its state. */
export const INVOCATION_OPTIONS = [
  "bg",
  "json",
  "worktree",
  "pr",
  "ship",
  "branch",
  "prd",
  "issue",
  "openspec",
  "brief",
  "backgroundChild",
  "dashboard",
] as const satisfies readonly (keyof RunOptions)[];

export function flagsOf(options: RunOptions): RunFlags {
  return {
    provider: options.provider,
    model: options.model,
    budget_usd: options.budget,
    max_iterations: options.maxIterations,
    max_duration: options.maxDuration,
    failover: options.failover
      ?.split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    allow_root: options.yes ? true : undefined,
    // commander turns --no-sandbox into sandbox: false (and leaves it true otherwise: config decides then).
    sandbox: options.sandbox === false ? false : undefined,
    accept_config_change: options.acceptConfigChange === true ? true : undefined,
  };
}

// --quiet/--verbose are global flags (program.ts): how the output reads, not how the run runs.
function reporterFor(options: RunOptions) {
  const level = verbosity();
  return createReporter(reporterMode(Boolean(options.json), Boolean(process.stderr.isTTY), process.env), {
    verbose: level === "verbose",
    quiet: level === "quiet",
  });
}

export async function runStart(arg: string | undefined, options: RunOptions): Promise<ExitCode> {
  const reporter = reporterFor(options);
  // The cascade: --ship implies --pr, --pr and --bg imply --worktree.
  const pr = Boolean(options.pr || options.ship);
  const delegated = Boolean(options.worktree || pr || options.bg);
  if (delegated && options.branch !== undefined)
    throw usageError("--branch cannot be combined with --worktree, --pr, --ship or --bg (they name the branch loki/issue-<n>)");
  const input = {
    arg,
    explicit: {
      prd: options.prd,
      issue: options.issue,
      openspec: options.openspec,
      ...(options.brief !== undefined ? { brief: options.brief } : {}),
    },
    cwd: process.cwd(),
    env: process.env,
    flags: flagsOf(options),
    branch: options.branch,
    reporter,
  };
  const run = delegated ? await prepareDelegated({ ...input, pr, ship: Boolean(options.ship) }) : await prepareStart(input);
  if (options.bg) return await detach(run.ws, run.runId, options);
  const dashboard = await runDashboardFor(run.ws.root, options, reporter);
  try {
    return finish(run.ws, await deliver(run.ws, await run.execute(), process.env, reporter), options);
  } finally {
    if (dashboard) {
      // The page learns of the outcome from the files just written: it gets a moment to show it.
      await Bun.sleep(DASHBOARD_GRACE_MS);
      await dashboard.stop();
    }
  }
}

/** How long a foreground run's dashboard outlives the run: the page's trailing re-read and refetch. */
const DASHBOARD_GRACE_MS = 1500;

/** An interactive foreground run opens its dashboard (commands/dashboard.ts says when). */
async function runDashboardFor(
  root: string,
  options: RunOptions,
  reporter: ReturnType<typeof reporterFor>,
): Promise<{ stop: () => Promise<void> } | null> {
  const decision = autoOpenDashboard({
    env: process.env,
    stdinIsTty: Boolean(process.stdin.isTTY),
    stderrIsTty: Boolean(process.stderr.isTTY),
    bg: Boolean(options.bg),
    json: Boolean(options.json),
    dashboard: options.dashboard !== false,
  });
  if (!decision.open) return null;
  // Loaded only for the runs that open it: the server is no part of every start's cost.
  const { openRunDashboard } = await import("./dashboard.ts");
  return await openRunDashboard(root, reporter);
}

export async function runResume(options: RunOptions): Promise<ExitCode> {
  const ws = options.backgroundChild ? workspaceAt(findRoot()) : await resumeTarget();
  const status = await readStatus(ws.root);
  if (!options.backgroundChild && status.pid_alive && status.status === "paused") {
    clearSignal(ws.pause);
    out(`resumed run ${status.run_id} (pid ${status.pid})`);
    return COMMAND_EXIT.ok;
  }
  // A --bg child's argv is fixed (resume --background-child): LOKI_VERBOSE brings it --verbose.
  const reporter = options.backgroundChild ? createReporter("plain", { verbose: verbosity() === "verbose" }) : reporterFor(options);
  // A --bg child gives no flags: it runs with those its parent resolved and saved in the run's state.
  const run = await prepareResume({
    cwd: ws.root,
    env: process.env,
    flags: resumeFlags(ws, flagsOf(options)),
    reporter,
    background: Boolean(options.backgroundChild),
  });
  if (options.bg && !options.backgroundChild) return await detach(run.ws, run.runId, options);
  return finish(run.ws, await deliver(run.ws, await run.execute(), process.env, reporter), options);
}

async function detach(ws: ReturnType<typeof workspaceAt>, runId: string, options: RunOptions): Promise<ExitCode> {
  // --verbose is how the child's log reads, not a run flag: it travels in the environment.
  const { pid, log } = await spawnBackground(ws, runId, childVerbosityEnv(process.env, verbosity()));
  if (options.json) outJson({ run_id: runId, pid, log });
  else {
    out(`run ${runId} continues in the background (pid ${pid})`);
    out(`log: ${relative(process.cwd(), log)}`);
    out(`watch: loki status${ws.root === findRoot() ? "" : `   (the run works in ${relative(process.cwd(), ws.root)})`}   stop: loki stop`);
  }
  return COMMAND_EXIT.ok;
}

function finish(ws: ReturnType<typeof workspaceAt>, result: Delivered, options: RunOptions): ExitCode {
  if (!options.json && verbosity() === "quiet") out(completionLine(result.completion));
  else if (!options.json && existsSync(ws.completionText)) out(readFileSync(ws.completionText, "utf8").trimEnd());
  return runExitCode(result.completion.outcome, result.delivery);
}

/** This checkout's own run, else its one delegated run when there is exactly one. */
async function resumeTarget(): Promise<ReturnType<typeof workspaceAt>> {
  const ws = workspaceAt(findRoot());
  const own = await readStatus(ws.root);
  if (own.run_id || own.delegated.length !== 1 || !own.delegated[0]) return ws;
  return workspaceAt(own.delegated[0].dir);
}

/** This checkout's own run, else its one live delegated run (a --bg or --worktree run). */
async function targetRun(): Promise<ReturnType<typeof workspaceAt>> {
  const ws = workspaceAt(findRoot());
  const own = await readStatus(ws.root);
  if (own.run_id && own.status !== "completed") return ws;
  const live = own.delegated.filter((d) => d.pid_alive);
  if (live.length === 1 && live[0]) return workspaceAt(live[0].dir);
  if (live.length > 1)
    throw usageError(`${live.length} delegated runs are active: ${live.map((d) => d.run_id).join(", ")}`, {
      hint: `cd into the one you mean (${live.map((d) => d.dir).join(", ")}) and run the command there`,
    });
  return ws;
}

export async function runPause(): Promise<ExitCode> {
  const ws = await targetRun();
  const answer = await pauseRun(ws.root, "loki pause");
  if (!answer.ok) throw usageError("no active run to pause here", { hint: "see `loki status`" });
  out(`${answer.message}; continue with: loki resume`);
  return COMMAND_EXIT.ok;
}

export async function runStop(options: { json?: boolean }): Promise<ExitCode> {
  const ws = await targetRun();
  const status = await readStatus(ws.root);
  if (!status.run_id) throw usageError("no run here to stop", { hint: "see `loki status`" });
  setSignal(ws.stop, "stopped by loki stop");
  // The run's process (and the group it leads, a --bg child's) — only while its pid is still the run's.
  const session = readJson(ws.session, Session);
  const pid = session?.run_id === status.run_id ? await pidState(session.pid, session.pid_start) : "gone";
  const reused =
    pid === "reused" ||
    (session !== undefined &&
      pid === "same" &&
      (await signalSaved(session.pid, session.pid_start, "SIGTERM", { group: true })) === "reused");
  const stopped = await waitFor(async () => !(await readStatus(ws.root)).pid_alive, 15_000);
  // Once its process is gone, what it left running (a kill -9 leaves children) and its review copies go too.
  if (stopped) await clearLeftovers(ws);
  if (options.json) outJson({ run_id: status.run_id, stopped, ...(reused ? { pid_reused: status.pid } : {}) });
  else if (reused)
    out(
      `run ${status.run_id} is not running: its pid ${status.pid} now belongs to another process, which was not signalled; continue the run with: loki resume`,
    );
  else
    out(
      stopped
        ? `stopped run ${status.run_id}; continue later with: loki resume`
        : `asked run ${status.run_id} to stop; it stops at the next boundary`,
    );
  return COMMAND_EXIT.ok;
}

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await Bun.sleep(100);
  }
  return check();
}
