// Where loki's own code lies on disk: its package root, and the directory the running code came from
// (src/ from source, dist/cli/ in the package's bundle), or nothing of the sort inside a compiled binary.
// Bun's bundler writes import.meta.dir as the build machine's path, so the bundle asks Bun.main instead.
// And how to run this same loki again (a --bg child, the preview supervisor, the MCP server's tool calls).
import { existsSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";

/** Set to true by scripts/build-cli.ts (Bun.build's `define`) in the package's bundle only. */
declare const LOKI_BUNDLE: boolean | undefined;

export type SelfLocation = {
  /** The package root (package.json, bin/); inside a compiled binary, its embedded file system. */
  root: string;
  /** src/ from source; the bundle's own directory (dist/cli) from the package. */
  code: string;
  /** A `bun build --compile` executable: its entry (Bun.main) lies in /$bunfs (B:/~BUN on Windows). */
  compiled: boolean;
};

export function selfLocation(): SelfLocation {
  if (typeof LOKI_BUNDLE !== "undefined" && LOKI_BUNDLE) {
    const code = dirname(Bun.main);
    return { root: resolve(code, "..", ".."), code, compiled: false };
  }
  const here = import.meta.dir;
  const root = resolve(here, "..", "..");
  // A minified --bytecode build keeps the build machine's import.meta.dir: Bun.main tells the truth.
  const embedded = (path: string) => path.startsWith("/$bunfs") || path.includes("~BUN");
  const compiled = embedded(here) || embedded(Bun.main);
  return { root, code: basename(dirname(here)) === "src" ? join(root, "src") : here, compiled };
}

/** How to run this same loki again: the compiled binary alone, or the runtime plus the entry script —
 *  with bin/loki.js's flags, so Bun reads neither the repository's bunfig.toml nor its .env files. */
export function selfCommand(): string[] {
  const script = process.argv[1];
  const self = selfLocation();
  const config = join(self.root, "bin", "loki.bunfig.toml");
  return self.compiled || !script || script === process.execPath
    ? [process.execPath]
    : [process.execPath, "--no-env-file", `--config=${config}`, script];
}

/** The files `selfCommand()` runs loki with (its runtime flags' config, the entry script) that exist on disk. */
export function selfLaunchFiles(): string[] {
  return selfCommand()
    .map((arg) => (arg.startsWith("--config=") ? arg.slice("--config=".length) : arg))
    .filter((arg) => isAbsolute(arg) && existsSync(arg));
}
