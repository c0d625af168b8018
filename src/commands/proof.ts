// `loki proof list | show | open | verify | trust | share`: find a proof, print it, open its page,
// check it, manage the keys it may be signed by. Thin: reading, checking and the trust list live in
// src/proof/; share lazy-loads its own module (and Octokit).
import { existsSync, readFileSync } from "node:fs";
import { color, hintLine, info, out, outJson, warn } from "../core/log.ts";
import type { ProofFile } from "../core/proof-schema.ts";
import { usageError } from "../core/errors.ts";
import { KeyFingerprint } from "../core/trust-schema.ts";
import { findRoot, lokiHomeAt, workspaceAt } from "../core/workspace.ts";
import { localFingerprint } from "../proof/sign.ts";
import { readProof, resolveProofRun } from "../proof/store.ts";
import { listProofSummaries } from "../proof/summaries.ts";
import { keyBehindFingerprint, readKeyInput, readTrustList, trustKey, untrustKey } from "../proof/trust.ts";
import { verifyProof } from "../proof/verify.ts";
import { openInBrowser } from "./open-browser.ts";
import { COMMAND_EXIT, PROOF_EXIT, type ExitCode } from "../core/exit-codes.ts";
import { writeOut } from "../core/stdio.ts";

type JsonOption = { json?: boolean };

const money = (usd: number) => `$${usd.toFixed(2)}`;
const tone = (verdict: string) =>
  verdict === "VERIFIED" ? color.green(verdict) : verdict === "NOT VERIFIED" ? color.red(verdict) : color.yellow(verdict);

export async function runProofList(options: JsonOption): Promise<ExitCode> {
  const ws = workspaceAt(findRoot());
  const proofs = listProofSummaries(ws);
  if (options.json) {
    outJson(proofs);
    return COMMAND_EXIT.ok;
  }
  if (proofs.length === 0) {
    out(`no proofs in ${ws.root} yet`);
    hintLine("run `loki start` first: a proof is written when a run ends");
    return COMMAND_EXIT.ok;
  }
  const rows = proofs.map((p) => {
    if (p.finished_at === null || p.headline === null || p.cost_usd === null || p.files === null)
      return [p.run_id, "-", `(unreadable: ${p.problem})`, "-", "-"];
    return [p.run_id, p.finished_at.slice(0, 19).replace("T", " "), p.headline, `${money(p.cost_usd)} ${p.cost_basis}`, String(p.files)];
  });
  const head = ["RUN", "FINISHED (UTC)", "HEADLINE", "COST", "FILES"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  out(color.dim(line(head)));
  for (const row of rows) out(line(row));
  return COMMAND_EXIT.ok;
}

export async function runProofShow(run: string | undefined, options: JsonOption): Promise<ExitCode> {
  const ws = workspaceAt(findRoot());
  const entry = readProof(ws, resolveProofRun(ws, run));
  if (options.json) {
    writeOut(readFileSync(entry.json, "utf8"));
    return COMMAND_EXIT.ok;
  }
  for (const line of summaryLines(entry.file)) out(line);
  out(`page:      ${entry.html}`);
  return COMMAND_EXIT.ok;
}

function summaryLines({ payload: p, provenance }: ProofFile): string[] {
  const heldOut = p.spec.items.filter((i) => i.held_out).length;
  const council = p.council.at(-1);
  const h = p.held_out;
  return [
    `run ${p.run.id}: ${tone(p.headline.verdict)}`,
    ...p.headline.reasons.map((r) => `  - ${r}`),
    `spec:      ${p.spec.title} (${p.spec.source.kind} ${p.spec.source.ref}), ${p.spec.items.length} items, ${heldOut} held out`,
    `outcome:   ${p.run.outcome} (exit ${p.run.exit_code}) after ${p.run.iterations} iterations — ${p.run.reason}`,
    `changes:   ${p.change.diffstat.files} files, +${p.change.diffstat.insertions} -${p.change.diffstat.deletions}  ${p.change.start_sha.slice(0, 12)}..${p.change.head_sha.slice(0, 12)} on ${p.change.branch ?? "(detached)"}`,
    `cost:      ${money(p.bill.total_usd)} (${p.bill.basis})${p.bill.by_model.map((m) => `  ${m.model} ${money(m.usd)} ${m.basis}`).join("")}`,
    `gates:     ${p.gates.results.map((g) => `${g.id} ${g.status}`).join(", ") || "none recorded"}`,
    `council:   ${council ? `${p.council.length} round(s), last ${council.passed ? "passed" : "did not pass"}` : "no round ran"}`,
    `held-out:  ${h.status.replaceAll("_", " ")}${h.evaluation ? `, ${h.evaluation.passed} passed ${h.evaluation.failed} failed ${h.evaluation.unknown} unknown` : ""}${h.detail ? ` (${h.detail})` : ""}`,
    `redacted:  ${p.redaction.total === 0 ? "nothing" : p.redaction.hits.map((x) => `${x.rule} × ${x.count}`).join(", ")}`,
    `signed:    ed25519 key ${provenance.key_fingerprint}, sha256 ${provenance.canonical_sha256.slice(0, 16)}…`,
    `verify:    ${p.verify_command}`,
  ];
}

export async function runProofOpen(run: string | undefined): Promise<ExitCode> {
  const ws = workspaceAt(findRoot());
  const entry = readProof(ws, resolveProofRun(ws, run));
  out(entry.html);
  await openInBrowser(entry.html, { info, warn }, "file");
  return COMMAND_EXIT.ok;
}

export async function runProofVerify(run: string | undefined, options: JsonOption & { key?: string }): Promise<ExitCode> {
  const ws = workspaceAt(findRoot());
  const runId = resolveProofRun(ws, run);
  const key = options.key === undefined ? null : readKeyInput(options.key);
  const result = await verifyProof(ws, runId, { key });
  if (options.json) {
    outJson({ ...result, exit_code: PROOF_EXIT[result.status] });
    return PROOF_EXIT[result.status];
  }
  for (const check of result.checks) out(`${check.ok ? color.green("✓") : color.red("✗")} ${check.name.padEnd(9)} ${check.detail}`);
  const label =
    result.status === "clean"
      ? color.green("CLEAN")
      : result.status === "unusable"
        ? color.yellow("UNUSABLE")
        : color.red(result.status.replaceAll("_", " ").toUpperCase());
  out(`proof of run ${runId}: ${label}`);
  if (result.status === "unusable")
    hintLine(
      !existsSync(result.path)
        ? "see the run ids with `loki proof list`"
        : result.checks.some((c) => c.name === "file")
          ? `restore ${result.path} from a copy (a shared gist, a teammate's checkout): this one cannot be checked`
          : "run this inside the run's repository, with its commits fetched",
    );
  if (result.status === "untrusted_signer" && result.signer.fingerprint) {
    const fp = result.signer.fingerprint;
    hintLine(
      `the signature is valid, but nothing says key ${fp} is one you trust. If it is a teammate's, check the fingerprint with them, then: loki proof trust ${fp} (for this check only: loki proof verify ${runId} --key ${fp}). If nobody you know holds it, treat the proof as forged.`,
    );
  }
  if (result.status === "drifted")
    hintLine("the proof is intact; the branch moved on after the run (the proof covers the run's head only)");
  return PROOF_EXIT[result.status];
}

type TrustOptions = JsonOption & { list?: boolean; remove?: string; label?: string };

/** `loki proof trust <key>` adds a key, `--list` shows them (this machine's first), `--remove <fp>` drops one. */
export async function runProofTrust(key: string | undefined, options: TrustOptions): Promise<ExitCode> {
  if ([key !== undefined, options.list === true, options.remove !== undefined].filter(Boolean).length > 1)
    throw usageError("give one of: a key to trust, --list, or --remove <fingerprint>", { hint: "see `loki proof trust --help`" });
  if (options.remove !== undefined) return removeTrusted(options.remove, options);
  if (key === undefined) return listTrusted(options);
  const input = readKeyInput(key);
  if (input.fingerprint === localFingerprint()) {
    (options.json ? info : out)(`${input.fingerprint} is this machine's key: trusted already, without being listed`);
    if (options.json) outJson({ added: false, local: true, key: { fingerprint: input.fingerprint } });
    return COMMAND_EXIT.ok;
  }
  const found = input.key ? { key: input.key, source: input.source } : keyBehindFingerprint(workspaceAt(findRoot()), input.fingerprint);
  const { entry, added } = trustKey(found.key, options.label?.trim() || found.source);
  if (options.json) outJson({ added, local: false, key: entry, path: lokiHomeAt().trustedKeys });
  else
    out(
      added
        ? `trusted ${entry.fingerprint} ("${entry.label}"): proofs it signs now verify CLEAN`
        : `${entry.fingerprint} is trusted already ("${entry.label}", added ${entry.added_at.slice(0, 10)})`,
    );
  return COMMAND_EXIT.ok;
}

function listTrusted(options: JsonOption): ExitCode {
  const { path, keys } = readTrustList();
  const local = localFingerprint();
  if (options.json) {
    outJson({ path, local: local ? { fingerprint: local } : null, keys: keys.map(({ publicKey: _key, ...entry }) => entry) });
    return COMMAND_EXIT.ok;
  }
  out(
    local
      ? `${local}  this machine's key (trusted without being listed)`
      : "this machine has no signing key yet (the first run creates one)",
  );
  for (const k of keys) out(`${k.fingerprint}  ${k.label}  (added ${k.added_at.slice(0, 10)})`);
  if (keys.length === 0) hintLine(`no other keys are trusted (${path}); add a teammate's: loki proof trust <fingerprint|pubkey-file>`);
  return COMMAND_EXIT.ok;
}

function removeTrusted(raw: string, options: JsonOption): ExitCode {
  const fingerprint = raw.trim().toLowerCase();
  if (!KeyFingerprint.safeParse(fingerprint).success)
    throw usageError(`"${raw}" is not a key fingerprint (16 hex characters)`, { hint: "see the trusted keys: loki proof trust --list" });
  if (fingerprint === localFingerprint())
    throw usageError(`${fingerprint} is this machine's key: it is trusted without being listed`, {
      hint: "to stop signing with it, move ~/.loki/keys aside; the next run creates a new key",
    });
  const removed = untrustKey(fingerprint);
  if (!removed) throw usageError(`${fingerprint} is not in your trust list`, { hint: "see the trusted keys: loki proof trust --list" });
  if (options.json) outJson({ removed });
  else out(`no longer trusted: ${removed.fingerprint} ("${removed.label}")`);
  return COMMAND_EXIT.ok;
}

export async function runProofShare(run: string | undefined, options: { yes?: boolean; json?: boolean }): Promise<ExitCode> {
  const { shareProof } = await import("./proof-share.ts");
  return await shareProof(run, options);
}
