// A change (Subject) built from files in memory, for gate tests that need no repository: the text,
// hash and stat are derived from the files the way readSubject derives them from git.
import type { ChangedFile, Subject } from "../../src/gates/gate.ts";

export function subjectOf(files: ChangedFile[], at: { root: string; base: string; head: string; includesWorktree: boolean }): Subject {
  const insertions = files.reduce((n, f) => n + f.added.length, 0);
  const deletions = files.reduce((n, f) => n + f.removedCount, 0);
  return { ...at, files, text: "", sha256: "", stat: { files: files.length, insertions, deletions } };
}
