// Output for people and logs for later: picocolors printers (stdout = results, stderr = messages;
// NO_COLOR respected) and a pino file logger under .loki/logs/, loaded only when first used.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import pc from "picocolors";

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
  process.stderr.write(`${text}\n`);
}

export function warn(text: string): void {
  process.stderr.write(`${color.yellow("warning:")} ${text}\n`);
}

export function errorLine(text: string): void {
  process.stderr.write(`${color.red("error:")} ${text}\n`);
}

export function hintLine(text: string): void {
  process.stderr.write(`${color.dim("hint:")} ${text}\n`);
}

type Logger = { info: (obj: object, msg?: string) => void; error: (obj: object, msg?: string) => void; flush?: () => void };
const loggers = new Map<string, Logger>();

/** A pino logger writing synchronously to `file` (created on first use). */
export async function fileLogger(file: string): Promise<Logger> {
  const existing = loggers.get(file);
  if (existing) return existing;
  mkdirSync(dirname(file), { recursive: true });
  const { pino } = await import("pino");
  const logger = pino(
    { base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: file, sync: true, mkdir: true }),
  );
  loggers.set(file, logger);
  return logger;
}
