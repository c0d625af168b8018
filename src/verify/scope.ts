// --scope for the gates that grade content line by line (secrets, static): `files` hands them every
// line of each changed file, `repo` every line of every tracked text file — one `git grep` spawn.
// The other gates grade the change itself (or the whole project) and see the real diff subject.
import { gitError } from "../core/errors.ts";
import { git } from "../core/git.ts";
import { linesOf, NO_LINES } from "../gates/diff-lines.ts";
import type { ChangedFile, Line, Subject } from "../gates/gate.ts";
import type { Scope } from "./evidence.ts";

/** Gates whose findings come from reading lines: they can honour `files` and `repo`. */
export const CONTENT_GATES: ReadonlySet<string> = new Set(["secrets", "static"]);
/** Gates that grade the diff by nature: a wider scope does not change what they look at. */
export const DIFF_ONLY_GATES: ReadonlySet<string> = new Set(["diff", "tamper", "test_imports", "deps"]);

const MAX_BYTES = 512 * 1024 * 1024;

/** The subject content gates see for `scope`; `diff` is the subject itself. */
export async function widenSubject(subject: Subject, scope: Scope): Promise<Subject> {
  if (scope === "diff") return subject;
  const live = subject.files.filter((f) => f.status !== "deleted" && !f.binary);
  if (scope === "files" && live.length === 0) return subject;
  const argv = [
    "-c",
    "grep.fullName=false",
    "-c",
    "color.grep=never",
    "-c",
    "grep.patternType=basic",
    "grep",
    "-z",
    "-n",
    "-I",
    "--no-color",
  ];
  // Without the working tree, HEAD's committed content is what the subject grades.
  if (subject.includesWorktree) argv.push("--untracked", "-e", "");
  else argv.push("-e", "", "HEAD");
  argv.push("--");
  if (scope === "files") argv.push(...live.map((f) => `:(literal)${f.path}`));
  const result = await git(argv, { cwd: subject.root, timeoutMs: 300_000, maxOutputBytes: MAX_BYTES });
  if (result.truncated)
    throw gitError(`--scope ${scope}: the content to scan is larger than ${MAX_BYTES >> 20} MiB`, {
      hint: "use --scope diff or --scope files",
    });
  // git grep exits 1 when nothing matched: only empty files, which is no error.
  if (result.exitCode !== 0 && result.exitCode !== 1)
    throw gitError(`git grep failed: ${result.digest || result.spawnError || `exit ${result.exitCode}`}`);
  const lines = parseGrep(result.stdout, subject.includesWorktree ? "" : "HEAD:");
  const linesAt = (path: string) => {
    const found = lines.get(path);
    return found === undefined ? undefined : linesOf(found);
  };
  if (scope === "files") return { ...subject, files: subject.files.map((f) => ({ ...f, added: linesAt(f.path) ?? f.added })) };
  const changed = new Map(subject.files.map((f) => [f.path, f]));
  const files: ChangedFile[] = [...lines].map(([path, added]) => ({
    ...(changed.get(path) ?? { path, status: "modified" as const, binary: false, removed: NO_LINES, removedCount: 0 }),
    added: linesOf(added),
  }));
  return { ...subject, files: [...files, ...subject.files.filter((f) => !lines.has(f.path))] };
}

/** `[rev:]path\0line\0text` per line → path → numbered lines. */
export function parseGrep(output: string, prefix: string): Map<string, Line[]> {
  const files = new Map<string, Line[]>();
  let start = 0;
  while (start < output.length) {
    let end = output.indexOf("\n", start);
    if (end === -1) end = output.length;
    const first = output.indexOf("\0", start);
    const second = first === -1 ? -1 : output.indexOf("\0", first + 1);
    if (first !== -1 && second !== -1 && second < end) {
      const raw = output.slice(start, first);
      const path = prefix !== "" && raw.startsWith(prefix) ? raw.slice(prefix.length) : raw;
      let list = files.get(path);
      if (list === undefined) files.set(path, (list = []));
      list.push({ line: Number(output.slice(first + 1, second)), text: output.slice(second + 1, end) });
    }
    start = end + 1;
  }
  return files;
}

/** What a gate's reason says when it cannot honour the requested scope. */
export function scopeNote(gateId: string, scope: Scope): string | null {
  if (scope === "diff" || !DIFF_ONLY_GATES.has(gateId)) return null;
  return "grades the diff whatever --scope says";
}
