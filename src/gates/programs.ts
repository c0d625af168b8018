// The programs the frozen test, build and lint commands start, as the gates' PATH resolves them (the
// project's node_modules/.bin first): fingerprinted at run start, so that a runner the agent shadows
// or rewrites — a node_modules/.bin/bun that reports every test passed, in a directory git ignores,
// so no diff shows it — is a grading change, not a green suite.
import { type Stats, accessSync, constants, readdirSync, realpathSync, statSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { GraderConfig } from "../core/grader-schema.ts";
import { sha256 } from "../core/hash.ts";
import { projectPath } from "./command-run.ts";

/** Commands a shell runs that are not programs of the project's. */
const BUILTINS = new Set([
  "cd",
  "exec",
  "export",
  "set",
  "unset",
  "true",
  "false",
  ":",
  "test",
  "[",
  "echo",
  "printf",
  "exit",
  "if",
  "then",
  "else",
  "fi",
  "for",
  "do",
  "done",
  "while",
  "case",
  "esac",
]);
/** A runner's package with more files than this is fingerprinted by its entry file alone. */
const MAX_PACKAGE_FILES = 5000;
export const NOT_FOUND = "not found";

/** The program names a command starts: argv[0], or the first word of each shell segment. */
export function commandPrograms(commands: readonly { argv: readonly string[]; shell?: string }[]): string[] {
  const words: string[] = [];
  for (const command of commands) {
    if (command.shell === undefined) {
      if (command.argv[0] !== undefined) words.push(command.argv[0]);
      continue;
    }
    for (const segment of command.shell.split(/&&|\|\||[;|&\n()]/)) {
      const first = segment
        .trim()
        .split(/\s+/)
        .find((word) => word !== "" && !/^\w+=/.test(word));
      if (first !== undefined) words.push(first.replace(/^["']|["']$/g, ""));
    }
  }
  return [...new Set(words.filter((word) => word !== "" && !BUILTINS.has(word) && !word.includes("$")))].sort();
}

/** The programs a frozen grading configuration starts (its commands and the package scripts they
 *  call), fingerprinted in `root` as it is now: what a run records at its start. */
export function graderPrograms(root: string, grader: GraderConfig): Record<string, string> {
  const commands = [grader.test, grader.build, grader.lint].filter((command) => command !== null);
  const scripts = Object.values(grader.scripts ?? {}).map((shell) => ({ argv: [], shell }));
  return programFingerprints(root, commandPrograms([...commands, ...scripts]));
}

/**
 * word → where it resolves and what is there now: the resolved path (relative to the project when
 * inside it), and a fingerprint of the file it leads to (for a file inside node_modules, of every
 * file of its package) by inode, size and ctime — a write or a replacement always changes ctime,
 * which no unprivileged process can set back. NOT_FOUND when nothing on PATH answers to it.
 */
export function programFingerprints(root: string, words: readonly string[]): Record<string, string> {
  const dirs = projectPath(root).split(delimiter);
  const out: Record<string, string> = {};
  for (const word of words) {
    // A script of the repository's own, named by path, is the diff's (its frozen `files`).
    if (word.includes("/") && !isAbsolute(word) && !word.includes("node_modules/")) continue;
    const path = word.includes("/") ? resolve(root, word) : dirs.map((dir) => join(dir, word)).find(executable);
    if (path === undefined || !executable(path)) {
      out[word] = NOT_FOUND;
      continue;
    }
    const shown = path.startsWith(root + sep) ? relative(root, path) : path;
    out[word] = `${shown} ${fingerprintOf(realpathSync(path))}`;
  }
  return out;
}

function executable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const statKey = (stat: Stats) => `${stat.dev}:${stat.ino}:${stat.size}:${stat.ctimeMs}`;

function fingerprintOf(target: string): string {
  const pkg = packageDir(target);
  const files = pkg === null ? null : packageFiles(pkg);
  if (pkg === null || files === null) return `sha256:${sha256(`${target}\0${statKey(statSync(target))}`).slice(0, 16)}`;
  return `sha256:${sha256(files.map((file) => `${relative(pkg, file)}\0${statKey(statSync(file))}`).join("\n")).slice(0, 16)}`;
}

/** The package directory (holding package.json) a file inside node_modules belongs to, or null. */
function packageDir(file: string): string | null {
  const at = file.lastIndexOf(`${sep}node_modules${sep}`);
  if (at < 0) return null;
  for (let dir = dirname(file); dir.length > at + "/node_modules".length; dir = dirname(dir)) {
    try {
      if (statSync(join(dir, "package.json")).isFile()) return dir;
    } catch {
      // not this one: one level up
    }
  }
  return null;
}

/** Every file of the package (its own node_modules left out), sorted; null past MAX_PACKAGE_FILES. */
function packageFiles(pkg: string): string[] | null {
  const files: string[] = [];
  const walk = (dir: string): boolean => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === "node_modules") continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!walk(path)) return false;
      } else if (entry.isFile()) {
        files.push(path);
        if (files.length > MAX_PACKAGE_FILES) return false;
      }
    }
    return true;
  };
  return walk(pkg) ? files.sort() : null;
}
