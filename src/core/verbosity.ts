// How much a command says besides its result: the global --quiet (errors and the final result line
// only) and --verbose (every detail it has), chosen once by program.ts. Machine output (--json) never
// depends on it. A --bg child has no flags of its own: LOKI_VERBOSE carries --verbose to it.
export type Verbosity = "quiet" | "normal" | "verbose";

let chosen: Verbosity | null = null;

/** Set by program.ts from the global flags, before any command runs (null: neither flag given). */
export function setVerbosity(level: Verbosity | null): void {
  chosen = level;
}

export function verbosity(env: Record<string, string | undefined> = process.env): Verbosity {
  if (chosen !== null) return chosen;
  return env.LOKI_VERBOSE === "1" ? "verbose" : "normal";
}

/**
 * The environment a detached child runs with: --verbose travels as LOKI_VERBOSE, --quiet does not
 * (the child's log file is where the progress goes that the terminal was spared).
 */
export function childVerbosityEnv(env: Record<string, string | undefined>, level: Verbosity): Record<string, string | undefined> {
  const { LOKI_VERBOSE: _dropped, ...rest } = env;
  return level === "verbose" ? { ...rest, LOKI_VERBOSE: "1" } : rest;
}
