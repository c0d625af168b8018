// What a git command line may hold, decided without running git: which calls only read (they run
// without optional locks and as ephemeral processes) and whether a list of paths fits on one line.
// Pure; core/git.ts re-exports both.

/** Subcommands that only read (GIT_OPTIONAL_LOCKS=0 keeps `status` and `diff` from refreshing the index). */
const QUERIES = new Set(["rev-parse", "diff", "ls-files", "ls-tree", "cat-file", "show", "log", "for-each-ref", "merge-base", "status"]);

/** Whether a git call only reads: its subcommand (after any `-c key=value`) is a query, or `config --get…`. */
export function readOnly(args: readonly string[]): boolean {
  let i = 0;
  while (args[i] === "-c") i += 2;
  const command = args[i] ?? "";
  return QUERIES.has(command) || (command === "config" && (args[i + 1] ?? "").startsWith("--get"));
}

/**
 * Whether `paths` may be named on one git command line: at most 256 of them and 64 KiB in all (far
 * under the kernel's argv limits, so a deep or long path cannot make the spawn fail with E2BIG).
 * Past that, callers list the whole tree once instead.
 */
export function nameable(paths: readonly string[]): boolean {
  if (paths.length > 256) return false;
  let bytes = 0;
  for (const path of paths) bytes += Buffer.byteLength(path) + 1;
  return bytes <= 64 * 1024;
}
