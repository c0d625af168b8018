// Control files a user (or `loki pause|resume|stop`) drops into .loki/: PAUSE, STOP, the agent's
// signals/DONE claim, and HUMAN_INPUT.md — injected only when LOKI_PROMPT_INJECTION=true.
import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Workspace } from "../core/workspace.ts";
import { writeFileAtomic } from "../core/workspace.ts";

export const HUMAN_INPUT_MAX_BYTES = 16 * 1024;

export function doneSignalPath(ws: Workspace): string {
  return join(ws.dir, "signals", "DONE");
}

export function readSignals(ws: Workspace): { pause: boolean; stop: boolean; done: boolean } {
  return { pause: existsSync(ws.pause), stop: existsSync(ws.stop), done: existsSync(doneSignalPath(ws)) };
}

/** Who left a signal, as its first line says ("paused by dashboard"); null when it says nothing
 *  readable (a file the user touched by hand). Capped: the line is data, shown in events. */
export function signalReason(path: string): string | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8").slice(0, 400);
  } catch {
    return null;
  }
  const first = text.split("\n", 1)[0]?.trim() ?? "";
  return first === "" ? null : first.slice(0, 200);
}

export function setSignal(path: string, reason: string): void {
  writeFileAtomic(path, `${reason}\n${new Date().toISOString()}\n`);
}

export function clearSignal(path: string): void {
  rmSync(path, { force: true });
}

export type HumanInput = { text: string } | { refused: string } | null;

/** The operator's note, once: renamed aside after reading. Symlinks and oversize files are refused. */
export function takeHumanInput(ws: Workspace, env: Record<string, string | undefined>, iteration: number): HumanInput {
  if (env.LOKI_PROMPT_INJECTION !== "true") return null;
  let stat;
  try {
    stat = lstatSync(ws.humanInput);
  } catch {
    return null;
  }
  const aside = join(ws.dir, "state", `human-input.${iteration}.md`);
  mkdirSync(dirname(aside), { recursive: true });
  if (stat.isSymbolicLink()) {
    rmSync(ws.humanInput, { force: true });
    return { refused: "HUMAN_INPUT.md is a symlink; ignored and removed" };
  }
  if (!stat.isFile()) return { refused: "HUMAN_INPUT.md is not a regular file; ignored" };
  if (stat.size > HUMAN_INPUT_MAX_BYTES) {
    renameSync(ws.humanInput, aside);
    return { refused: `HUMAN_INPUT.md is ${stat.size} bytes (limit ${HUMAN_INPUT_MAX_BYTES}); moved aside unread` };
  }
  const text = readFileSync(ws.humanInput, "utf8");
  renameSync(ws.humanInput, aside);
  return text.trim() === "" ? null : { text };
}
