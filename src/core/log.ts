// Output for people and logs for later: picocolors printers (stdout = results, stderr = messages;
// NO_COLOR respected; --quiet silences messages, never errors) and the pino file log under .loki/logs/ —
// debug by default (LOKI_LOG_LEVEL), each line redacted (core/redact.ts), 0600, size-capped with one
// rotated generation. pino and the redaction rules load on first use.
import { closeSync, fchmodSync, fstatSync, mkdirSync, openSync, renameSync, statSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { pino as Pino } from "pino";
import { writeFailure } from "./durable.ts";
import type { redactText as RedactText } from "./redact.ts";
import { verbosity } from "./verbosity.ts";
import { color, writeErr, writeOut } from "./stdio.ts";

export { color } from "./stdio.ts";

/** A result line on stdout. */
export function out(text = ""): void {
  writeOut(`${text}\n`);
}

/** Machine-readable result on stdout. */
export function outJson(value: unknown): void {
  writeOut(`${JSON.stringify(value, null, 2)}\n`);
}

export function info(text: string): void {
  if (verbosity() !== "quiet") writeErr(`${text}\n`);
}

export function warn(text: string): void {
  if (verbosity() !== "quiet") writeErr(`${color.yellow("warning:")} ${text}\n`);
}

export function errorLine(text: string): void {
  writeErr(`${color.red("error:")} ${text}\n`);
}

export function hintLine(text: string): void {
  writeErr(`${color.dim("hint:")} ${text}\n`);
}

export type Logger = {
  debug: (obj: object, msg?: string) => void;
  info: (obj: object, msg?: string) => void;
  warn: (obj: object, msg?: string) => void;
  error: (obj: object, msg?: string) => void;
};

/** One log file holds this much before it becomes `<file>.1` (replacing the previous one). */
export const MAX_LOG_BYTES = 8 * 1024 * 1024;
const LEVELS = ["trace", "debug", "info", "warn", "error"] as const;
type Level = (typeof LEVELS)[number];

/** LOKI_LOG_LEVEL when it names a level (trace, debug, info, warn, error), else debug. */
export function logLevel(env: Record<string, string | undefined> = process.env): Level {
  const wanted = env.LOKI_LOG_LEVEL?.trim().toLowerCase();
  return LEVELS.find((level) => level === wanted) ?? "debug";
}

const loggers = new Map<string, Logger>();

/**
 * The pino logger writing synchronously to `file` (0600, its directory 0700, created on first use
 * inside an existing parent).
 * Each line is redacted before it is written: a stack, a message or an argv may quote a secret.
 * A write that fails throws the named write error (core/durable.ts).
 */
export function openLog(file: string): Logger {
  const existing = loggers.get(file);
  if (existing) return existing;
  // require, not import(): a debug line is written where it happens, and a command that never logs never loads
  // pino, nor the redaction rules and the secret detector (their module init is ~3 ms of every command's start).
  const { pino } = require("pino") as { pino: typeof Pino };
  const { redactText } = require("./redact.ts") as { redactText: typeof RedactText };
  const destination = { write: (line: string) => writeLogLine(file, redactText(line).text) };
  const logger = pino({ level: logLevel(), base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
  loggers.set(file, logger);
  return logger;
}

/** openLog for callers on the error path, which may await. */
export async function fileLogger(file: string): Promise<Logger> {
  return openLog(file);
}

/** Appends one whole line; past MAX_LOG_BYTES the file is rotated to `<file>.1` first. */
function writeLogLine(file: string, line: string): void {
  const bytes = Buffer.from(line, "utf8");
  let fd: number | null = null;
  try {
    fd = openLogFile(file);
    const stat = fstatSync(fd);
    if (stat.size > 0 && stat.size + bytes.length > MAX_LOG_BYTES) {
      closeSync(fd);
      fd = null;
      rotate(file, stat.ino);
      fd = openLogFile(file);
    } else if ((stat.mode & 0o777) !== 0o600) fchmodSync(fd, 0o600);
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
  } catch (error) {
    throw writeFailure(file, error);
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * Its directory is made when missing, but never its parents: a run's .loki/ that is gone (a removed
 * worktree, a deleted temp repo) is not brought back by a late line — that line is lost instead.
 */
function openLogFile(file: string): number {
  try {
    return openSync(file, "a", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  try {
    mkdirSync(dirname(file), { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return openSync(file, "a", 0o600);
}

/** Another process may have rotated the file meanwhile: only the file this one measured is moved. */
function rotate(file: string, ino: number): void {
  try {
    if (statSync(file).ino === ino) renameSync(file, `${file}.1`);
  } catch {
    // gone already: the next open starts a new file
  }
}

let runLog: string | null = null;

/** From now on this process's debug lines (logDebug: run events, every subprocess) go to `file`. */
export function useLogFile(file: string | null): void {
  runLog = file;
}

/** A debug line in the log file in use, if any. Never throws: a log that cannot be written loses the line, not the run. */
export function logDebug(fields: object, msg: string): void {
  if (runLog === null) return;
  try {
    openLog(runLog).debug(fields, msg);
  } catch {
    // a full disk or an unwritable .loki/logs/: the line is lost, the work goes on
  }
}

const ARG_CHARS = 300;
const ARGS = 40;

/** A command as the log shows it: long arguments (a system prompt, a script) and long argvs cut, saying how much. */
export function argvForLog(argv: readonly string[]): string[] {
  const shown = argv
    .slice(0, ARGS)
    .map((arg) => (arg.length > ARG_CHARS ? `${arg.slice(0, ARG_CHARS)}…(+${arg.length - ARG_CHARS} chars)` : arg));
  return argv.length > ARGS ? [...shown, `…(+${argv.length - ARGS} args)`] : shown;
}
