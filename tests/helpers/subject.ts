// A change (Subject) built from files in memory, for gate tests that need no repository: the text,
// hash and stat are derived from the files the way readSubject derives them from git; a parsed file
// as plain data to compare; and one gate's result on a subject.
import { Config } from "../../src/core/config.ts";
import type { GateResult } from "../../src/core/schema.ts";
import { runGates, type ChangedFile, type DiffSubject, type Gate, type Line, type Subject } from "../../src/gates/gate.ts";

export function subjectOf(files: ChangedFile[], at: { root: string; base: string; head: string; includesWorktree: boolean }): DiffSubject {
  const insertions = files.reduce((n, f) => n + f.added.length, 0);
  const deletions = files.reduce((n, f) => n + f.removedCount, 0);
  return { ...at, files, text: "", sha256: "", stat: { files: files.length, insertions, deletions } };
}

/** A file as plain data (its lines as arrays of numbered lines). */
export type PlainFile = Omit<ChangedFile, "added" | "removed"> & { added: Line[]; removed: Line[] | null };

/** A parsed file as plain data (its lines built), to compare with expected values. */
export function plainFile(file: ChangedFile): PlainFile {
  return { ...file, added: file.added.lines(), removed: file.removed === null ? null : file.removed.lines() };
}

/** One gate's result on `subject`, with no project commands and the default config. */
export async function gradeOne(gate: Gate, subject: Subject): Promise<GateResult> {
  const [result] = await runGates([gate], {
    subject,
    project: { kinds: [], test: null, build: null, lint: null },
    config: Config.parse({}),
  });
  if (result === undefined) throw new Error("no result");
  return result;
}
