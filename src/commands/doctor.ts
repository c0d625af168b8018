// `loki doctor [--json]`: print the first real problem and its fix, then the environment checks
// (git, Bun, providers, the agent sandbox, each custom endpoint loki.yaml configures); exit 1 when no
// provider is usable, no sandbox is available, or a configured endpoint fails its check.
import { color, out, outJson } from "../core/log.ts";
import { foundAt } from "../providers/detect.ts";
import { type Check, diagnose, headlineOf } from "../providers/doctor.ts";
import { detectSandbox, type SandboxAvailability } from "../sandbox/detect.ts";
import { COMMAND_EXIT, type ExitCode } from "../core/exit-codes.ts";
import { loadConfig } from "../core/config.ts";
import { configuredEndpoints, type Endpoint } from "../core/endpoints.ts";
import { LokiError, messageOf } from "../core/errors.ts";
import { configLevers, modelFor } from "../core/models.ts";
import type { ProviderId } from "../core/provider-ids.ts";
import { checkEndpoint } from "../providers/endpoint-check.ts";

export async function runDoctor(options: { json?: boolean }): Promise<ExitCode> {
  const cwd = process.cwd();
  const configured = endpointsHere(cwd);
  const endpoints = "error" in configured ? {} : configured.endpoints;
  const [diagnosed, sandbox, endpointChecks] = await Promise.all([
    diagnose({ env: process.env, cwd, endpoints }),
    detectSandbox(),
    "error" in configured
      ? [configured.error]
      : Promise.all(
          Object.entries(endpoints).map(([id, endpoint]) => checkEndpoint(id as ProviderId, endpoint, configured.models[id] ?? "?")),
        ),
  ]);
  const checks = [...diagnosed.checks, sandboxCheck(sandbox), ...endpointChecks];
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

/** The endpoints the configuration here sets, and the build model each is sent; a config that does not load is a failed check. */
function endpointsHere(
  cwd: string,
): { endpoints: Partial<Record<ProviderId, Endpoint>>; models: Record<string, string> } | { error: Check } {
  try {
    const { config } = loadConfig(cwd);
    const endpoints = configuredEndpoints(config, process.env);
    const levers = configLevers(config, process.env);
    const models = Object.fromEntries(
      Object.keys(endpoints).map((id) => [id, modelFor({ provider: id as ProviderId, tier: "standard", phase: "act", levers }).model]),
    );
    return { endpoints, models };
  } catch (error) {
    const hint = error instanceof LokiError ? error.hint : undefined;
    return { error: { name: "config", status: "fail", version: null, detail: messageOf(error), fix: hint ?? null } };
  }
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
