// `loki proof verify`: re-hash a proof the way its schema version says, check its signature and
// that a key the user trusts made it, re-derive the diff from the repository and look for commits
// added after the run. Reads only; never rewrites a proof.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { messageOf } from "../core/errors.ts";
import { iJsonProblem } from "../core/hash.ts";
import { PROOF_SCHEMA_VERSION, ProofFile } from "../core/proof-schema.ts";
import { git } from "../core/git.ts";
import { userHome, type Workspace } from "../core/workspace.ts";
import { deriveChange } from "./facts.ts";
import { checkSignature, DIGEST_FORMS, localPublicKey, proofDigest } from "./sign.ts";
import { redactText } from "./redact.ts";
import { judgeSigner, readTrustList, type KeyInput, type TrustedBy } from "./trust.ts";

export type ProofCheck = { name: string; ok: boolean; detail: string };
export type ProofStatus = "clean" | "tampered" | "untrusted_signer" | "drifted" | "unusable";
/** Who signed: the key's fingerprint (null when no signature verified) and why it is trusted (null: it is not). */
export type ProofSigner = { fingerprint: string | null; trusted_by: TrustedBy | null; label: string | null };
export type ProofVerification = { run_id: string; path: string; status: ProofStatus; signer: ProofSigner; checks: ProofCheck[] };
export type VerifyOptions = { key?: KeyInput | null };

type Failure = Exclude<ProofStatus, "clean">;
/** The worst failure names the status: a changed proof, then an unknown signer, then one that cannot be checked here. */
const PRECEDENCE: readonly Failure[] = ["tampered", "untrusted_signer", "unusable", "drifted"];

export async function verifyProof(ws: Workspace, runId: string, options: VerifyOptions = {}): Promise<ProofVerification> {
  const path = join(ws.proof(runId), "proof.json");
  // Read first: a corrupt trust list is an error whatever the proof (exit 3), never an empty list.
  const trust = { local: localPublicKey(), list: readTrustList(), oneOff: options.key ?? null };
  const checks: (ProofCheck & { fails?: Failure })[] = [];
  let signer: ProofSigner = { fingerprint: null, trusted_by: null, label: null };
  const check = (name: string, ok: boolean, detail: string, fails: Failure) =>
    checks.push(ok ? { name, ok, detail } : { name, ok, detail, fails });
  const done = (): ProofVerification => {
    const failed = new Set(checks.flatMap((c) => c.fails ?? []));
    const status = PRECEDENCE.find((f) => failed.has(f)) ?? "clean";
    return { run_id: runId, path, status, signer, checks: checks.map(({ name, ok, detail }) => ({ name, ok, detail })) };
  };

  if (!existsSync(path)) {
    check("file", false, `${path} does not exist`, "unusable");
    return done();
  }
  // A file that cannot be read, or read as JSON, proves nothing either way: it could not be checked
  // (unusable, exit 3). A readable proof that does not match its hash or signature is what is tampered.
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    check("file", false, `proof.json cannot be read (${messageOf(error)})`, "unusable");
    return done();
  }
  let raw: { schema_version?: unknown; payload?: unknown; provenance?: Record<string, unknown> };
  try {
    raw = JSON.parse(text) as typeof raw;
  } catch (error) {
    check("file", false, `proof.json is not valid JSON (${messageOf(error)}): it was damaged or edited after loki wrote it`, "unusable");
    return done();
  }
  const provenance = raw.provenance ?? {};
  if (raw.payload === undefined || typeof provenance.canonical_sha256 !== "string") {
    check("file", false, "proof.json has no payload or no provenance", "tampered");
    return done();
  }
  const version = raw.schema_version;
  if (version !== 1 && version !== PROOF_SCHEMA_VERSION) {
    // A later version is a newer loki's proof: it cannot be checked here. Anything else no loki wrote.
    const newer = typeof version === "number" && Number.isInteger(version) && version > PROOF_SCHEMA_VERSION;
    const detail = newer
      ? `proof.json has schema_version ${version}: a newer loki wrote it (this one checks 1 and ${PROOF_SCHEMA_VERSION})`
      : `proof.json has schema_version ${JSON.stringify(version) ?? "(none)"}, which no loki writes`;
    check("version", false, detail, newer ? "unusable" : "tampered");
    return done();
  }
  // loki signs I-JSON only (the redaction chokepoint makes it so): text that is not is not what it signed.
  const notIJson = version === PROOF_SCHEMA_VERSION ? iJsonProblem(raw.payload, "payload") : null;
  const digest = proofDigest(version, raw.payload);
  const hashOk = notIJson === null && digest === provenance.canonical_sha256;
  check(
    "hash",
    hashOk,
    hashOk
      ? `canonical sha256 ${digest} (${DIGEST_FORMS[version]})`
      : notIJson !== null
        ? `the payload is not I-JSON (${notIJson}): loki never signs such a payload`
        : `the proof hashes to ${digest} (${DIGEST_FORMS[version]}), it says ${String(provenance.canonical_sha256)}`,
    "tampered",
  );
  const signature = checkSignature(digest, provenance);
  check("signature", signature.ok, signature.detail, "tampered");
  const claimed = String(provenance.key_fingerprint ?? "");
  if (signature.fingerprint !== null && signature.fingerprint !== claimed)
    check("key", false, `the embedded key's fingerprint is ${signature.fingerprint}, the proof says ${claimed}`, "tampered");
  // Any key can make a valid signature (an agent can re-sign a changed proof with a fresh one): only
  // a key the user trusts makes it CLEAN.
  if (signature.ok && signature.publicKey) {
    const judged = judgeSigner(signature.publicKey, trust);
    signer = { fingerprint: signature.fingerprint, trusted_by: judged.by, label: judged.label };
    check("signer", judged.trusted, judged.detail, "untrusted_signer");
  }
  const parsed = ProofFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    check(
      "schema",
      false,
      `proof.json does not match this loki's proof schema at ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
      signature.ok && hashOk ? "unusable" : "tampered",
    );
    return done();
  }
  const { change, run: runRecord } = parsed.data.payload;
  if (runRecord.id !== runId) check("run", false, `the proof in ${runId}/ is for run ${runRecord.id}`, "tampered");

  const missing = [];
  for (const sha of new Set([change.start_sha, change.head_sha])) if (!(await commitExists(ws.root, sha))) missing.push(sha);
  check(
    "commits",
    missing.length === 0,
    missing.length === 0
      ? `start ${change.start_sha.slice(0, 12)} and head ${change.head_sha.slice(0, 12)} exist`
      : `commit ${missing.map((s) => s.slice(0, 12)).join(", ")} is not in this repository (fetch it, or run this in the run's repository)`,
    "unusable",
  );
  if (missing.length > 0) return done();

  for (const c of await changeChecks(ws.root, change, change.head_sha)) check(c.name, c.ok, c.detail, "tampered");
  const drift = await branchDrift(ws.root, change.branch, change.head_sha);
  check("branch", drift.ok, drift.detail, "drifted");
  return done();
}

type Change = ProofFile["payload"]["change"];

/**
 * Whether `commit`'s tree, diffed from the proof's start, is the change the proof records: the diff's
 * hash, its stat and its files (paths compared redacted, as the proof has them). `commit` is the run's
 * head, or a commit with the same tree (`loki ci` delivers the run as one commit on its start).
 */
export async function changeChecks(root: string, change: Change, commit: string): Promise<ProofCheck[]> {
  const derived = await deriveChange(root, change.start_sha, commit);
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const files = derived.files.map((f) => ({ ...f, path: redactText(f.path, { home: userHome() }).text }));
  const d = derived.diffstat;
  const hashOk = derived.diff_sha256 === change.diff_sha256;
  const statOk = same(d, change.diffstat) && same(files, change.files);
  return [
    {
      name: "diff",
      ok: hashOk,
      detail: hashOk
        ? `git diff ${change.start_sha.slice(0, 12)} ${commit.slice(0, 12)} hashes to the recorded ${derived.diff_sha256.slice(0, 16)}…`
        : `git diff start..head hashes to ${derived.diff_sha256}, the proof says ${change.diff_sha256}`,
    },
    {
      name: "diffstat",
      ok: statOk,
      detail: statOk
        ? `${d.files} files, +${d.insertions} -${d.deletions}`
        : `the repository says ${d.files} files, +${d.insertions} -${d.deletions}; the proof says ${change.diffstat.files} files, +${change.diffstat.insertions} -${change.diffstat.deletions} (or other files)`,
    },
  ];
}

async function commitExists(root: string, sha: string): Promise<boolean> {
  return (await git(["cat-file", "-e", `${sha}^{commit}`], { cwd: root, timeoutMs: 10_000 })).ok;
}

/** Whether the run's branch still ends at the run's head commit, and how far it moved if not. */
async function branchDrift(root: string, branch: string | null, head: string): Promise<{ ok: boolean; detail: string }> {
  const ref = branch ? `refs/heads/${branch}` : "HEAD";
  const name = branch ?? "HEAD";
  const tip = await git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { cwd: root, timeoutMs: 10_000 });
  if (!tip.ok) return { ok: false, detail: `branch ${name} no longer exists` };
  const at = tip.stdout.trim();
  if (at === head) return { ok: true, detail: `${name} still ends at the run's head ${head.slice(0, 12)}` };
  const ancestor = await git(["merge-base", "--is-ancestor", head, at], { cwd: root, timeoutMs: 10_000 });
  if (!ancestor.ok)
    return { ok: false, detail: `${name} was rewritten: the run's head ${head.slice(0, 12)} is no longer on it (now ${at.slice(0, 12)})` };
  const count = Number((await git(["rev-list", "--count", `${head}..${at}`], { cwd: root, timeoutMs: 10_000 })).stdout.trim()) || 0;
  return {
    ok: false,
    detail: `${count} commit${count === 1 ? "" : "s"} added to ${name} after the run (head ${head.slice(0, 12)}, now ${at.slice(0, 12)})`,
  };
}
