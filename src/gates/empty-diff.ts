// Gate "diff": a run that changed nothing never completes (DESIGN §5): an empty subject fails with
// a medium finding, so the verdict is CONCERNS (exit 1 in verify), never VERIFIED. Reads only the subject.
import { fingerprint, type Gate } from "./gate.ts";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export const emptyDiffGate: Gate = {
  id: "diff",
  title: "Non-empty diff",
  when: () => true,
  run: async ({ subject }) => {
    const files = subject.files;
    if (files.length === 0) {
      const message = `no changes since ${subject.base.slice(0, 7)}`;
      // The fingerprint leaves the sha out: "nothing changed" is the same finding on every run.
      const finding = {
        severity: "medium" as const,
        message,
        rule: "empty-diff",
        fingerprint: fingerprint("empty-diff", undefined, "no changes"),
      };
      return { status: "fail", reason: message, findings: [finding], details: { files: 0, added: 0, removed: 0 } };
    }
    const added = files.reduce((sum, f) => sum + f.added.length, 0);
    const removed = files.reduce((sum, f) => sum + f.removedCount, 0);
    const byStatus: Record<string, number> = {};
    for (const f of files) byStatus[f.status] = (byStatus[f.status] ?? 0) + 1;
    return {
      status: "pass",
      reason: `${plural(files.length, "file")} changed, +${added} −${removed}`,
      findings: [],
      details: { files: files.length, added, removed, binary: files.filter((f) => f.binary).length, by_status: byStatus },
    };
  },
};
