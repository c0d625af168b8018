// Gate "heldout": grades the run's held-out evaluation (DESIGN §5). A failed item blocks; an item
// the judge could not decide is inconclusive, never a pass. Items are never named here: the
// summary carries counts only, so nothing leaks before the ship gate reveals them in the proof.
import { fingerprint, type Gate } from "./gate.ts";

const NO_RUN = "no loki run in this repository";
// Inside a run the ship gate's held-out stage judges the items afresh; a stale result must not gate.
const IN_RUN = "decided by the ship gate's held-out stage";
const items = (n: number) => `${n} held-out item${n === 1 ? "" : "s"}`;

export const heldoutGate: Gate = {
  id: "heldout",
  title: "Held-out items pass",
  when: ({ heldout }) => (heldout === undefined ? NO_RUN : heldout === null ? IN_RUN : true),
  run: async ({ heldout }) => {
    if (heldout === undefined || heldout === null) return { status: "skipped", reason: heldout === null ? IN_RUN : NO_RUN, findings: [] };
    const { run_id, passed, failed, unknown } = heldout;
    const details = { run_id, passed, failed, unknown };
    if (failed > 0) {
      const message = `${items(failed)} failed`;
      // Per run, not per item: the fingerprint must not encode which items were held out.
      const finding = {
        severity: "high" as const,
        message,
        rule: "heldout-failed",
        fingerprint: fingerprint("heldout-failed", undefined, run_id),
      };
      return { status: "fail", reason: `${message} (${passed} passed, ${unknown} undecided)`, findings: [finding], details };
    }
    if (unknown > 0)
      return { status: "inconclusive", reason: `${items(unknown)} could not be judged (${passed} passed)`, findings: [], details };
    // DESIGN §5 holds none out when the checklist has fewer than 4 items: nothing to grade.
    if (passed === 0)
      return { status: "skipped", reason: "no held-out items in this run (fewer than 4 checklist items)", findings: [], details };
    return { status: "pass", reason: `all ${items(passed)} passed`, findings: [], details };
  },
};
