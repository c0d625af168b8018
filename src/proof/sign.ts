// Signing proofs: the per-user ed25519 key in ~/.loki/keys/ (created on first use, private key
// mode 0600) or one held in memory for this process (`loki ci build`), the digest a proof's signature
// covers (per proof schema version), and checking a signature. No file I/O beyond the key files.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lokiHomeAt, userHome } from "../core/workspace.ts";
import { internalError, messageOf } from "../core/errors.ts";
import { canonicalJson, sha256, sortedKeysJson } from "../core/hash.ts";
import { PROOF_SCHEMA_VERSION, type Proof, type ProofFile, type ProofSchemaVersion, type Provenance } from "../core/proof-schema.ts";
import type { Redacted } from "./redact.ts";

export type SigningKey = { privateKey: KeyObject; publicPem: string; fingerprint: string };

export function keyPaths(home: string = userHome()): { dir: string; key: string; pub: string } {
  const dir = lokiHomeAt(home).keys;
  return { dir, key: join(dir, "ed25519.key"), pub: join(dir, "ed25519.pub") };
}

/** First 16 hex of sha256 over the DER (SPKI) encoding of a public key. */
export function fingerprintOf(publicKey: KeyObject): string {
  return createHash("sha256")
    .update(publicKey.export({ type: "spki", format: "der" }))
    .digest("hex")
    .slice(0, 16);
}

/** A key held in memory for this process (`loki ci build --signing-key`): it signs in place of the key file. */
let held: SigningKey | null = null;

export function holdSigningKey(key: SigningKey): void {
  held = key;
}

/** This user's signing key (or the one held for this process); generated on first use. */
export function signingKey(): SigningKey {
  if (held) return held;
  const paths = keyPaths();
  if (!existsSync(paths.key)) {
    mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
    const pair = generateKeyPairSync("ed25519");
    try {
      // "wx": two loki processes racing to create the key must not overwrite each other's.
      writeFileSync(paths.key, pair.privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST")
        throw internalError(`could not create ${paths.key}: ${messageOf(error)}`, { hint: "check that ~/.loki/keys is writable" });
    }
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(paths.key, "utf8"));
  } catch (error) {
    throw internalError(`cannot read the signing key ${paths.key}: ${messageOf(error)}`, {
      hint: `move it aside (mv ${paths.key} ${paths.key}.bad); loki creates a new one`,
    });
  }
  if (privateKey.asymmetricKeyType !== "ed25519")
    throw internalError(`${paths.key} is not an ed25519 key`, {
      hint: `move it aside (mv ${paths.key} ${paths.key}.bad); loki creates a new one`,
    });
  chmodSync(paths.key, 0o600);
  const publicKey = createPublicKey(privateKey);
  const publicPem = String(publicKey.export({ type: "spki", format: "pem" }));
  if (!existsSync(paths.pub) || readFileSync(paths.pub, "utf8") !== publicPem) writeFileSync(paths.pub, publicPem, { mode: 0o644 });
  return { privateKey, publicPem, fingerprint: fingerprintOf(publicKey) };
}

/** This machine's public key, or null when it has none yet or it cannot be read (never creates one). */
export function localPublicKey(home: string = userHome()): KeyObject | null {
  const { key } = keyPaths(home);
  if (!existsSync(key)) return null;
  try {
    return createPublicKey(createPrivateKey(readFileSync(key, "utf8")));
  } catch {
    return null;
  }
}

/** The fingerprint of this machine's key, or null when it has none yet (never creates one). */
export function localFingerprint(): string | null {
  const key = localPublicKey();
  return key ? fingerprintOf(key) : null;
}

/** The same public key: compared on the whole DER encoding, not only the 64-bit fingerprint. */
export function samePublicKey(a: KeyObject, b: KeyObject): boolean {
  return a.export({ type: "spki", format: "der" }).equals(b.export({ type: "spki", format: "der" }));
}

/** How a version's digest is computed, for what `proof verify` prints. */
export const DIGEST_FORMS: Readonly<Record<ProofSchemaVersion, string>> = {
  1: "sorted-keys JSON of the payload, proof schema 1",
  2: "RFC 8785 of {schema_version, payload}, proof schema 2",
};

/**
 * The sha256 a proof's signature covers. Version 2 hashes the RFC 8785 form of the file without its
 * provenance, so the version is signed too: relabelling a proof as version 1 changes its digest.
 * Version 1 (proofs written before RFC 8785) hashed the payload's sorted-keys JSON alone.
 */
export function proofDigest(version: ProofSchemaVersion, payload: unknown): string {
  if (version === 1) return sha256(sortedKeysJson(payload));
  return sha256(canonicalJson({ schema_version: version, payload }));
}

/** Only a redacted payload can be signed, so only a redacted payload can be written. */
export function signProof(value: Redacted<Proof>, key: SigningKey = signingKey()): ProofFile {
  const digest = proofDigest(PROOF_SCHEMA_VERSION, value);
  const provenance: Provenance = {
    algorithm: "ed25519",
    canonical_sha256: digest,
    signature: sign(null, Buffer.from(digest, "utf8"), key.privateKey).toString("base64"),
    public_key: key.publicPem,
    key_fingerprint: key.fingerprint,
  };
  return { schema_version: PROOF_SCHEMA_VERSION, payload: value, provenance };
}

export type SignatureCheck = { ok: boolean; fingerprint: string | null; publicKey: KeyObject | null; detail: string };

/** Whether `signature` over `digest` verifies with the embedded public key. */
export function checkSignature(digest: string, provenance: { signature?: unknown; public_key?: unknown }): SignatureCheck {
  if (typeof provenance.public_key !== "string" || typeof provenance.signature !== "string")
    return { ok: false, fingerprint: null, publicKey: null, detail: "the provenance has no public key or signature" };
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(provenance.public_key);
  } catch {
    return { ok: false, fingerprint: null, publicKey: null, detail: "the embedded public key cannot be read" };
  }
  if (publicKey.asymmetricKeyType !== "ed25519")
    return { ok: false, fingerprint: null, publicKey: null, detail: "the embedded key is not ed25519" };
  const ok = verify(null, Buffer.from(digest, "utf8"), publicKey, Buffer.from(provenance.signature, "base64"));
  return {
    ok,
    fingerprint: fingerprintOf(publicKey),
    publicKey,
    detail: ok ? "the ed25519 signature matches the embedded public key" : "the signature does not match the payload's hash",
  };
}
