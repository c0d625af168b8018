// The `loki` entry. The calls scripts and prompts make most — `loki version`, `loki status --json` in a
// repository with no run — are answered here (commands/instant.ts) without loading the commander program,
// its schemas and its commands (src/program.ts), which answers everything else, errors included.
import { writeSync } from "node:fs";
import { quickAnswer } from "./commands/instant.ts";
import { ERROR_EXIT } from "./core/exit-codes.ts";

let writeFailed = false;

/** Output that could not be written (a full disk, EIO): said in one line, exit 3 — never a stack, never 0. */
function writeFailure(name: string, error: NodeJS.ErrnoException): void {
  writeFailed = true;
  process.exitCode = ERROR_EXIT.workspace;
  try {
    writeSync(2, `error: could not write ${name}: ${error.code ?? error.message}\n`);
  } catch {
    // stderr is what failed, or went away: the exit code says it
  }
}

/**
 * A reader that went away (`loki doctor | head -3`) is no error: what no one reads is dropped and the
 * command ends with its own exit code, instead of Bun printing the unhandled EPIPE with a stack.
 */
function guardWrites(stream: NodeJS.WriteStream, name: string): void {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") writeFailure(name, error);
  });
}

/** `text` on stdout without Node's stream (its setup is most of a quick answer's cost), as the program's
 *  stream would end: a reader gone (EPIPE) is exit 0, any other failure exit 3. A stdout that would
 *  block (non-blocking, full) gets the rest through the stream, which waits for it. */
function writeAll(text: string): void {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; ) {
    try {
      at += writeSync(1, bytes, at);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EPIPE") return;
      if (code !== "EAGAIN") return writeFailure("stdout", error as NodeJS.ErrnoException);
      guardWrites(process.stdout, "stdout");
      process.stdout.write(bytes.subarray(at));
      return;
    }
  }
}

/** The quick answer for argv, or null: also when finding it failed (the program then says why). */
function answered(argv: string[]): string | null {
  try {
    return quickAnswer(argv);
  } catch {
    return null;
  }
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const quick = answered(argv);
  // No top-level await: the compiled binary is built with --bytecode, which needs a plain entry.
  if (quick !== null) writeAll(quick);
  else {
    guardWrites(process.stdout, "stdout");
    guardWrites(process.stderr, "stderr");
    void import("./program.ts")
      .then((program) => program.main(argv))
      .then((code) => {
        process.exitCode = writeFailed ? ERROR_EXIT.workspace : code;
      });
  }
}
