// .loki/app/app.log: the app's output, redacted line by line before it is written (a secret the app
// prints never reaches the disk), kept under a size cap by rotating to app.log.1.
import { appendFileSync, readFileSync, renameSync, statSync } from "node:fs";
import { redactText } from "../core/redact.ts";

const MAX_BYTES = 4 * 1024 * 1024;
/** A line longer than this is written in pieces (a minified bundle printed whole). */
const MAX_LINE = 16 * 1024;

export type AppLog = { write: (chunk: string) => void; flush: () => void };

export function appLog(path: string): AppLog {
  let pending = "";
  const emit = (text: string) => {
    try {
      if ((statSync(path, { throwIfNoEntry: false })?.size ?? 0) > MAX_BYTES) renameSync(path, `${path}.1`);
      appendFileSync(path, redactText(text).text, { mode: 0o600 });
    } catch {
      // a full disk must not take the app down with it
    }
  };
  return {
    write(chunk) {
      pending += chunk;
      const cut = pending.lastIndexOf("\n");
      if (cut >= 0) {
        emit(pending.slice(0, cut + 1));
        pending = pending.slice(cut + 1);
      }
      if (pending.length > MAX_LINE) {
        emit(`${pending}\n`);
        pending = "";
      }
    },
    flush() {
      if (pending) emit(`${pending}\n`);
      pending = "";
    },
  };
}

/** The last `n` lines of the log (already redacted on the way in). */
export function logTail(path: string, n: number): string[] {
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.slice(-n).map((line) => (line.length > 500 ? `${line.slice(0, 500)}…` : line));
}
