// The CI signing key: `loki ci install` makes a pair (the private half goes into the repository secret
// LOKI_SIGNING_KEY, the public half into the workflow), and `loki ci build` installs the secret as the
// runner's signing key before any agent starts, so the deliver job can tell its proofs from any other.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { messageOf, usageError, workspaceError } from "../core/errors.ts";
import { fingerprintOf, keyPaths } from "./sign.ts";

export type CiKeyPair = { privatePem: string; publicPem: string; fingerprint: string };

export function newCiKey(): CiKeyPair {
  const pair = generateKeyPairSync("ed25519");
  return {
    privatePem: String(pair.privateKey.export({ type: "pkcs8", format: "pem" })),
    publicPem: String(pair.publicKey.export({ type: "spki", format: "pem" })),
    fingerprint: fingerprintOf(pair.publicKey),
  };
}

/** The key pair in a PKCS#8 PEM private key (a file `loki ci install` wrote, or the secret). */
export function ciKeyFrom(privatePem: string, what: string): CiKeyPair {
  let key: KeyObject;
  try {
    key = createPrivateKey(privatePem.trim());
  } catch (error) {
    throw usageError(`${what} is not a PEM private key (${messageOf(error)})`, {
      hint: "set it to the whole file `loki ci install` wrote, from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----",
    });
  }
  if (key.asymmetricKeyType !== "ed25519")
    throw usageError(`${what} is a ${key.asymmetricKeyType} key; loki signs with ed25519`, {
      hint: "make one with `loki ci install --new-key`",
    });
  const pub = createPublicKey(key);
  return {
    privatePem: String(key.export({ type: "pkcs8", format: "pem" })),
    publicPem: String(pub.export({ type: "spki", format: "pem" })),
    fingerprint: fingerprintOf(pub),
  };
}

/**
 * Make `privatePem` this user's signing key (~/.loki/keys/, 0600): the proofs of this HOME's runs are
 * then signed by it. A HOME that already signs with another key is refused, never overwritten.
 */
export function installSigningKey(privatePem: string): { fingerprint: string; installed: boolean } {
  const pair = ciKeyFrom(privatePem, "LOKI_SIGNING_KEY");
  const paths = keyPaths();
  if (existsSync(paths.key)) {
    let current: string | null = null;
    try {
      current = ciKeyFrom(readFileSync(paths.key, "utf8"), paths.key).fingerprint;
    } catch {
      current = null;
    }
    if (current === pair.fingerprint) return { fingerprint: pair.fingerprint, installed: false };
    throw workspaceError(
      `${paths.key} holds another signing key than LOKI_SIGNING_KEY (${pair.fingerprint}): loki does not replace a key`,
      {
        hint: "run `loki ci build` where HOME is fresh, as on a CI runner (or HOME=$(mktemp -d) loki ci build …)",
      },
    );
  }
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  writeFileSync(paths.key, pair.privatePem, { mode: 0o600, flag: "wx" });
  writeFileSync(paths.pub, pair.publicPem, { mode: 0o644 });
  return { fingerprint: pair.fingerprint, installed: true };
}
