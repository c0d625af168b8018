// Proof schema versions, on a REAL run's proof: version 2 hashes RFC 8785 of {schema_version,
// payload}; a version 1 proof (hashed with the sorted-keys form loki used before) still verifies;
// relabelling either version, re-signing a relabelled proof, or text that is not I-JSON never does.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canonicalJson, iJsonProblem, sha256, sortedKeysJson } from "../../src/core/hash.ts";
import { fingerprintOf, keyPaths } from "../../src/proof/sign.ts";
import { redact } from "../../src/proof/redact.ts";
import { loki } from "../helpers/cli.ts";
import { scenarioRepo, type Scenario } from "../helpers/scenario.ts";

type Signer = { privateKey: KeyObject; pem: string; fingerprint: string };
type ProofJson = { schema_version?: unknown; payload: Record<string, unknown>; provenance: Record<string, string> };
type Report = { status: string; exit_code: number; checks: { name: string; ok: boolean; detail: string }[] };

let s: Scenario;
let runId: string;
let local: Signer;
const dirs: string[] = [];

beforeAll(async () => {
  s = await scenarioRepo("honest", "council: false\n");
  expect((await s.loki(["start", "prd.md"])).code).toBe(0);
  runId = s.completion().run_id;
  const privateKey = createPrivateKey(readFileSync(keyPaths().key, "utf8"));
  local = { privateKey, pem: readFileSync(keyPaths().pub, "utf8"), fingerprint: fingerprintOf(createPublicKey(privateKey)) };
});
afterAll(async () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await s[Symbol.asyncDispose]();
});

function freshSigner(): Signer {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privateKey, pem: String(publicKey.export({ type: "spki", format: "pem" })), fingerprint: fingerprintOf(publicKey) };
}

/** The digests as docs/proof.md defines them, computed here without loki's own helper. */
const DIGEST = {
  1: (payload: unknown) => sha256(sortedKeysJson(payload)),
  2: (payload: unknown) => sha256(canonicalJson({ schema_version: 2, payload })),
};

/** A copy of the run's repository whose proof.json becomes `edit(proof)`; verified with --json. */
async function verifyEdited(edit: (proof: ProofJson) => ProofJson | string): Promise<Report & { code: number }> {
  const repo = mkdtempSync(join(tmpdir(), "loki-proof-version-"));
  dirs.push(repo);
  cpSync(s.path, repo, { recursive: true });
  const path = join(repo, ".loki", "proofs", runId, "proof.json");
  const edited = edit(JSON.parse(readFileSync(path, "utf8")) as ProofJson);
  writeFileSync(path, typeof edited === "string" ? edited : `${JSON.stringify(edited, null, 2)}\n`);
  const result = await loki(["proof", "verify", runId, "--json"], { cwd: repo, env: s.env });
  return { code: result.code, ...result.json<Report>() };
}

/** What a signer with `key` writes: `proof` labelled `version`, hashed as that version says. */
function signed(proof: ProofJson, version: 1 | 2, key: Signer): ProofJson {
  const digest = DIGEST[version](proof.payload);
  const signature = sign(null, Buffer.from(digest, "utf8"), key.privateKey).toString("base64");
  const provenance = { ...proof.provenance, canonical_sha256: digest, signature, public_key: key.pem, key_fingerprint: key.fingerprint };
  return { schema_version: version, payload: proof.payload, provenance };
}

/** A payload where the two forms differ: integer-like keys, as a gate's details may hold. */
function withIntegerKeys(proof: ProofJson): ProofJson {
  const gates = proof.payload.gates as { results: { details?: Record<string, unknown> }[] };
  const first = gates.results[0];
  if (!first) throw new Error("the run's proof has no gate results");
  first.details = { ...first.details, "9": "nine", "10": "ten" };
  expect(sortedKeysJson(proof.payload)).not.toBe(canonicalJson(proof.payload));
  return proof;
}

const failed = (r: Report) => r.checks.filter((c) => !c.ok).map((c) => c.name);
const detail = (r: Report, name: string) => r.checks.find((c) => c.name === name)?.detail ?? "";

describe("proof schema 2 (RFC 8785)", () => {
  test("a new proof is version 2, hashed as RFC 8785 of {schema_version, payload}, and CLEAN", async () => {
    const proof = s.proof();
    expect(proof.schema_version).toBe(2);
    expect(proof.provenance.canonical_sha256).toBe(DIGEST[2](proof.payload));
    const r = await verifyEdited((p) => p);
    expect([r.code, r.status]).toEqual([0, "clean"]);
    expect(detail(r, "hash")).toBe(
      `canonical sha256 ${proof.provenance.canonical_sha256} (RFC 8785 of {schema_version, payload}, proof schema 2)`,
    );
  });

  test("integer-like keys hash in RFC 8785 order: signed that way it is CLEAN", async () => {
    const r = await verifyEdited((p) => signed(withIntegerKeys(p), 2, local));
    expect([r.code, r.status]).toEqual([0, "clean"]);
  });

  test("text that is not I-JSON is tampered, though RFC 8785 would map it to the signed text", async () => {
    const r = await verifyEdited((p) => {
      p.payload.verify_command = `${String(p.payload.verify_command)} \uFFFD`;
      return JSON.stringify(signed(p, 2, local), null, 2).replace("\uFFFD", "\\ud800");
    });
    expect([r.code, r.status, failed(r)]).toEqual([1, "tampered", ["hash"]]);
    expect(detail(r, "hash")).toBe(
      "the payload is not I-JSON (a lone surrogate in the string at payload.verify_command): loki never signs such a payload",
    );
  });
});

describe("proof schema 1 (sorted-keys JSON, written before RFC 8785)", () => {
  test("still verifies: CLEAN, hashed the way it was written", async () => {
    const r = await verifyEdited((p) => signed(withIntegerKeys(p), 1, local));
    expect([r.code, r.status]).toEqual([0, "clean"]);
    expect(detail(r, "hash")).toEndWith("(sorted-keys JSON of the payload, proof schema 1)");
  });

  test("relabelled as version 2 it is tampered: the digest no longer matches", async () => {
    const r = await verifyEdited((p) => ({ ...signed(withIntegerKeys(p), 1, local), schema_version: 2 }));
    expect([r.code, r.status, failed(r)]).toEqual([1, "tampered", ["hash", "signature"]]);
  });
});

describe("downgrading a new proof", () => {
  test("relabelling it as version 1 is tampered, even when both forms give the same text", async () => {
    const r = await verifyEdited((p) => ({ ...p, schema_version: 1 }));
    expect(sortedKeysJson(s.proof().payload)).toBe(canonicalJson(s.proof().payload));
    expect([r.code, r.status, failed(r)]).toEqual([1, "tampered", ["hash", "signature"]]);
  });

  test("an upgraded headline re-hashed as version 1 and re-signed with a fresh key is never CLEAN", async () => {
    const r = await verifyEdited((p) => {
      p.payload.headline = { verdict: "VERIFIED", reasons: ["council round 1 passed (3 of 3 approved)"] };
      return signed(p, 1, freshSigner());
    });
    expect([r.code, r.status, failed(r)]).toEqual([1, "untrusted_signer", ["signer"]]);
  });

  test("no version is tampered; a later one is a newer loki's proof (exit 3)", async () => {
    const none = await verifyEdited(({ schema_version: _version, ...rest }) => rest);
    expect([none.code, none.status, detail(none, "version")]).toEqual([
      1,
      "tampered",
      "proof.json has schema_version (none), which no loki writes",
    ]);
    const later = await verifyEdited((p) => ({ ...p, schema_version: 3 }));
    expect([later.code, later.status]).toEqual([3, "unusable"]);
    expect(detail(later, "version")).toBe("proof.json has schema_version 3: a newer loki wrote it (this one checks 1 and 2)");
  });
});

describe("the redaction chokepoint", () => {
  test("hands the signer I-JSON: lone surrogates become U+FFFD, non-finite numbers null", () => {
    const { value } = redact({ title: "bad \uD800 text", ["key\uDC00"]: [Number.NaN, 1.5], cost: Number.POSITIVE_INFINITY });
    expect(value as unknown).toEqual({ title: "bad \uFFFD text", ["key\uFFFD"]: [null, 1.5], cost: null });
    expect(iJsonProblem(value)).toBeNull();
  });
});
