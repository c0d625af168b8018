// `loki doctor [--json]`: print the first real problem and its fix, then the environment checks
// (git, Bun, providers, the agent sandbox); exit 1 when no provider is usable or no sandbox is available.
import { color, out, outJson } from "../core/log.ts";
import { foundAt } from "../providers/detect.ts";
import { type Check, diagnose, headlineOf } from "../providers/doctor.ts";
import { detectSandbox, type SandboxAvailability } from "../sandbox/detect.ts";
import { COMMAND_EXIT, type ExitCode } from "../core/exit-codes.ts";

export async function runDoctor(options: { json?: boolean }): Promise<ExitCode> {
  const cwd = process.cwd();
  const [diagnosed, sandbox] = await Promise.all([diagnose({ env: process.env, cwd }), detectSandbox()]);
  const checks = [...diagnosed.checks, sandboxCheck(sandbox)];
  const report = { ...diagnosed, headline: headlineOf(checks), checks, ok: checks.every((c) => c.status !== "fail") };
  if (options.json) {
    outJson(report);
    return report.ok ? COMMAND_EXIT.ok : COMMAND_EXIT.check_failed;
  }
  if (report.headline) out(`${color.red(color.bold("problem:"))} ${report.headline}\n`);
  const mark = { ok: color.green("ok  "), warn: color.yellow("warn"), fail: color.red("FAIL") };
  for (const check of report.checks) {
    out(`${mark[check.status]}  ${check.name.padEnd(9)} ${check.version ?? ""}${check.version ? "  " : ""}${check.detail}`);
    if (check.fix) out(`      fix: ${check.fix}`);
  }
  out("");
  out(color.bold("providers"));
  for (const p of report.providers) {
    const state = !p.installed
      ? color.dim("not installed")
      : p.auth === "missing"
        ? color.yellow("not logged in")
        : p.auth === "unknown"
          ? "installed (login not checked)"
          : color.green(`ready (${p.auth_source})`);
    out(`  ${p.id.padEnd(9)} ${(p.version ?? "").padEnd(10)} ${state}${p.path ? color.dim(`  ${foundAt(p, cwd)}`) : ""}`);
    if (p.fix) out(`            ${color.dim("fix:")} ${p.fix}`);
  }
  return report.ok ? COMMAND_EXIT.ok : COMMAND_EXIT.check_failed;
}

/** `loki start` refuses without a sandbox (unless --no-sandbox), so doctor fails without one too. */
function sandboxCheck(found: SandboxAvailability): Check {
  if (found.available)
    return {
      name: "sandbox",
      status: "ok",
      version: found.version,
      detail: `${found.kind} at ${found.path}: every agent call runs sandboxed`,
      fix: null,
    };
  return {
    name: "sandbox",
    status: "fail",
    version: found.version,
    detail: found.reason ?? "no OS sandbox",
    fix: `${found.install ?? "install bubblewrap"} (or run unsandboxed: loki start --no-sandbox)`,
  };
}
