// `loki trust` (the trajectory across runs) and `loki cost` (what runs cost, exact or estimated).
// Nothing recorded yet: "no data yet", never a table of zeros.
import { out, outJson } from "../core/log.ts";
import { findRoot, workspaceAt } from "../core/workspace.ts";
import { readBills, readTrajectory } from "../run/metrics.ts";
import { COMMAND_EXIT, type ExitCode } from "../core/exit-codes.ts";

const pct = (v: number | null) => (v === null ? "no data" : `${Math.round(v * 100)} %`);

export async function runTrust(options: { json?: boolean }): Promise<ExitCode> {
  const t = readTrajectory(workspaceAt(findRoot()));
  if (options.json) {
    outJson({ schema_version: 1, trajectory: t });
    return COMMAND_EXIT.ok;
  }
  if (!t) {
    out("no data yet: trust metrics start with your first run (loki start ./prd.md)");
    return COMMAND_EXIT.ok;
  }
  out(
    `runs                      ${t.runs} (${
      [...Object.entries(t.outcomes).map(([k, v]) => `${v} ${k}`), ...(t.unfinished ? [`${t.unfinished} unfinished`] : [])].join(", ") ||
      "none finished"
    })`,
  );
  out(`council pass rate         ${pct(t.council_pass_rate)}${t.council_rounds ? ` over ${t.council_rounds} rounds` : ""}`);
  out(`gate pass rate            ${pct(t.gate_pass_rate)}${t.gate_results ? ` over ${t.gate_results} gate results` : ""}`);
  out(`held-out failure rate     ${pct(t.heldout_fail_rate)}`);
  out(`reviewer mutations        ${t.reviewer_mutations}`);
  out(`iterations to completion  ${t.iterations_to_completion ?? "no verified run yet"}`);
  out(
    `cost per verified run     ${t.cost_per_verified_run_usd === null ? "no verified run yet" : `$${t.cost_per_verified_run_usd.toFixed(2)}`}`,
  );
  return COMMAND_EXIT.ok;
}

export async function runCost(options: { last?: number; json?: boolean }): Promise<ExitCode> {
  const all = readBills(workspaceAt(findRoot()));
  const shown = options.last ? all.slice(-options.last) : all;
  if (options.json) {
    outJson({ schema_version: 1, runs: shown, total_usd: Math.round(shown.reduce((s, r) => s + r.usd, 0) * 10000) / 10000 });
    return COMMAND_EXIT.ok;
  }
  if (shown.length === 0) {
    out("no data yet: costs are recorded from your first run (loki start ./prd.md)");
    return COMMAND_EXIT.ok;
  }
  for (const bill of shown) {
    out(`run ${bill.run_id}  $${bill.usd.toFixed(4)} (${bill.basis})  ${bill.calls} calls`);
    for (const it of bill.iterations)
      out(
        `  iteration ${String(it.iteration).padStart(2)}  $${it.usd.toFixed(4)}  ${it.basis === "exact" || it.basis === "declared" ? it.basis : `${it.basis} *`}  ${it.roles.join(", ")}`,
      );
  }
  if (shown.some((b) => b.basis === "declared"))
    out("declared: token counts at the price you declared for the provider (providers.<id>.price in loki.yaml)");
  if (shown.some((b) => b.basis === "estimated" || b.basis === "mixed"))
    out("* estimated: priced from token counts with src/data/pricing.json, or at a conservative floor when a call reported nothing");
  return COMMAND_EXIT.ok;
}
