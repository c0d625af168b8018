// `loki status [--json]`: print the current run of this repository ("inactive" when none).
import { color, out, outJson } from "../core/log.ts";
import { findRoot } from "../core/workspace.ts";
import { readStatus } from "../run/status.ts";
import { COMMAND_EXIT, type ExitCode } from "../core/exit-codes.ts";

export async function runStatus(options: { json?: boolean }): Promise<ExitCode> {
  const report = readStatus(findRoot());
  if (options.json) {
    outJson(report);
    return COMMAND_EXIT.ok;
  }
  if (report.status === "inactive") {
    out(`loki: ${color.dim("inactive")} — no run in ${report.root}`);
  } else {
    out(
      `loki: ${color.bold(report.status)}  run ${report.run_id}  provider ${report.provider}  pid ${report.pid}${report.pid_alive ? "" : " (not running)"}`,
    );
    out(`spec: ${report.spec}   started ${report.started_at}   updated ${report.updated_at}`);
    const p = report.progress;
    if (p) {
      const money = `$${p.spent_usd.toFixed(2)}${p.limit_usd === null ? "" : ` of $${p.limit_usd.toFixed(2)}`}`;
      out(
        `iteration ${p.iteration}/${p.max_iterations}  phase ${p.phase}  model ${p.model}  spent ${money}${p.last_verdict ? `  last ship gate ${p.last_verdict}` : ""}${p.outcome ? `  outcome ${p.outcome}` : ""}`,
      );
    }
    if (report.signals.pause || report.signals.stop)
      out(`signals: ${[report.signals.pause && "PAUSE", report.signals.stop && "STOP"].filter(Boolean).join(", ")}`);
  }
  for (const d of report.delegated)
    out(`delegated: ${d.status}  run ${d.run_id}  ${d.spec}  in ${d.dir}${d.pid_alive ? "" : " (not running)"}`);
  out(`next: ${report.next}`);
  return COMMAND_EXIT.ok;
}
