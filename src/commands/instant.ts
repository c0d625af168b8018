// The answers the entry (src/cli.ts) gives without loading the commander program: `loki version`
// (`-v`, `--version`, `-V`, `version --json`), `loki status --json` in a repository with no run, and
// the root help printed to a pipe when a build put it in (LOKI_HELP: scripts/piped-help.ts). Only
// these exact argvs; anything else — another flag, a run to report, a terminal — is the program's.
import { fstatSync } from "node:fs";
import { findRoot } from "../core/paths.ts";
import { inactiveStatus } from "../run/status-report.ts";
import { versionText } from "./version.ts";

/** Defined by the builds (scripts/build-cli.ts, scripts/build-binary.ts): the program's own piped help. */
declare const LOKI_HELP: string | undefined;

const VERSION_FLAGS = new Set(["version", "--version", "-v", "-V"]);
const HELP_FLAGS = new Set(["help", "--help", "-h"]);

/** What to print for `argv` (the arguments after `loki`), or null when the program must answer. */
export function quickAnswer(argv: readonly string[]): string | null {
  if (argv.length === 1 && VERSION_FLAGS.has(argv[0] as string)) return versionText();
  if (argv.length === 2 && argv[0] === "version" && argv[1] === "--json") return versionText(true);
  if (argv.length === 2 && argv[0] === "status" && argv[1] === "--json") {
    const report = inactiveStatus(findRoot());
    return report && `${JSON.stringify(report, null, 2)}\n`;
  }
  // A terminal's help is wrapped to its width; a pipe's is the 80 columns the build rendered.
  const help = typeof LOKI_HELP === "string" ? LOKI_HELP : null;
  if (help !== null && (argv.length === 0 || (argv.length === 1 && HELP_FLAGS.has(argv[0] as string))) && !onTerminal()) return help;
  return null;
}

/** Whether stdout is a terminal. A pipe or a file is not (one fstat); only for a character device is
 *  node:tty asked — loaded here only, and not process.stdout.isTTY: either costs more than the rest. */
function onTerminal(): boolean {
  if (!fstatSync(1).isCharacterDevice()) return false;
  const { isatty } = require("node:tty") as typeof import("node:tty");
  return isatty(1);
}
