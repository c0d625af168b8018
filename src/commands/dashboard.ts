// `loki dashboard` and the dashboard `loki start` opens: wires the dashboard server (src/dashboard/,
// which reads .loki/ only) to `loki status`'s report, the shared run controls and the proof check,
// prints its link and opens it (open-browser.ts; when `loki start` may open one: run/dashboard-policy.ts).
import { existsSync } from "node:fs";
import type { DashboardDeps } from "../dashboard/deps.ts";
import { startDashboard } from "../dashboard/server.ts";
import { COMMAND_EXIT, type ExitCode } from "../core/exit-codes.ts";
import { info } from "../core/log.ts";
import { findRoot, workspaceAt } from "../core/workspace.ts";
import { verifyProof } from "../proof/verify.ts";
import { pauseRun, requestBudget, requestModel, runModels, stopRun, unpauseRun } from "../run/control.ts";
import { readStatus } from "../run/status.ts";
import { openInBrowser } from "./open-browser.ts";

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
  // The one-use launch link, never `url` (the token): what a browser opens lands in its history on disk.
  info(`dashboard for ${root}: ${dashboard.launchUrl}`);
  info("(the link opens one tab, once; run `loki dashboard` again for another. Ctrl+C ends the dashboard, not the run)");
  if (options.open !== false) await openInBrowser(dashboard.launchUrl, { info, warn: info }, "link");
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
    say.notice(`dashboard: ${dashboard.launchUrl}`);
    await openInBrowser(dashboard.launchUrl, { info: say.notice, warn: say.notice }, "link");
    return dashboard;
  } catch (error) {
    say.warn(`no dashboard for this run (${error instanceof Error ? error.message : String(error)}); watch it with: loki status`);
    return null;
  }
}
