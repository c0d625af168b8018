// Programs loki runs outside any sandbox, found once when the process starts: on PATH's absolute
// directories only, and checked to be the same file (device, inode, size, mtime) before each use, so
// nothing written later — a `git` a graded test planted on PATH, a relative PATH entry in the
// repository, a directory renamed under a read-only bind — is ever the program loki runs.
import { statSync } from "node:fs";
import { delimiter, isAbsolute } from "node:path";
import { internalError } from "./errors.ts";

export type Pinned = { name: string; path: string; id: string | null };

/** PATH without its relative and empty entries (each resolved against whatever directory a spawn uses). */
export function absolutePath(path: string | undefined): string {
  return (path ?? "")
    .split(delimiter)
    .filter((dir) => dir !== "" && isAbsolute(dir))
    .join(delimiter);
}

export function pinBinary(name: string, path: string | undefined = process.env.PATH): Pinned {
  const found = Bun.which(name, { PATH: absolutePath(path) });
  return found ? { name, path: found, id: identity(found) } : { name, path: name, id: null };
}

/** The pinned program's path, once it is checked to be the file found at start. */
export function pinnedPath(pinned: Pinned): string {
  if (pinned.id !== null && identity(pinned.path) !== pinned.id)
    throw internalError(`${pinned.path} is not the ${pinned.name} loki found when it started: it was replaced while loki ran`, {
      hint: `if you upgraded ${pinned.name} meanwhile, run the command again; if not, something on this machine rewrote it`,
    });
  return pinned.path;
}

function identity(path: string): string | null {
  try {
    const s = statSync(path);
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return null;
  }
}
