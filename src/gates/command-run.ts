// How a gate runs a detected command: a package script's frozen shell text runs itself, as the
// package manager would (sh -c, the project's node_modules/.bin first on PATH), so a package.json
// edited by the diff being graded cannot change what runs. Anything else runs its argv as detected.
// Also the PATH and the time limit every command-running gate shares, and how evidence shows a command.
import { delimiter, join } from "node:path";
import type { Command, Project } from "./detect.ts";

export function commandArgv(command: Command, root: string): { argv: string[]; env: Record<string, string> } {
  if (command.shell === undefined) return { argv: command.argv, env: {} };
  return { argv: ["sh", "-c", command.shell], env: { PATH: projectPath(root) } };
}

/** What `npm run` puts on PATH: the project's own binaries first, then the user's. */
export function projectPath(root: string): string {
  return [join(root, "node_modules", ".bin"), process.env.PATH ?? ""].filter((p) => p !== "").join(delimiter);
}

/** A positive number of ms from the environment variable `name`, else `fallback`. */
export function envTimeoutMs(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = Number(raw);
  return raw !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

/** The command as a user would type it to reproduce the gate. */
export function shownCommand(command: Command): string {
  return command.shell ?? command.argv.join(" ");
}

/** A project as evidence records it: each command as shown in reports, and where it came from. */
export type DetectedProject = {
  kinds: string[];
  test: { command: string; source: string } | null;
  build: { command: string; source: string } | null;
  lint: { command: string; source: string } | null;
};

export function describeProject(project: Project): DetectedProject {
  const shown = (command: Command | null) => (command === null ? null : { command: shownCommand(command), source: command.source });
  return { kinds: [...project.kinds], test: shown(project.test), build: shown(project.build), lint: shown(project.lint) };
}
