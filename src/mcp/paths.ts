// Every path a tool is given is resolved against the repository and must stay inside it — after
// symlinks, so a link in the repository that points out of it is refused too. Throws ToolInputError.
import { existsSync, realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, relative, resolve, sep } from "node:path";

/** A tool argument the server refuses: the client sees `isError` with this message, never a stack. */
export class ToolInputError extends Error {}

/** The real path of `path`, or of its deepest existing ancestor joined with the rest. */
function realish(path: string): string {
  let head = path;
  const tail: string[] = [];
  while (!existsSync(head)) {
    const parent = dirname(head);
    if (parent === head) break;
    tail.unshift(basename(head));
    head = parent;
  }
  return resolve(realpathSync(head), ...tail);
}

/** `input` resolved against `root`, as a path relative to it; refused when it leaves the repository. */
export function insideRepo(root: string, input: string, what: string): string {
  if (input.includes("\0")) throw new ToolInputError(`${what}: a path cannot contain a NUL byte`);
  const base = realpathSync(root);
  const target = realish(resolve(base, input));
  const rel = relative(base, target);
  if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel))
    throw new ToolInputError(`${what} must be inside the repository (${base}); ${JSON.stringify(input)} is not`);
  return rel === "" ? "." : rel;
}

/** Does `input` name a path (absolute, ./ ../ ~ or an existing file) rather than an issue or a brief? */
export function looksLikePath(root: string, input: string): boolean {
  if (/^(?:\/|\.{1,2}(?:\/|$)|~)/.test(input)) return true;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) return false;
  try {
    return existsSync(resolve(root, input));
  } catch {
    return false;
  }
}
