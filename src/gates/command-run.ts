// How a gate runs a detected command: a package script's frozen shell text runs itself, as the
// package manager would (sh -c, the project's node_modules/.bin first on PATH), so a package.json
// edited by the diff being graded cannot change what runs. Anything else runs its argv as detected.
import { delimiter, join } from "node:path";
import type { Command } from "./detect.ts";

export function commandArgv(command: Command, root: string): { argv: string[]; env: Record<string, string> } {
  if (command.shell === undefined) return { argv: command.argv, env: {} };
  const path = [join(root, "node_modules", ".bin"), process.env.PATH ?? ""].filter((p) => p !== "").join(delimiter);
  return { argv: ["sh", "-c", command.shell], env: { PATH: path } };
}

/** The command as a user would type it to reproduce the gate. */
export function shownCommand(command: Command): string {
  return command.shell ?? command.argv.join(" ");
}
