// `--bg`: the run continues in a detached child (its own session and process group) that resumes
// the prepared run with the flags and the run lock its parent hands it (start.ts resumeFlags), logging
// to .loki/logs/run-<id>.log. The parent returns once the child runs its loop — or fails,
// with the child's own error, when the child ends before that.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname, relative } from "node:path";
import { internalError } from "../core/errors.ts";
import { handOverRunLock } from "../core/run-lock.ts";
import { processStart } from "../core/process-identity.ts";
import { selfCommand } from "../core/self.ts";
import type { Workspace } from "../core/workspace.ts";
import { readJson } from "../core/workspace.ts";
import { OrchestratorState } from "../core/run-schema.ts";
import { writeSession } from "../loop/run-state.ts";
import { readLogTail } from "./run-log.ts";

/** How long the parent watches the child start (providers, sandbox probe) before leaving it be. */
const START_WATCH_MS = 20_000;
const POLL_MS = 100;

export async function spawnBackground(
  ws: Workspace,
  runId: string,
  env: Record<string, string | undefined>,
  watchMs: number = START_WATCH_MS,
): Promise<{ pid: number; log: string }> {
  const log = ws.runLog(runId);
  mkdirSync(dirname(log), { recursive: true });
  const fd = openSync(log, "a");
  const child = spawn(selfCommand()[0] as string, [...selfCommand().slice(1), "resume", "--background-child"], {
    cwd: ws.root,
    env: { ...env, LOKI_BACKGROUND: "1", NO_COLOR: "1" },
    stdio: ["ignore", fd, fd],
    detached: true,
  });
  closeSync(fd);
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  child.unref();
  const pid = child.pid ?? 0;
  // The child runs the run: it gets the run lock (at no moment free) and is the session's process.
  await handOverRunLock(ws.runLock, pid);
  const state = readJson(ws.orchestrator, OrchestratorState);
  if (state) writeSession(ws, state, pid, await processStart(pid));
  await watchStart(ws, () => exited, watchMs);
  if (exited && stillStarting(ws)) throw diedOnStart(runId, log);
  return { pid, log };
}

/** Until the child's loop runs (the state leaves `starting`), the child ends, or time is up. */
async function watchStart(ws: Workspace, exited: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until && !exited() && stillStarting(ws)) await Bun.sleep(POLL_MS);
}

function stillStarting(ws: Workspace): boolean {
  return readJson(ws.orchestrator, OrchestratorState)?.status === "starting";
}

/** The parent checked everything the child checks: a child that still fails is a broken invariant. */
function diedOnStart(runId: string, log: string) {
  const tail = readLogTail(log);
  const shown = relative(process.cwd(), log) || log;
  return internalError(`the background run ${runId} ended before it started: ${tail?.error ?? tail?.last ?? "it wrote nothing"}`, {
    hint: `${tail?.hint ? `${tail.hint}; then ` : ""}continue it with: loki resume   (its log: ${shown})`,
  });
}
