// `loki status [--json]`: print the current run of this repository ("inactive" when none), and the
// runs delegated to worktrees — each finished one by its outcome, a dead one with why, its log and what next —
// and the Live App Preview's status when one has run here.
import { relative } from "node:path";
import { color, out, outJson } from "../core/log.ts";
import type { Outcome } from "../core/run-schema.ts";
import { findRoot, workspaceAt } from "../core/workspace.ts";
import { readStatus, type RunEnd } from "../run/status.ts";
import { COMMAND_EXIT, type ExitCode } from "../core/exit-codes.ts";

/** How a finished run is named: by how it ended (the session's status alone says `stopped` for five of these). */
const ENDED: Record<Outcome, string> = {
  verified: "verified",
  interrupted: "interrupted",
  stopped: "stopped",
  stalled: "stalled",
  max_iterations: "capped (iterations)",
  max_duration: "capped (time)",
  budget_exceeded: "budget cap reached",
  blocked: "blocked",
  failed: "failed",
  error: "error",
};

function label(status: string, end: RunEnd): string {
  return status !== "dead" && end.outcome ? ENDED[end.outcome] : status;
}

/** The reason and the log of a run that ended or died, indented under its headline. */
function details(end: RunEnd, indent: string): void {
  if (end.reason) out(`${indent}reason: ${end.reason}`);
  if (end.log && (end.reason || end.outcome)) out(`${indent}log: ${relative(process.cwd(), end.log) || end.log}`);
}

export async function runStatus(options: { json?: boolean }): Promise<ExitCode> {
  const report = await readStatus(findRoot());
  if (options.json) {
    outJson(report);
    return COMMAND_EXIT.ok;
  }
  if (report.status === "inactive") {
    out(`loki: ${color.dim("inactive")} — no run in ${report.root}`);
  } else {
    out(
      `loki: ${color.bold(label(report.status, report))}  run ${report.run_id}  provider ${report.provider}  pid ${report.pid}${report.pid_alive ? "" : " (not running)"}`,
    );
    out(`spec: ${report.spec}   started ${report.started_at}   updated ${report.updated_at}`);
    const p = report.progress;
    if (p) {
      const money = `$${p.spent_usd.toFixed(2)}${p.limit_usd === null ? "" : ` of $${p.limit_usd.toFixed(2)}`}`;
      out(
        `iteration ${p.iteration}/${p.max_iterations}  phase ${p.phase}  model ${p.model}  spent ${money}${p.last_verdict ? `  last ship gate ${p.last_verdict}` : ""}${p.outcome ? `  outcome ${p.outcome}` : ""}`,
      );
    }
    details(report, "");
    if (report.signals.pause || report.signals.stop)
      out(`signals: ${[report.signals.pause && "PAUSE", report.signals.stop && "STOP"].filter(Boolean).join(", ")}`);
  }
  for (const d of report.delegated) {
    out(`delegated: ${label(d.status, d)}  run ${d.run_id}  ${d.spec}  in ${d.dir}${d.pid_alive ? "" : " (not running)"}`);
    details(d, "  ");
    if (d.next !== report.next) out(`  next: ${d.next}`);
  }
  // Loaded here only: `status --json` (scripts, the benchmark's 20 ms target) does not pay for it.
  const { readAppView } = await import("../core/app-control.ts");
  const app = readAppView(workspaceAt(report.root)).state;
  if (app) out(`app: ${app.status}${app.url && app.status === "live" ? ` at ${app.url}` : ""}   (loki preview status)`);
  out(`next: ${report.next}`);
  return COMMAND_EXIT.ok;
}
