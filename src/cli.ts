// The `loki` entry. The calls scripts and prompts make most — `loki version`, `loki status --json` in a
// repository with no run — are answered here (commands/instant.ts) without loading the commander program,
// its schemas and its commands (src/program.ts), which answers everything else, errors included.
import { quickAnswer } from "./commands/instant.ts";
import { ERROR_EXIT } from "./core/exit-codes.ts";
import { outputFailed, whenOutputFails, writeOut } from "./core/stdio.ts";

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
  // Output goes straight to the descriptors (core/stdio.ts): a reader gone (EPIPE) is no error, any
  // other failure to write is exit 3, never a stack and never 0.
  whenOutputFails(() => {
    process.exitCode = ERROR_EXIT.workspace;
  });
  if (quick !== null) writeOut(quick);
  else
    void import("./program.ts")
      .then((program) => program.main(argv))
      .then((code) => {
        process.exitCode = outputFailed() ? ERROR_EXIT.workspace : code;
      });
}
