// `loki provider list|show|set`: which coding-agent CLIs are usable, which one this repository
// uses (and where that choice comes from), and choosing one (written to .loki/config.yaml).
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { loadConfig, type ProviderId } from "../core/config.ts";
import { color, info, out, outJson, warn } from "../core/log.ts";
import { ensureWorkspace, findRoot, workspaceAt, writeFileAtomic } from "../core/workspace.ts";
import { detectProvider, foundAt } from "../providers/detect.ts";
import { loadProvider, loadProviders } from "../providers/registry.ts";
import { COMMAND_EXIT, type ExitCode } from "../core/exit-codes.ts";

export async function runProviderList(options: { json?: boolean }): Promise<ExitCode> {
  const ctx = { env: process.env, cwd: process.cwd() };
  const statuses = await Promise.all((await loadProviders()).map((record) => detectProvider(record, ctx)));
  if (options.json) {
    outJson({ schema_version: 1, providers: statuses });
    return COMMAND_EXIT.ok;
  }
  for (const p of statuses) {
    const state = p.usable ? color.green("usable") : p.installed ? color.yellow("not logged in") : color.dim("not installed");
    const where = foundAt(p, ctx.cwd);
    out(
      `${p.id.padEnd(9)} ${p.title.padEnd(12)} ${(p.version ?? "-").padEnd(10)} ${state}${where ? color.dim(`  ${where}`) : ""}${p.fix ? `   fix: ${p.fix}` : ""}`,
    );
  }
  return COMMAND_EXIT.ok;
}

export async function runProviderShow(options: { json?: boolean }): Promise<ExitCode> {
  const root = findRoot();
  const loaded = loadConfig(root);
  for (const w of loaded.warnings) warn(w);
  const id = loaded.config.provider;
  const source = loaded.origins.get("provider") ?? "default";
  const record = await loadProvider(id);
  const status = await detectProvider(record, { env: process.env, cwd: process.cwd() });
  if (options.json) {
    outJson({ schema_version: 1, provider: id, source, model: loaded.config.model ?? null, failover: loaded.config.failover, status });
    return COMMAND_EXIT.ok;
  }
  out(`provider: ${color.bold(id)} (${record.title}) — from ${source}`);
  if (loaded.config.model) out(`model: ${loaded.config.model}`);
  if (loaded.config.failover.length > 0) out(`failover: ${loaded.config.failover.join(" → ")}`);
  const where = foundAt(status, process.cwd());
  if (status.path) out(`binary: ${status.path}${where && where !== status.path ? ` (${where})` : ""}`);
  out(
    status.usable
      ? `status: usable (${status.version ?? "version unknown"})`
      : `status: not usable: ${status.problem} — fix: ${status.fix}`,
  );
  return COMMAND_EXIT.ok;
}

export async function runProviderSet(name: ProviderId): Promise<ExitCode> {
  const ws = workspaceAt(findRoot());
  loadConfig(ws.root); // an unreadable config is reported before anything is written
  ensureWorkspace(ws);
  let text = "";
  try {
    text = readFileSync(ws.config, "utf8");
  } catch {
    // no config yet: start an empty document
  }
  const doc = parseDocument(text);
  doc.set("provider", name);
  writeFileAtomic(ws.config, doc.toString());
  const after = loadConfig(ws.root);
  if (after.config.provider !== name) warn(`the environment overrides this (${after.origins.get("provider")}): unset LOKI_PROVIDER`);
  const record = await loadProvider(name);
  const status = await detectProvider(record, { env: process.env, cwd: process.cwd() });
  info(`provider set to ${name} in ${ws.config}`);
  if (!status.usable) warn(`${record.title} is not usable here yet: ${status.fix}`);
  return COMMAND_EXIT.ok;
}
