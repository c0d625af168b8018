// `loki doctor [--json]`: print the environment checks; exit 1 when no provider is usable.
import { color, out, outJson } from "../core/log.ts";
import { diagnose } from "../providers/doctor.ts";
import { COMMAND_EXIT, type ExitCode } from "../core/exit-codes.ts";

export async function runDoctor(options: { json?: boolean }): Promise<ExitCode> {
  const report = await diagnose({ env: process.env, cwd: process.cwd() });
  if (options.json) {
    outJson(report);
    return report.ok ? COMMAND_EXIT.ok : COMMAND_EXIT.check_failed;
  }
  const mark = { ok: color.green("ok  "), warn: color.yellow("warn"), fail: color.red("FAIL") };
  for (const check of report.checks) {
    out(`${mark[check.status]}  ${check.name.padEnd(9)} ${check.version ?? ""}${check.version ? "  " : ""}${check.detail}`);
    if (check.fix) out(`      fix: ${check.fix}`);
  }
  out("");
  out(color.bold("providers"));
  for (const p of report.providers) {
    const state = !p.installed ? color.dim("not installed") : p.auth === "missing" ? color.yellow("not logged in") : p.auth === "unknown" ? "installed (login not checked)" : color.green(`ready (${p.auth_source})`);
    out(`  ${p.id.padEnd(9)} ${(p.version ?? "").padEnd(10)} ${state}`);
    if (p.fix) out(`            ${color.dim("fix:")} ${p.fix}`);
  }
  return report.ok ? COMMAND_EXIT.ok : COMMAND_EXIT.check_failed;
}
