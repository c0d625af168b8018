// Where a provider CLI is, and how a user types it: the project's node_modules/.bin (walking up from
// the repository or working directory, as npx does), then PATH, then the node_modules/.bin of loki's
// own install. What loki spawns is the absolute path found here. Reads the file system only; no spawn.
import { existsSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { selfLocation } from "../core/self.ts";

/** Where a CLI was found: a node_modules/.bin of the project (or a directory above it), PATH, or loki's own install. */
export type BinarySource = "project" | "path" | "loki";
export type LocatedBinary = { path: string; source: BinarySource };

const BIN_DIR = join("node_modules", ".bin");

/** `start` and every directory above it, up to the filesystem root. */
export function ancestors(start: string): string[] {
  const dirs: string[] = [];
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    dirs.push(dir);
    if (dirname(dir) === dir) return dirs;
  }
}

/** The first `node_modules/.bin/<name>` walking up from `start`: the file `npx <name>` runs there. */
export function nearestModuleBin(name: string, start: string): string | null {
  for (const dir of ancestors(start)) {
    const hit = Bun.which(name, { PATH: join(dir, BIN_DIR) });
    if (hit) return hit;
  }
  return null;
}

/**
 * The directory loki runs from: its package root (a checkout's, or an installed package's with its
 * bundle), the compiled binary's directory otherwise (core/self.ts says which).
 */
export function lokiInstallDir(): string {
  const { root, compiled } = selfLocation();
  return !compiled && existsSync(join(root, "package.json")) ? root : dirname(process.execPath);
}

/**
 * Project-local first (the version the project pinned), then PATH (what the user installed), then
 * what came with loki (the quick start's `npm ci` in loki's checkout, found from anywhere).
 */
export function locateBinary(
  name: string,
  ctx: { cwd: string; env: Record<string, string | undefined> },
  lokiDir: string = lokiInstallDir(),
): LocatedBinary | null {
  const project = nearestModuleBin(name, ctx.cwd);
  if (project) return { path: project, source: "project" };
  const onPath = ctx.env.PATH ? Bun.which(name, { PATH: ctx.env.PATH }) : null;
  if (onPath) return { path: onPath, source: "path" };
  const bundled = nearestModuleBin(name, lokiDir);
  return bundled ? { path: bundled, source: "loki" } : null;
}

/**
 * What to type, in a shell at `cwd`, to run the CLI loki found — so a hint works as printed: its
 * bare name when PATH found it (outside a node_modules/.bin that npm put on loki's PATH), `npx
 * <name>` when npx would run this same file, else its absolute path.
 */
export function commandFor(name: string, found: LocatedBinary, cwd: string): string {
  if (found.source === "path" && !found.path.includes(`${sep}${BIN_DIR}${sep}`)) return name;
  if (nearestModuleBin(name, cwd) === found.path) return `npx ${name}`;
  return shellWord(found.path);
}

/** Where it was found, for people: the binary's path when on PATH, else the node_modules/.bin it sits
 *  in — relative to `cwd` when that reads shorter (`node_modules/.bin`, `../node_modules/.bin`). */
export function whereFound(found: LocatedBinary, cwd: string): string {
  const dir = dirname(found.path);
  if (found.source === "path") return found.path;
  if (found.source === "loki") return `loki's install, ${dir}`;
  const rel = relative(resolve(cwd), dir);
  return rel.startsWith(`..${sep}..${sep}..`) ? dir : rel || ".";
}

function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
