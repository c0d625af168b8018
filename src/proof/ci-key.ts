// The CI signing key: `loki ci install` makes a pair (the private half goes into the repository secret
// LOKI_SIGNING_KEY, the public half into the workflow), and `loki ci build --signing-key FILE` holds the
// secret in memory to sign its proof, so the deliver job can tell its proofs from any other.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { messageOf, usageError } from "../core/errors.ts";
import { fingerprintOf, holdSigningKey } from "./sign.ts";

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
 * Sign this process's proofs with the key in `file`, held in memory only: the file is read, then removed,
 * before any agent starts, so nothing the run starts can read it (nor the key from this process's environment).
 */
export function holdCiKey(file: string): { fingerprint: string } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw usageError(`cannot read the signing key ${file}: ${messageOf(error)}`, {
      hint: "write the LOKI_SIGNING_KEY secret to a file first (the workflow `loki ci install` writes does)",
    });
  }
  const pair = ciKeyFrom(text, file);
  rmSync(file, { force: true });
  holdSigningKey({ privateKey: createPrivateKey(pair.privatePem), publicPem: pair.publicPem, fingerprint: pair.fingerprint });
  return { fingerprint: pair.fingerprint };
}
