// `loki preview` (alias `loki open`): start or attach to the repository's app and print its URL once
// it is live; `preview status|stop|logs`; and `preview __supervise`, the detached process that owns
// the app (src/app/supervisor.ts). Exit codes: 0 live / done, 1 not live, 3 error.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../core/config.ts";
import { gitError } from "../core/errors.ts";
import type { AppState } from "../core/app-schema.ts";
import { COMMAND_EXIT, type ExitCode } from "../core/exit-codes.ts";
import { color, info, out, outJson } from "../core/log.ts";
import { ownStart } from "../core/process-identity.ts";
import { findRoot, workspaceAt } from "../core/workspace.ts";
import { effectiveStatus, ensurePreview, previewLogs, readPreview, stopPreview } from "../app/control.ts";
import { supervise } from "../app/supervisor.ts";
import { appWrap, spawnSupervisor } from "../run/preview.ts";
import { detectSandbox } from "../sandbox/detect.ts";
import { openInBrowser } from "./open-browser.ts";

/** A subcommand of `preview`: its --json is preview's own option. */
type WithParent = { optsWithGlobals: () => { json?: boolean } };

export type PreviewOptions = { open?: boolean; json?: boolean; restart?: boolean; wait?: number; sandbox?: boolean };

/** The repository's root; a directory outside any repository gets no .loki/ written into it. */
function previewRoot(): string {
  const root = findRoot();
  if (!existsSync(join(root, ".git")))
    throw gitError(`${process.cwd()} is not inside a git repository`, {
      hint: "cd into your project's repository, or run `git init` there",
    });
  return root;
}

/** `loki preview`: live → the URL at once; otherwise start it (or wait for it) and report. */
export async function runPreview(options: PreviewOptions): Promise<ExitCode> {
  const root = previewRoot();
  const ws = workspaceAt(root);
  const { config } = loadConfig(root);
  const waitMs = (options.wait ?? config.app.ready_timeout_seconds) * 1000;
  const ensured = await ensurePreview(ws, {
    spawn: () => spawnSupervisor(ws, process.env, null, options.sandbox === false),
    env: process.env,
    by: "loki preview",
    waitMs,
    ...(options.restart ? { restart: true } : {}),
    ...(config.app.command ? { override: config.app.command } : {}),
    onChange: options.json ? undefined : progress,
  });
  if (ensured.kind === "none") {
    if (options.json) outJson({ status: "none", detection: ensured.detection });
    else info(`no app to run: ${ensured.detection.reason}`);
    return COMMAND_EXIT.check_failed;
  }
  const status = effectiveStatus(ensured);
  const state = ensured.state;
  if (options.json) outJson({ status, attached: ensured.kind === "attached", state });
  if (status === "live" && state?.url) {
    if (!options.json) {
      out(`Your app is live at ${state.url}`);
      if (!state.sandboxed && state.kind !== "compose" && state.kind !== "dockerfile" && state.kind !== "static")
        info("(it runs unsandboxed: no bwrap here, or --no-sandbox)");
      info("loki preview stop ends it · loki preview logs shows its output");
    }
    if (options.open ?? interactive()) await openInBrowser(state.url, { info, warn: info }, "link");
    return COMMAND_EXIT.ok;
  }
  if (!options.json) explain(status, state, waitMs);
  return COMMAND_EXIT.check_failed;
}

function progress(state: AppState): void {
  if (state.status === "starting" && !state.url) info(`starting: ${state.command}`);
  else if (state.status === "starting") info(`waiting for ${state.url} to answer (port from ${state.port_source})`);
  else if (state.status === "crashed") info(`the app ended: ${state.detail ?? "no reason recorded"}`);
  else if (state.status === "unhealthy") info(`not healthy: ${state.detail ?? ""}`);
}

function explain(status: string, state: AppState | null, waitMs: number): void {
  if (status === "crashed") {
    info(color.red(`the app crashed: ${state?.detail ?? "no reason recorded"}`));
    for (const line of state?.log_tail ?? []) info(`  ${line}`);
    info("the whole log: loki preview logs · after a fix: loki preview");
  } else if (status === "stopped") {
    info(
      `the preview stopped: ${state?.detail ?? "its supervisor ended (its errors: .loki/app/supervisor.log)"}; start it with: loki preview`,
    );
  } else {
    info(
      `not live after ${Math.round(waitMs / 1000)} s (${status}${state?.detail ? `: ${state.detail}` : ""}); it keeps trying in the background`,
    );
    info("watch it: loki preview status · its output: loki preview logs · end it: loki preview stop");
  }
}

const interactive = () => Boolean(process.stdout.isTTY) && !process.env.CI && process.env.LOKI_NO_AUTO_OPEN !== "1";

/** `loki preview status [--json]`: what runs, where, and how healthy; never starts anything. */
export async function runPreviewStatus(_options: unknown, command: WithParent): Promise<ExitCode> {
  const options = command.optsWithGlobals();
  const ws = workspaceAt(previewRoot());
  const view = readPreview(ws);
  const status = effectiveStatus(view);
  if (options.json) {
    outJson({ status, state: view.state });
    return status === "live" ? COMMAND_EXIT.ok : COMMAND_EXIT.check_failed;
  }
  if (!view.state) out("no preview has run here; start one with: loki preview");
  else {
    out(`${status}${view.state.url ? ` at ${view.state.url}` : ""} — ${view.state.command}`);
    if (view.state.detail) out(`  ${view.state.detail}`);
    out(
      `  restarts: ${view.state.restarts}${view.state.live_at ? ` · live since ${view.state.live_at}` : ""}${view.state.sandboxed ? " · sandboxed" : ""}`,
    );
  }
  return status === "live" ? COMMAND_EXIT.ok : COMMAND_EXIT.check_failed;
}

/** `loki preview stop`: the app and everything it started go down. */
export async function runPreviewStop(_options: unknown, command: WithParent): Promise<ExitCode> {
  const options = command.optsWithGlobals();
  const ws = workspaceAt(previewRoot());
  const result = await stopPreview(ws, "loki preview stop");
  if (options.json) outJson({ stopped: result.stopped, url: result.was?.url ?? null });
  else out(result.stopped ? `stopped the app${result.was?.url ? ` at ${result.was.url}` : ""}` : "no preview was running");
  return COMMAND_EXIT.ok;
}

/** `loki preview logs [-n N]`: the end of the app's (redacted) log. */
export async function runPreviewLogs(options: { lines?: number }): Promise<ExitCode> {
  const ws = workspaceAt(previewRoot());
  const lines = previewLogs(ws, options.lines ?? 100);
  if (lines.length === 0) info(`no app log yet (${ws.appLog})`);
  for (const line of lines) out(line);
  return COMMAND_EXIT.ok;
}

/** `loki preview __supervise`: the detached supervisor (not for people; `loki preview` starts it). */
export async function runSupervise(options: { run?: string; sandbox?: boolean }): Promise<ExitCode> {
  const root = findRoot();
  const ws = workspaceAt(root);
  const { config } = loadConfig(root);
  const controller = new AbortController();
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, () => controller.abort());
  // Only the process that started this one decides about the sandbox (--no-sandbox): the tree's own
  // loki.yaml is the agent's to write, so its `sandbox:` must not switch the app's sandbox off.
  let wrap = undefined;
  if (options.sandbox !== false) {
    const sandbox = await detectSandbox();
    if (sandbox.available) wrap = appWrap(ws, sandbox.path);
  }
  await supervise({
    ws,
    env: process.env,
    ...(config.app.command ? { override: config.app.command } : {}),
    ...(wrap ? { wrap } : {}),
    runId: options.run ?? null,
    self: { pid: process.pid, start: await ownStart() },
    readyTimeoutMs: config.app.ready_timeout_seconds * 1000,
    maxRestarts: config.app.max_restarts,
    signal: controller.signal,
  });
  return COMMAND_EXIT.ok;
}
