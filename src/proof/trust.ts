// Who may sign a CLEAN proof: this machine's key, the keys in the user's trust list
// (~/.loki/trusted-keys.json), or a key given for one check. Reads the keys a user names (fingerprint,
// public key file, PEM text) and refuses anything else; never stores or accepts a private key.
import { createPublicKey, type KeyObject } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename } from "node:path";
import { isLokiError, messageOf, usageError, workspaceError } from "../core/errors.ts";
import { SCHEMA_VERSION } from "../core/schema.ts";
import { KeyFingerprint, TrustedKeys, type TrustedKey } from "../core/trust-schema.ts";
import { lokiHomeAt, readJson, userHome, withLock, writeJson, type Workspace } from "../core/workspace.ts";
import { fingerprintOf, samePublicKey } from "./sign.ts";
import { listProofs } from "./store.ts";

export type PublicKeyRef = { publicKey: KeyObject; publicPem: string; fingerprint: string };
/** What a user named: a fingerprint alone, or a whole public key (from a file or pasted PEM). */
export type KeyInput = { fingerprint: string; key: PublicKeyRef | null; source: string };
export type ListedKey = TrustedKey & { publicKey: KeyObject };
export type TrustList = { path: string; keys: ListedKey[] };

const KEY_HINT =
  "a key is its 16-hex fingerprint (printed at the end of every run and by `loki proof show`) or its public key file (~/.loki/keys/ed25519.pub on the signer's machine): loki proof trust <fingerprint|file>";

/** An ed25519 public key from PEM text; a private key, another algorithm or garbage is a usage error. */
export function parsePublicKey(text: string, where: string): PublicKeyRef {
  if (/PRIVATE KEY/.test(text))
    throw usageError(`${where} holds a PRIVATE key: loki never takes or stores one`, {
      hint: "pass the public key instead: ~/.loki/keys/ed25519.pub on the signer's machine",
    });
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(text);
  } catch (error) {
    throw usageError(`${where} is not a PEM public key (${messageOf(error)})`, { hint: KEY_HINT });
  }
  if (publicKey.asymmetricKeyType !== "ed25519")
    throw usageError(`${where} is a ${publicKey.asymmetricKeyType ?? "non-ed25519"} key; loki signs proofs with ed25519 keys`, {
      hint: KEY_HINT,
    });
  return { publicKey, publicPem: String(publicKey.export({ type: "spki", format: "pem" })), fingerprint: fingerprintOf(publicKey) };
}

/** What `loki proof trust <key>` or `--key <key>` names: a fingerprint, a PEM, or a file holding one. */
export function readKeyInput(arg: string): KeyInput {
  const text = arg.trim();
  if (KeyFingerprint.safeParse(text.toLowerCase()).success) return { fingerprint: text.toLowerCase(), key: null, source: "fingerprint" };
  if (text.includes("-----BEGIN")) {
    const key = parsePublicKey(text, "the key given");
    return { fingerprint: key.fingerprint, key, source: "pasted PEM" };
  }
  if (existsSync(text) && statSync(text).isFile()) {
    if (statSync(text).size > 64 * 1024) throw usageError(`${text} is too large to be a public key file`, { hint: KEY_HINT });
    const key = parsePublicKey(readFileSync(text, "utf8"), text);
    return { fingerprint: key.fingerprint, key, source: basename(text) };
  }
  throw usageError(`"${arg}" is not a key fingerprint (16 hex characters), a public key file or a PEM public key`, { hint: KEY_HINT });
}

/** The whole key behind a fingerprint, from the latest proof in this repository that it signed. */
export function keyBehindFingerprint(ws: Workspace, fingerprint: string): { key: PublicKeyRef; source: string } {
  for (const entry of listProofs(ws).reverse()) {
    if (entry.file?.provenance.key_fingerprint !== fingerprint) continue;
    try {
      const key = parsePublicKey(entry.file.provenance.public_key, `the key in ${entry.json}`);
      if (key.fingerprint === fingerprint) return { key, source: `signer of run ${entry.run_id}` };
    } catch {
      // A proof whose embedded key does not parse is not a source of keys; `loki proof verify` says why.
    }
  }
  throw usageError(`no proof in ${ws.root} is signed by ${fingerprint}, so loki does not have that key`, {
    hint: "ask its owner for the public key file (~/.loki/keys/ed25519.pub on their machine), then: loki proof trust <file>",
  });
}

/** The trust list, validated: each entry's PEM must be an ed25519 key with the listed fingerprint. */
export function readTrustList(home: string = userHome()): TrustList {
  const path = lokiHomeAt(home).trustedKeys;
  const fix = `move it aside (mv ${path} ${path}.bad), then trust your teammates' keys again: loki proof trust <fingerprint|file>`;
  let list: TrustedKeys | undefined;
  try {
    list = readJson(path, TrustedKeys);
  } catch (error) {
    throw isLokiError(error) ? workspaceError(`the trust list is unreadable: ${error.message}`, { hint: fix }) : error;
  }
  const keys = (list?.keys ?? []).map((entry) => {
    let key: PublicKeyRef;
    try {
      key = parsePublicKey(entry.public_key, `the trusted key ${entry.fingerprint}`);
    } catch (error) {
      throw workspaceError(`the trust list ${path} is corrupt: ${messageOf(error)}`, { hint: fix });
    }
    if (key.fingerprint !== entry.fingerprint)
      throw workspaceError(
        `the trust list ${path} is corrupt: the key listed as ${entry.fingerprint} has the fingerprint ${key.fingerprint}`,
        { hint: fix },
      );
    return { ...entry, publicKey: key.publicKey };
  });
  return { path, keys };
}

const plain = ({ publicKey: _key, ...entry }: ListedKey): TrustedKey => entry;

/** Add a key to the trust list (under its lock); a key already listed is left as it is. */
export function trustKey(key: PublicKeyRef, label: string, home: string = userHome()): { entry: TrustedKey; added: boolean } {
  const path = lokiHomeAt(home).trustedKeys;
  return withLock(path, () => {
    const list = readTrustList(home);
    const existing = list.keys.find((k) => k.fingerprint === key.fingerprint);
    if (existing) return { entry: plain(existing), added: false };
    const entry: TrustedKey = { fingerprint: key.fingerprint, public_key: key.publicPem, label, added_at: new Date().toISOString() };
    writeJson(path, TrustedKeys, { schema_version: SCHEMA_VERSION, keys: [...list.keys.map(plain), entry] });
    return { entry, added: true };
  });
}

/** Remove a key from the trust list; null when it was not listed. */
export function untrustKey(fingerprint: string, home: string = userHome()): TrustedKey | null {
  const path = lokiHomeAt(home).trustedKeys;
  return withLock(path, () => {
    const list = readTrustList(home);
    const found = list.keys.find((k) => k.fingerprint === fingerprint);
    if (!found) return null;
    writeJson(path, TrustedKeys, { schema_version: SCHEMA_VERSION, keys: list.keys.filter((k) => k !== found).map(plain) });
    return plain(found);
  });
}

export type TrustedBy = "local" | "listed" | "key_option";
export type SignerTrust = { trusted: boolean; by: TrustedBy | null; label: string | null; detail: string };
export type TrustSources = { local: KeyObject | null; list: TrustList; oneOff: KeyInput | null };

/** Whether a proof's (validly signing) key is one the user trusts, and in what words. Pure. */
export function judgeSigner(signer: KeyObject, sources: TrustSources): SignerTrust {
  const fp = fingerprintOf(signer);
  if (sources.local && samePublicKey(signer, sources.local))
    return { trusted: true, by: "local", label: null, detail: `signed with this machine's key ${fp}` };
  const listed = sources.list.keys.find((k) => samePublicKey(signer, k.publicKey));
  if (listed)
    return {
      trusted: true,
      by: "listed",
      label: listed.label,
      detail: `signed by ${fp}, trusted as "${listed.label}" (added ${listed.added_at.slice(0, 10)})`,
    };
  const oneOff = sources.oneOff;
  if (oneOff && (oneOff.key ? samePublicKey(signer, oneOff.key.publicKey) : oneOff.fingerprint === fp))
    return {
      trusted: true,
      by: "key_option",
      label: null,
      detail: `signed by ${fp}, the key given with --key (trusted for this check only)`,
    };
  const lookalike = sources.list.keys.find((k) => k.fingerprint === fp);
  if (lookalike)
    return {
      trusted: false,
      by: null,
      label: null,
      detail: `signed by a key whose fingerprint ${fp} is that of "${lookalike.label}", but the key itself is different: not the trusted key`,
    };
  const not = ["not this machine's key", `not in ${sources.list.path}`, ...(oneOff ? [`not the --key ${oneOff.fingerprint}`] : [])];
  return {
    trusted: false,
    by: null,
    label: null,
    detail: `signed by ${fp}, a key you have not trusted (${not.join(", ")}): the signature proves the proof is unchanged since that key signed it, not who holds the key`,
  };
}
