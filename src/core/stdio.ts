// loki's own stdout and stderr: text written straight to the file descriptor, and colors decided on
// first use. Bun builds process.stdout/stderr (node's stream machinery) the first time either is
// touched, which costs about 8 ms of every command's start; a write that would block is the only
// case left to the stream. A reader gone (EPIPE) drops the output; any other failure is exit 3.
import { writeSync } from "node:fs";
import type { Colors } from "picocolors/types";

type Fd = 1 | 2;
/** Descriptors whose writes go through the stream from now on: it still holds bytes to write. */
const streamed = new Set<Fd>();
const guarded = new Set<Fd>();
let failed = false;
let onFailure = () => {};

/** Whether writing stdout or stderr failed (not a reader gone): the command then ends with exit 3. */
export function outputFailed(): boolean {
  return failed;
}

/** Called when a write fails, also one the stream finishes after the command returned (the entry sets exit 3). */
export function whenOutputFails(callback: () => void): void {
  onFailure = callback;
}

function writeFailure(fd: Fd, error: NodeJS.ErrnoException): void {
  failed = true;
  onFailure();
  if (fd === 2) return;
  try {
    writeSync(2, `error: could not write stdout: ${error.code ?? error.message}\n`);
  } catch {
    // stderr failed too, or went away: the exit code says it
  }
}

/**
 * process.stdout or process.stderr, for code that needs a stream (a protocol on stdio, a pipe): a
 * reader that went away is no error there either, and no stack is printed for it.
 */
function stdStream(fd: Fd): NodeJS.WriteStream {
  const stream = fd === 1 ? process.stdout : process.stderr;
  if (!guarded.has(fd)) {
    guarded.add(fd);
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") writeFailure(fd, error);
    });
  }
  return stream;
}

/** Set while stdout carries a protocol (`loki mcp`): loki's own stdout text goes to stderr instead. */
let stdoutReserved = false;

/**
 * Reserves stdout for a protocol: from now on writeOut (and any write to process.stdout) goes to
 * stderr. Returns the one writer left for stdout: its stream, guarded like every other.
 */
export function reserveStdout(): NodeJS.WriteStream["write"] {
  const stream = stdStream(1);
  const protocolWrite = stream.write.bind(stream) as NodeJS.WriteStream["write"];
  stdoutReserved = true;
  const stderr = stdStream(2);
  stream.write = ((...args: Parameters<NodeJS.WriteStream["write"]>) => stderr.write(...(args as [string]))) as NodeJS.WriteStream["write"];
  return protocolWrite;
}

/** Writes all of `text` to `fd` now; a descriptor that would block (non-blocking, full) gets the
 *  rest through its stream, as does everything written to it after that, so nothing is reordered. */
function writeText(fd: Fd, text: string | Uint8Array): void {
  if (streamed.has(fd)) {
    stdStream(fd).write(text);
    return;
  }
  const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  for (let at = 0; at < bytes.length; ) {
    try {
      at += writeSync(fd, bytes, at);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EPIPE") return;
      if (code !== "EAGAIN") return writeFailure(fd, error as NodeJS.ErrnoException);
      streamed.add(fd);
      stdStream(fd).write(bytes.subarray(at));
      return;
    }
  }
}

export const writeOut = (text: string | Uint8Array): void => writeText(stdoutReserved ? 2 : 1, text);
export const writeErr = (text: string | Uint8Array): void => writeText(2, text);

/** Colors as picocolors decides them (NO_COLOR, --no-color, FORCE_COLOR, --color, a terminal, CI),
 *  asked of the terminal only when something is first colored. */
function colorsOn(env = process.env, argv = process.argv): boolean {
  if (env.NO_COLOR || argv.includes("--no-color")) return false;
  if (env.FORCE_COLOR || argv.includes("--color") || process.platform === "win32" || env.CI) return true;
  const { isatty } = require("node:tty") as typeof import("node:tty");
  return isatty(1) && env.TERM !== "dumb";
}

let colors: Colors | undefined;

/**
 * picocolors' printers with the decision above. picocolors looks at process.stdout when it loads
 * unless NO_COLOR is set: it is loaded with NO_COLOR set for that moment, then told the real answer.
 */
function printers(): Colors {
  if (colors !== undefined) return colors;
  const on = colorsOn();
  const before = process.env.NO_COLOR;
  process.env.NO_COLOR = "1";
  try {
    const pc = require("picocolors") as { createColors: (enabled: boolean) => Colors };
    colors = pc.createColors(on);
  } finally {
    if (before === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = before;
  }
  return colors;
}

type Printer = (text: string | number) => string;
const lazyPrinter =
  (name: "bold" | "cyan" | "dim" | "green" | "red" | "yellow" | "gray"): Printer =>
  (text) =>
    printers()[name](text);

/** The printers loki uses; each decides colors on its first call. */
export const color = {
  bold: lazyPrinter("bold"),
  cyan: lazyPrinter("cyan"),
  dim: lazyPrinter("dim"),
  green: lazyPrinter("green"),
  red: lazyPrinter("red"),
  yellow: lazyPrinter("yellow"),
  gray: lazyPrinter("gray"),
};
