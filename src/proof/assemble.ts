// The proof-of-run: assemble a finished run's facts, derive the headline from them (pure), then
// redact ONCE, sign and write .loki/proofs/<run_id>/{proof.json,index.html}. Must not judge anew.
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { internalError, usageError, workspaceError } from "../core/errors.ts";
import { Proof, ProofFile, type ProofMemory, type ProofQueue } from "../core/proof-schema.ts";
import { Completion, CostEntry, LokiEvent, OrchestratorState } from "../core/run-schema.ts";
import { Checklist, Spec } from "../core/schema.ts";
import { Session } from "../core/session-schema.ts";
import { userHome, writeFileAtomic, type Workspace } from "../core/workspace.ts";
import { billOf, changeFacts, councilOf, gatesOf, heldOutOf, providersOf, readOptional, readRecords, timingOf } from "./facts.ts";
import { renderProofHtml } from "./html.ts";
import { previewOf } from "./preview.ts";
import { signProof } from "./sign.ts";
import { redact, type Redacted, type RedactionSummary } from "./redact.ts";
import { readSubject } from "../gates/diff.ts";
import type { DiffSubject } from "../gates/gate.ts";

/** `change`: the run's final change as the run derived it (else derived here, the same way). */
/** `memory`: what memory did for the run, computed by the caller (proof/ may not read memory/'s store). */
/** `queue`: the run's task queue as its caller read it (core/queue.ts's readQueueView); absent: none. */
export type ProofOptions = { includeDiff?: boolean; change?: DiffSubject; memory?: ProofMemory; queue?: ProofQueue };
export type HeadlineFacts = Pick<Proof, "gates" | "council" | "held_out"> & {
  run: Pick<Proof["run"], "outcome" | "reason" | "sandboxed" | "violations">;
  bill: Pick<Proof["bill"], "basis">;
};

/** VERIFIED / VERIFIED WITH GAPS / NOT VERIFIED from recorded facts only, each with its reasons. */
export function headline(facts: HeadlineFacts): Proof["headline"] {
  const failures: string[] = [];
  const gaps: string[] = [];
  const { run, gates, council, held_out: heldOut, bill } = facts;
  if (run.outcome !== "verified") failures.push(`the run ended ${run.outcome.replaceAll("_", " ")}: ${run.reason}`);
  for (const violation of run.violations ?? []) failures.push(`trust violation: ${violation}`);
  if (run.sandboxed === false) gaps.push("unsandboxed: held-out secrecy and state integrity not enforced");
  if (gates.results.length === 0) gaps.push("no gate results were recorded for the run");
  // A skip means the gate does not apply (gates/gate.ts); one that could not check says inconclusive.
  for (const gate of gates.results) {
    if (gate.status === "fail") failures.push(`gate ${gate.id} failed: ${gate.reason}`);
    if (gate.status === "inconclusive") gaps.push(`gate ${gate.id} was inconclusive: ${gate.reason}`);
    // Accepted is not unchecked: the reader must see the diff changed its own grading.
    if (gate.id === "grader_config" && gate.status === "pass" && gate.reason.startsWith("accepted"))
      gaps.push(`graded with the diff's own configuration: ${gate.reason}`);
  }
  if (heldOut.status === "reveal_failed") failures.push(`the held-out reveal failed: ${heldOut.detail ?? "unknown reason"}`);
  else if (heldOut.status !== "revealed") gaps.push(`no held-out item was checked: ${heldOut.detail ?? heldOut.status}`);
  else if (heldOut.evaluation === null)
    gaps.push(`the ${heldOut.count} held-out item${heldOut.count === 1 ? " was" : "s were"} never evaluated`);
  else {
    for (const item of heldOut.items) {
      if (item.result?.status === "fail") failures.push(`held-out item ${item.id} failed: ${item.result.evidence}`);
      else if (item.result?.status !== "pass")
        gaps.push(`held-out item ${item.id} ${item.result ? "could not be judged" : "was not evaluated"}`);
    }
  }
  const last = council.at(-1);
  if (!last) gaps.push("no council round ran: no blind review of the diff");
  else if (!last.passed) failures.push(`council round ${last.round} did not pass: ${last.reasons.join("; ") || "no reason recorded"}`);
  if (bill.basis === "estimated" || bill.basis === "mixed")
    gaps.push(`costs are ${bill.basis === "mixed" ? "partly " : ""}estimated, not exact`);
  if (bill.basis === "none") gaps.push("no cost was recorded for the run");

  if (failures.length > 0) return { verdict: "NOT VERIFIED", reasons: [...failures, ...gaps] };
  if (gaps.length > 0) return { verdict: "VERIFIED WITH GAPS", reasons: gaps };
  const approvals = last ? last.reviewers.filter((r) => r.verdict === "APPROVE").length : 0;
  const skipped = gates.results.filter((g) => g.status === "skipped");
  const ran = gates.results.length - skipped.length;
  return {
    verdict: "VERIFIED",
    reasons: [
      "the run ended verified",
      `all ${ran} gates that apply passed${skipped.length ? ` (${skipped.length} did not apply: ${skipped.map((g) => g.id).join(", ")})` : ""}`,
      heldOut.count === 1 ? "the 1 held-out item passed" : `all ${heldOut.count} held-out items passed`,
      `council round ${last?.round ?? 0} passed (${approvals} of ${last?.reviewers.length ?? 0} approved)`,
      bill.basis === "declared" ? "costs are at the price the user declared for the provider (providers.<id>.price)" : "costs are exact",
    ],
  };
}

/** Everything the proof says about a finished run, from .loki/ and git. Not yet redacted. */
export async function assembleProof(ws: Workspace, runId: string, options: ProofOptions = {}): Promise<Proof> {
  const completion = readOptional(ws.completion, Completion);
  if (!completion || completion.run_id !== runId) {
    throw usageError(`run ${runId} has no completion record in .loki/state/completion.json`, {
      hint: "a proof can be written only for the last finished run; see `loki status`",
    });
  }
  const saved = readOptional(ws.orchestrator, OrchestratorState);
  const orchestrator = saved?.run_id === runId ? saved : undefined;
  const events = readRecords(ws.events, LokiEvent).filter((e) => e.run_id === runId);
  const entries = readRecords(ws.costLedger, CostEntry).filter((e) => e.run_id === runId);
  const session = readOptional(ws.session, Session);
  const headSha = completion.head_sha ?? completion.start_sha;
  const derived = changeFacts(
    options.change ?? (await readSubject(ws.root, completion.start_sha, { includeWorktree: false, head: headSha })),
  );
  const heldOut = heldOutOf(ws, runId);
  const bill = billOf(entries, {
    limit_usd: orchestrator?.budget.limit_usd ?? null,
    spent_usd: orchestrator?.budget.spent_usd ?? completion.cost.usd,
  });
  const gates = gatesOf(ws, runId, completion.iterations);
  const council = councilOf(ws, runId);
  const run = {
    id: runId,
    outcome: completion.outcome,
    exit_code: completion.exit_code,
    reason: completion.reason,
    started_at: events.find((e) => e.kind === "run_started")?.ts ?? (session?.run_id === runId ? session.started_at : null),
    finished_at: completion.finished_at,
    active_ms: orchestrator?.elapsed_ms ?? 0,
    iterations: completion.iterations,
    pr_url: completion.pr_url,
    sandboxed: orchestrator?.sandboxed ?? true,
    violations: orchestrator?.violations ?? [],
    ...(orchestrator?.accept_config_change ? { config_change_accepted: true } : {}),
  };
  const chain = orchestrator?.chain ?? [...new Set(entries.map((e) => e.provider))];
  const preview = previewOf(ws, runId, completion);
  const proof: Proof = {
    loki_version: pkg.version,
    generated_at: new Date().toISOString(),
    run,
    headline: headline({ run, gates, council, held_out: heldOut, bill }),
    spec: specOf(ws, heldOut),
    bill,
    change: {
      start_sha: completion.start_sha,
      head_sha: headSha,
      branch: completion.branch,
      diffstat: derived.diffstat,
      files: derived.files,
      diff_sha256: derived.diff_sha256,
      diff: options.includeDiff ? derived.diff : null,
    },
    gates,
    council,
    held_out: heldOut,
    timing: timingOf(events, entries),
    providers: providersOf(chain, events, entries, orchestrator?.settings?.endpoints),
    redaction: { total: 0, hits: [] },
    verify_command: `loki proof verify ${runId}`,
    ...(preview ? { preview } : {}),
    ...(options.memory ? { memory: options.memory } : {}),
    ...(options.queue ? { queue: options.queue } : {}),
  };
  return Proof.parse(proof);
}

/** The run's own spec copy (state/run-spec.json), else spec/spec.json; held-out items marked. */
function specOf(ws: Workspace, heldOut: Proof["held_out"]): Proof["spec"] {
  const spec = readOptional(ws.runSpec, Spec) ?? readOptional(ws.spec, Spec);
  if (!spec)
    throw workspaceError("the run's spec is missing (.loki/state/run-spec.json and .loki/spec/spec.json)", {
      hint: "a proof needs the spec the run built; run `loki start` again",
    });
  const hidden = new Set(heldOut.items.map((item) => item.id));
  const visible = readOptional(ws.checklist, Checklist);
  const isHeldOut = (id: string) =>
    heldOut.status === "revealed" ? hidden.has(id) : visible ? !visible.items.some((item) => item.id === id) : false;
  return {
    title: spec.title,
    source: { kind: spec.source.kind, ref: spec.source.ref, sha256: spec.source.sha256 },
    items: spec.items.map((item) => ({
      id: item.id,
      text: item.text,
      kind: item.kind,
      section: item.section ?? null,
      held_out: isHeldOut(item.id),
    })),
  };
}

/** The summary belongs to the redaction pass that produced `value`: rule names and counts only. */
function withSummary(value: Redacted<Proof>, summary: RedactionSummary): Redacted<Proof> {
  return { ...value, redaction: { total: summary.total, hits: summary.hits.map((hit) => ({ rule: hit.rule, count: hit.count })) } };
}

/** Assemble, redact once, sign, and write proof.json + index.html atomically. */
export async function writeProof(ws: Workspace, runId: string, options: ProofOptions = {}): Promise<{ dir: string; file: ProofFile }> {
  const payload = await assembleProof(ws, runId, options);
  // The same HOME the held-out store and the signing key are found under (tests move it).
  const { value, summary } = redact(payload, { home: userHome() });
  const redacted = withSummary(value, summary);
  const file = signProof(redacted);
  const checked = ProofFile.safeParse(file);
  if (!checked.success)
    throw internalError(`the redacted proof of run ${runId} no longer matches its schema at ${checked.error.issues[0]?.path.join(".")}`);
  const dir = ws.proof(runId);
  writeFileAtomic(join(dir, "index.html"), renderProofHtml(redacted, file.provenance));
  writeFileAtomic(join(dir, "proof.json"), `${JSON.stringify(file, null, 2)}\n`);
  return { dir, file };
}
