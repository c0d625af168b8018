// The `loki` entry. The calls scripts and prompts make most — `loki version`, `loki status --json` in a
// repository with no run — are answered here (commands/instant.ts) without loading the commander program,
// its schemas and its commands (src/program.ts), which answers everything else, errors included.
import { writeSync } from "node:fs";
import { quickAnswer } from "./commands/instant.ts";

/**
 * A reader that went away (`loki doctor | head -3`): what no one reads is dropped and the command
 * ends with its own exit code, instead of Bun printing the unhandled EPIPE with a stack.
 */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") throw error;
  });
}

/** `text` on stdout without Node's stream (its setup is most of a quick answer's cost); a reader that
 *  went away (EPIPE) gets nothing more, and the exit code stays 0 as the program's would. A stdout
 *  that would block (non-blocking, full) gets the rest through the stream, which waits for it. */
function writeAll(text: string): void {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; ) {
    try {
      at += writeSync(1, bytes, at);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") return;
      quietOnClosedPipe(process.stdout);
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
    quietOnClosedPipe(process.stdout);
    quietOnClosedPipe(process.stderr);
    void import("./program.ts")
      .then((program) => program.main(argv))
      .then((code) => {
        process.exitCode = code;
      });
  }
}
