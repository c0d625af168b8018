// `--bg`: the run continues in a detached child (its own session and process group) that resumes
// the prepared run, logging to .loki/logs/run-<id>.log. The parent returns at once.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import type { Workspace } from "../core/workspace.ts";
import { readJson } from "../core/workspace.ts";
import { OrchestratorState } from "../core/run-schema.ts";
import { writeSession } from "../loop/run-state.ts";

/** How to run this same loki again: the compiled binary alone, or the runtime plus the entry script. */
export function selfCommand(): string[] {
  const script = process.argv[1];
  const compiled = !script || script.startsWith("/$bunfs") || script.includes("~BUN") || script === process.execPath;
  return compiled ? [process.execPath] : [process.execPath, script];
}

export function spawnBackground(ws: Workspace, runId: string, env: Record<string, string | undefined>): { pid: number; log: string } {
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
  child.unref();
  const pid = child.pid ?? 0;
  const state = readJson(ws.orchestrator, OrchestratorState);
  if (state) writeSession(ws, state, pid);
  return { pid, log };
}
