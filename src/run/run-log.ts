// A run's log as `loki status` and a --bg parent read it: which file holds the run's output, and
// the last error (with its hint) its process wrote there before it ended — a dead run's reason.
// Reads only the file's tail; never throws (a log that cannot be read has nothing to say).
import { closeSync, existsSync, fstatSync, openSync, readSync } from "node:fs";
import type { Workspace } from "../core/workspace.ts";

const TAIL_BYTES = 64 * 1024;
// program.ts prints a LokiError as `error: <message>` and `hint: <hint>` (colored on a TTY only).
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

export type LogTail = {
  /** The last `error:` line's message, if the log has one. */
  error: string | null;
  /** The `hint:` line printed right after that error. */
  hint: string | null;
  /** The log's last non-empty line. */
  last: string | null;
  modifiedMs: number;
};

/** Where the run's output went: its own log (a --bg run's), else loki's log, else its event stream. */
export function runLogPath(ws: Workspace, runId: string): string | null {
  for (const path of [ws.runLog(runId), ws.logFile, ws.events]) if (existsSync(path)) return path;
  return null;
}

export function readLogTail(path: string): LogTail | null {
  let fd: number | null = null;
  try {
    fd = openSync(path, "r");
    const { size, mtimeMs } = fstatSync(fd);
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return parseLogTail(buffer.toString("utf8"), mtimeMs);
  } catch {
    return null;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** The last error, its hint and the last line of a log's text. Pure. */
export function parseLogTail(text: string, modifiedMs: number): LogTail {
  const lines = text
    .split("\n")
    .map((line) => line.replace(ANSI, "").trimEnd())
    .filter((line) => line.trim() !== "");
  const at = lines.findLastIndex((line) => line.startsWith("error:"));
  const next = at >= 0 ? lines[at + 1] : undefined;
  return {
    error: at >= 0 ? (lines[at]?.slice("error:".length).trim() ?? null) : null,
    hint: next?.startsWith("hint:") ? next.slice("hint:".length).trim() : null,
    last: lines.at(-1)?.trim() ?? null,
    modifiedMs,
  };
}
