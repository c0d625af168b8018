// Output for people and logs for later: picocolors printers (stdout = results, stderr = messages;
// NO_COLOR respected; --quiet silences messages, never errors) and a pino file logger under
// .loki/logs/, loaded only when first used — its lines redacted (core/redact.ts), appended to a 0600 file.
import pc from "picocolors";
import { appendLine } from "./durable.ts";
import { redactText } from "./redact.ts";
import { verbosity } from "./verbosity.ts";

const colorOn = pc.isColorSupported && !process.env.NO_COLOR;
export const color = pc.createColors(colorOn);

/** A result line on stdout. */
export function out(text = ""): void {
  process.stdout.write(`${text}\n`);
}

/** Machine-readable result on stdout. */
export function outJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function info(text: string): void {
  if (verbosity() !== "quiet") process.stderr.write(`${text}\n`);
}

export function warn(text: string): void {
  if (verbosity() !== "quiet") process.stderr.write(`${color.yellow("warning:")} ${text}\n`);
}

export function errorLine(text: string): void {
  process.stderr.write(`${color.red("error:")} ${text}\n`);
}

export function hintLine(text: string): void {
  process.stderr.write(`${color.dim("hint:")} ${text}\n`);
}

type Logger = { info: (obj: object, msg?: string) => void; error: (obj: object, msg?: string) => void; flush?: () => void };
const loggers = new Map<string, Logger>();

/**
 * A pino logger writing synchronously to `file` (0600, its directory 0700, created on first use).
 * Each line is redacted before it is written: a stack or a message may quote an agent's secret.
 * A write that fails throws the named write error (core/durable.ts).
 */
export async function fileLogger(file: string): Promise<Logger> {
  const existing = loggers.get(file);
  if (existing) return existing;
  const { pino } = await import("pino");
  const destination = { write: (line: string) => void appendLine(file, redactText(line).text) };
  const logger = pino({ base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
  loggers.set(file, logger);
  return logger;
}
