// mkfifo for tests: a named pipe where a tracked file was (what a FIFO-planting agent, or a sandbox's
// mask over a hidden file, leaves in the working tree). Uses the system's mkfifo.
export function mkfifoSync(path: string): void {
  const made = Bun.spawnSync(["mkfifo", path]);
  if (made.exitCode !== 0) throw new Error(`mkfifo ${path}: ${made.stderr.toString()}`);
}
