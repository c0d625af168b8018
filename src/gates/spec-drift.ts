// Gate "spec_drift": the spec changed since `loki spec lock` — the work is graded against a target
// that moved, so every added, removed or changed item blocks (DESIGN §4). The caller computes the
// drift report (gates import only core); this gate only grades it and never reads the spec itself.
import type { DriftReport, Finding } from "../core/schema.ts";
import { fingerprint, type Gate } from "./gate.ts";

const NO_LOCK = "no spec lock (loki spec lock)";

export const specDriftGate: Gate = {
  id: "spec_drift",
  title: "Spec unchanged since lock",
  when: ({ drift }) => (drift !== undefined && drift !== null ? true : NO_LOCK),
  run: async ({ drift }) => {
    if (drift === undefined || drift === null) return { status: "skipped", reason: NO_LOCK, findings: [] };
    const details = { source_ref: drift.source_ref, locked_sha256: drift.locked_sha256, current_sha256: drift.current_sha256, added: drift.added.length, removed: drift.removed.length, changed: drift.changed.length };
    if (drift.in_sync) return { status: "pass", reason: `${drift.source_ref} matches its lock (${drift.locked_sha256.slice(0, 12)})`, findings: [], details };
    const findings = driftFindings(drift);
    const counts = `+${drift.added.length} −${drift.removed.length} ~${drift.changed.length}`;
    return { status: "fail", reason: `${drift.source_ref} changed since it was locked (${counts} items): re-run \`loki spec lock\` if intended`, findings, details };
  },
};

/** One finding per drifted item; a hash change with no item-level difference still gets one. */
export function driftFindings(drift: DriftReport): Finding[] {
  const file = drift.source_ref;
  const finding = (rule: string, message: string, identity: string): Finding => ({ severity: "high", file, message, rule, fingerprint: fingerprint(rule, file, identity) });
  const findings = [
    ...drift.added.map((item) => finding("spec-item-added", `spec item added since lock: [${item.id}] ${item.text}`, `${item.id} ${item.text}`)),
    ...drift.removed.map((item) => finding("spec-item-removed", `spec item removed since lock: [${item.id}] ${item.text}`, `${item.id} ${item.text}`)),
    ...drift.changed.map((item) => {
      const renamed = item.new_id !== item.id ? ` (now [${item.new_id}])` : "";
      return finding("spec-item-changed", `spec item changed since lock: [${item.id}]${renamed} "${item.before}" → "${item.after}"`, `${item.id} ${item.before} ${item.after}`);
    }),
  ];
  // Edits outside any item (a title, a paragraph) still move the locked hash: the lock is stale.
  if (findings.length === 0) findings.push(finding("spec-changed", `spec text changed since lock (sha256 ${drift.locked_sha256.slice(0, 12)} → ${drift.current_sha256.slice(0, 12)})`, drift.current_sha256));
  return findings;
}
