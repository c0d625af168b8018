// `loki dashboard` and the dashboard `loki start` opens: wires the dashboard server (src/dashboard/,
// which reads .loki/ only) to `loki status`'s report, the shared run controls and the proof check,
// prints its URL and opens it in the browser (when `loki start` may open one: run/dashboard-policy.ts).
import { existsSync } from "node:fs";
import { basename } from "node:path";
import type { DashboardDeps } from "../dashboard/deps.ts";
import { startDashboard } from "../dashboard/server.ts";
import { run as exec, whichBinary } from "../core/exec.ts";
import { COMMAND_EXIT, type ExitCode } from "../core/exit-codes.ts";
import { info } from "../core/log.ts";
import { findRoot, workspaceAt } from "../core/workspace.ts";
import { verifyProof } from "../proof/verify.ts";
import { pauseRun, requestBudget, requestModel, runModels, stopRun, unpauseRun } from "../run/control.ts";
import { readStatus } from "../run/status.ts";

const BY = "dashboard";

export function dashboardDeps(root: string): DashboardDeps {
  return {
    status: readStatus,
    controls: {
      pause: () => pauseRun(root, BY),
      resume: () => unpauseRun(root),
      stop: (mode) => stopRun(root, mode, BY),
      model: (model) => requestModel(root, model, BY),
      budget: (limitUsd) => requestBudget(root, limitUsd, BY),
      models: () => runModels(root),
    },
    verifyProof: async (at, runId) => {
      const ws = workspaceAt(at);
      if (!existsSync(ws.proof(runId))) return null;
      const result = await verifyProof(ws, runId);
      return { status: result.status, checks: result.checks };
    },
  };
}

/** `loki dashboard`: serves this repository's .loki/ until Ctrl+C. */
export async function runDashboard(options: { port?: number; open?: boolean }): Promise<ExitCode> {
  const root = findRoot();
  const dashboard = await startDashboard({ root, port: options.port, deps: dashboardDeps(root) });
  info(`dashboard for ${root}: ${dashboard.url}`);
  info("(the link holds this dashboard's key: keep it to yourself. Ctrl+C ends the dashboard, not the run)");
  if (options.open !== false) await openInBrowser(dashboard.url);
  // Listeners stay attached until the dashboard is down: exec's exit hook (signal-exit) re-raises a
  // signal nobody else listens to, which would end this process with 130 instead of a clean 0.
  let done = () => {};
  const ended = new Promise<void>((resolve) => {
    done = resolve;
  });
  const onSignal = () => done();
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, onSignal);
  await ended;
  await dashboard.stop();
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.off(signal, onSignal);
  return COMMAND_EXIT.ok;
}

/** The dashboard of a foreground `loki start`: lives as long as the run's process; null when not opened.
 *  Its lines go through the run's reporter (`say`), so they print above the live status line. */
export async function openRunDashboard(
  root: string,
  say: { notice: (line: string) => void; warn: (line: string) => void },
): Promise<{ stop: () => Promise<void> } | null> {
  try {
    const dashboard = await startDashboard({ root, deps: dashboardDeps(root) });
    say.notice(`dashboard: ${dashboard.url}`);
    await openInBrowser(dashboard.url, say.notice);
    return dashboard;
  } catch (error) {
    say.warn(`no dashboard for this run (${error instanceof Error ? error.message : String(error)}); watch it with: loki status`);
    return null;
  }
}

/** $BROWSER when set (the convention xdg-open follows too), else the platform's opener. A machine with
 *  no browser is no error: the link is printed, and `say` tells why nothing opened, in one line. */
async function openInBrowser(url: string, say: (line: string) => void = info): Promise<void> {
  const opener = process.env.BROWSER || whichBinary(process.platform === "darwin" ? "open" : "xdg-open");
  if (!opener) {
    say("no browser opener (xdg-open) found: open the link above yourself");
    return;
  }
  const result = await exec([opener, url], { timeoutMs: 15_000 });
  if (result.ok) return;
  const last = (result.stderr || result.digest).trim().split("\n").at(-1)?.replaceAll(url, "the link") ?? "";
  say(
    `${basename(opener)} opened no browser${last ? ` (${last.slice(0, 160)})` : ` (exit ${result.exitCode})`}: open the link above yourself`,
  );
}
