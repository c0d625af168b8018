// A change (Subject) built from files in memory, for gate tests that need no repository: the text,
// hash and stat are derived from the files the way readSubject derives them from git; and one
// gate's result on a subject.
import { Config } from "../../src/core/config.ts";
import type { GateResult } from "../../src/core/schema.ts";
import { runGates, type ChangedFile, type Gate, type Subject } from "../../src/gates/gate.ts";

export function subjectOf(files: ChangedFile[], at: { root: string; base: string; head: string; includesWorktree: boolean }): Subject {
  const insertions = files.reduce((n, f) => n + f.added.length, 0);
  const deletions = files.reduce((n, f) => n + f.removedCount, 0);
  return { ...at, files, text: "", sha256: "", stat: { files: files.length, insertions, deletions } };
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
