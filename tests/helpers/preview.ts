// Fixture apps for the Live App Preview: a throwaway git repository holding a copy of one
// tests/fixtures/apps/<shape>/, `loki preview` run on it through the real CLI, and a cleanup that
// always stops what it started (a supervisor outlives the command by design).
import { cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import type { AppState } from "../../src/core/app-schema.ts";
import { type CliResult, loki } from "./cli.ts";

const FIXTURES = resolve(import.meta.dir, "..", "fixtures", "apps");
/** loki's own node_modules, by its real path (a checkout may link it from elsewhere). */
const MODULES = realpathSync(resolve(import.meta.dir, "..", "..", "node_modules"));

/** Why the vite fixture cannot run here: the app's sandbox has a private /tmp, so a vite linked from there is not in it. */
export const viteSkip: string | false =
  MODULES.startsWith("/tmp/") && `loki's node_modules lies under /tmp (${MODULES}), which the app's sandbox makes private`;

/** A git repository holding fixture `shape` (with loki's vite linked in for the vite one). */
export function fixtureRepo(shape: string): string {
  const dir = mkdtempSync(join(process.env.TMPDIR ?? "/tmp", `app-${shape}-`));
  cpSync(join(FIXTURES, shape), dir, { recursive: true });
  Bun.spawnSync(["git", "init", "-q"], { cwd: dir });
  if (shape === "bun") {
    // This bun, by a link inside the repository: a bun found only through a node_modules/.bin under /tmp
    // would be out of the app's sandbox (its /tmp is private); loki keeps its own runtime visible.
    mkdirSync(join(dir, ".bin"));
    symlinkSync(process.execPath, join(dir, ".bin", "bun"));
  }
  if (shape === "vite") {
    // A node_modules of its own (Vite writes its cache there), whose vite is loki's.
    mkdirSync(join(dir, "node_modules", ".bin"), { recursive: true });
    symlinkSync(join(MODULES, "vite"), join(dir, "node_modules", "vite"));
    symlinkSync("../vite/bin/vite.js", join(dir, "node_modules", ".bin", "vite"));
  }
  return dir;
}

const started = new Set<string>();

export async function preview(dir: string, args: string[] = [], env: Record<string, string> = {}): Promise<CliResult> {
  started.add(dir);
  return loki(["preview", "--no-open", ...args], { cwd: dir, env });
}

/** `loki preview --json`'s state. */
export function stateOf(result: CliResult): { status: string; attached: boolean; state: AppState | null } {
  return result.json();
}

/** Stops every preview this file started (afterAll/afterEach). */
export async function stopAll(): Promise<void> {
  await Promise.all([...started].filter((dir) => existsSync(join(dir, ".loki"))).map((dir) => loki(["preview", "stop"], { cwd: dir })));
  started.clear();
}

export const hasBinary = (name: string) => Bun.which(name) !== null;
