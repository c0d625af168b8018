// `loki spec lock [spec]` and `loki spec status`: freeze the spec's items with per-item hashes,
// then report drift (added / removed / changed) through spec/drift.ts, re-fetching an issue-sourced
// spec. status exits 0 in sync, 1 drift, 3 error (no lock, or the spec cannot be read).
import { existsSync } from "node:fs";
import { relative } from "node:path";
import { loadConfig } from "../core/config.ts";
import { usageError } from "../core/errors.ts";
import { color, out, outJson, warn } from "../core/log.ts";
import { DriftReport, Spec, SpecLock } from "../core/schema.ts";
import { findRoot, readJson, workspaceAt, writeJson } from "../core/workspace.ts";
import { checkDrift } from "../spec/drift.ts";
import { buildLock } from "../spec/lock.ts";
import { readSpec, rereadArgs, writeIntake } from "../spec/read.ts";
import { COMMAND_EXIT, type ExitCode } from "../core/exit-codes.ts";

function context() {
  const root = findRoot();
  const loaded = loadConfig(root);
  for (const line of loaded.warnings) warn(line);
  return { root, ws: workspaceAt(root), config: loaded.config, cwd: process.cwd() };
}

export async function runSpecLock(arg: string | undefined, options: { json?: boolean }): Promise<ExitCode> {
  const { ws, config, cwd } = context();
  const previous = arg === undefined && existsSync(ws.spec) ? readJson(ws.spec, Spec) : undefined;
  const how = previous ? rereadArgs(previous.source) : { arg, explicit: {} };
  const spec = await readSpec(how.arg, { cwd, config, env: process.env, explicit: how.explicit });
  const now = new Date();
  writeIntake(ws, spec, now);
  const lock = writeJson(ws.specLock, SpecLock, buildLock(spec, now));
  if (options.json) outJson({ locked: true, path: ws.specLock, source: lock.source, items: lock.items.length });
  else out(`locked ${lock.items.length} items of ${spec.source.ref} in ${relative(cwd, ws.specLock)}`);
  return COMMAND_EXIT.ok;
}

export async function runSpecStatus(options: { json?: boolean }): Promise<ExitCode> {
  const { root, ws, config, cwd } = context();
  const drift = await checkDrift(root, config, process.env, { refetchIssue: true });
  if (drift.state === "unlocked") throw usageError(`no spec lock in ${ws.dir}`, { hint: "lock the spec first: loki spec lock ./prd.md" });
  // A spec that cannot be read is an error here (exit 3 with its own hint), not drift.
  if (drift.state === "unreadable") throw drift.cause;
  const report = writeJson(ws.driftReport, DriftReport, drift.report);
  if (options.json) outJson(report);
  else printDrift(report, relative(cwd, ws.driftReport));
  return report.in_sync ? COMMAND_EXIT.ok : COMMAND_EXIT.check_failed;
}

function printDrift(report: DriftReport, path: string): void {
  if (report.in_sync) {
    out(`${color.green("in sync")}: ${report.source_ref} matches the lock`);
    return;
  }
  out(`${color.yellow("drift")}: ${report.source_ref} changed since it was locked`);
  for (const item of report.added) out(`  ${color.green("+")} [${item.id}] ${item.text}`);
  for (const item of report.removed) out(`  ${color.red("-")} [${item.id}] ${item.text}`);
  for (const item of report.changed)
    out(
      `  ${color.yellow("~")} [${item.id}${item.new_id === item.id ? "" : ` → ${item.new_id}`}] ${item.before}\n      now: ${item.after}`,
    );
  out(`report: ${path}`);
  out("next: loki spec lock   (accept the new spec)");
}
