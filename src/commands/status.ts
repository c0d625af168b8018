// `loki status [--json]`: print the current run of this repository ("inactive" when none) with its task
// queue, the runs delegated to worktrees — each finished one by its outcome, a dead one with why, its log and
// what next — and the Live App Preview's status when one has run here. Never prints a checklist item's text.
import { relative } from "node:path";
import { color, out, outJson } from "../core/log.ts";
import type { QueueView } from "../core/queue-schema.ts";
import type { Outcome } from "../core/run-schema.ts";
import { clip, oneLine } from "../core/text.ts";
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

/** A planner's title or a check's failure as one line of at most `max` characters (terminal-safe). */
const line = (text: string, max: number) => clip(oneLine(text).trim(), max);

/** The queue in one line, then one per dead-lettered task. The checklist worked as its one task says
 *  nothing more than the run's own lines — but when the planner failed to plan, that is said. */
export function queueLines(q: QueueView): string[] {
  const total = q.done.length + (q.current ? 1 : 0) + q.pending.length + q.dead_letter.length;
  const single = q.source !== "planner" && total === 1 && q.dead_letter.length === 0;
  if (total === 0 || (single && q.source === "checklist")) return [];
  if (single) return ["tasks: the planner gave no usable plan; the checklist is worked as one task"];
  const attempt = q.current && q.current.attempts > 0 ? ` (attempt ${q.current.attempts + 1})` : "";
  const parts = [
    `${q.done.length} done`,
    q.current ? `current ${q.current.id} "${line(q.current.title, 60)}"${attempt}` : "no current task",
    `${q.pending.length} pending`,
    ...(q.dead_letter.length > 0 ? [`${q.dead_letter.length} dead-lettered`] : []),
    ...(q.replans > 0 ? [`${q.replans} re-plan${q.replans === 1 ? "" : "s"}`] : []),
  ];
  const dead = q.dead_letter.map(
    (t) =>
      `  dead-lettered ${t.id} "${line(t.title, 60)}" after ${t.attempts} attempt${t.attempts === 1 ? "" : "s"}${t.last_failure ? `: ${line(t.last_failure, 100)}` : ""}`,
  );
  return [`tasks: ${parts.join(" · ")}`, ...dead];
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
    if (report.queue) for (const text of queueLines(report.queue)) out(text);
    details(report, "");
    if (report.signals.pause || report.signals.stop)
      out(`signals: ${[report.signals.pause && "PAUSE", report.signals.stop && "STOP"].filter(Boolean).join(", ")}`);
  }
  for (const d of report.delegated) {
    out(`delegated: ${label(d.status, d)}  run ${d.run_id}  ${d.spec}  in ${d.dir}${d.pid_alive ? "" : " (not running)"}`);
    details(d, "  ");
    if (d.next !== report.next) out(`  next: ${d.next}`);
  }
  // Loaded here only: `status --json` of a repository with a run does not pay for it.
  const { readAppView } = await import("../core/app-control.ts");
  const app = readAppView(workspaceAt(report.root)).state;
  if (app) out(`app: ${app.status}${app.url && app.status === "live" ? ` at ${app.url}` : ""}   (loki preview status)`);
  out(`next: ${report.next}`);
  return COMMAND_EXIT.ok;
}
