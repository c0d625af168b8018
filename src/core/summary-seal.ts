// Seals the summaries in .loki/summaries/ with AES-256-GMAC under a key derived from a per-user key in
// ~/.loki (which the agent's sandbox hides): a summary loki did not write, or one moved to another name,
// is never believed. Never throws: without a key (~/.loki not writable) there are no summaries at all.
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { replaceFile } from "./durable.ts";
import { randomHex } from "./hash.ts";
import { lokiHomeAt } from "./paths.ts";

/** node:crypto, loaded when a summary is first sealed or read: loading it costs ~3 ms of every command's start. */
const nodeCrypto = () => require("node:crypto") as typeof import("node:crypto");

/** Two keys derived from the key file's bytes: `seal` seals the summaries, `tags` keys the tags of the bytes a summary folded. */
export type SummaryKey = { readonly seal: Buffer; readonly tags: Buffer };

const KEY_BYTES = 32;
/** Domain separation: the seal key MACs nothing else, and a summary's seal names the file it was written as. */
const CONTEXT = "loki/summary/v2\n";

/** The key by its path, once per process (a test moves HOME: another path, another key). */
const loaded = new Map<string, SummaryKey | null>();

/** This user's summary key, created on first use; null when ~/.loki cannot hold one (then no summary is read or written). */
export function summaryKey(): SummaryKey | null {
  const path = lokiHomeAt().summaryKey;
  if (!loaded.has(path)) loaded.set(path, loadOrCreate(path));
  return loaded.get(path) ?? null;
}

/** The key file's 32 bytes; undefined when there is none yet, null when it is unreadable or not a key. */
function readKey(path: string): SummaryKey | null | undefined {
  try {
    const bytes = readFileSync(path);
    const derive = (purpose: string) => nodeCrypto().createHmac("sha256", bytes).update(purpose).digest();
    return bytes.length === KEY_BYTES ? { seal: derive("loki/summary-seal/v2"), tags: derive("loki/summary-folded-bytes/v1") } : null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? undefined : null;
  }
}

function loadOrCreate(path: string): SummaryKey | null {
  const existing = readKey(path);
  if (existing !== undefined) return existing;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.${randomHex(6)}.tmp`;
    writeFileSync(tmp, nodeCrypto().randomBytes(KEY_BYTES), { mode: 0o600, flag: "wx" });
    try {
      // A link, not a rename: it appears whole, and fails when another loki made the key first —
      // then both use that one, so two first uses never write under two keys.
      linkSync(tmp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") return null;
    } finally {
      rmSync(tmp, { force: true });
    }
  } catch {
    return null;
  }
  return readKey(path) ?? null;
}

const sealOf = (key: SummaryKey, path: string, body: Uint8Array, nonce?: Buffer) =>
  gmacOf(key.seal, [Buffer.from(`${CONTEXT}${resolve(path)}\n`), body], nonce);

/** The body of the summary at `path` if loki sealed it there with `key`; null when missing, unsealed or forged. */
export function readSealed(path: string, key: SummaryKey): Buffer | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return null;
  }
  const newline = bytes.indexOf(10);
  if (newline < 0) return null;
  const body = bytes.subarray(newline + 1);
  return gmacHolds(bytes.toString("latin1", 0, newline), (nonce) => sealOf(key, path, body, nonce)) ? body : null;
}

/** Writes `body` sealed at `path` (whole: temp file + rename); a disk that refuses it costs only speed. */
export function writeSealed(path: string, key: SummaryKey, body: string | Uint8Array): void {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  try {
    // "process": a summary lost to a power cut is rebuilt from the files, which are what counts.
    replaceFile(path, Buffer.concat([Buffer.from(`${sealOf(key, path, bytes)}\n`), bytes]), 0o600, "process");
  } catch {
    // A read-only or full disk: the figures are right all the same, only not kept for the next read.
  }
}

const NONCE_BYTES = 12;

/**
 * A keyed tag of `parts` ("nonce:tag", hex): AES-256-GMAC (GCM with the parts as associated data, no
 * plaintext) under a fresh random nonce — a fresh one at every write, so tags in summaries anyone
 * can read never reveal the hash key. Unlike a fast unkeyed hash (wyhash, xxhash), no one without
 * the key can make two contents with one tag; unlike sha256 or its HMAC (~6× slower here), it costs
 * less than reading the bytes.
 */
function gmacOf(key: Buffer, parts: readonly Uint8Array[], nonce?: Buffer): string {
  const { createCipheriv, randomBytes } = nodeCrypto();
  nonce ??= randomBytes(NONCE_BYTES);
  const gmac = createCipheriv("aes-256-gcm", key, nonce);
  for (const part of parts) gmac.setAAD(part);
  gmac.final();
  return `${nonce.toString("hex")}:${gmac.getAuthTag().toString("hex")}`;
}

/** Whether `tag` is the one `tagWith` makes under the nonce `tag` names (a nonce of any other length: never). */
function gmacHolds(tag: string, tagWith: (nonce: Buffer) => string): boolean {
  const nonce = Buffer.from(tag.slice(0, tag.indexOf(":")), "hex");
  if (nonce.length !== NONCE_BYTES) return false;
  const expected = Buffer.from(tagWith(nonce));
  const given = Buffer.from(tag, "latin1");
  return expected.length === given.length && nodeCrypto().timingSafeEqual(expected, given);
}

/** The keyed tag (gmacOf, under the key's `tags`) of the bytes a summary folded. */
export const tagOf = (key: SummaryKey, bytes: Uint8Array): string => gmacOf(key.tags, [bytes]);

/** Whether `tag` (from tagOf) is `bytes`'s under `key`. */
export const tagHolds = (key: SummaryKey, bytes: Uint8Array, tag: string): boolean =>
  gmacHolds(tag, (nonce) => gmacOf(key.tags, [bytes], nonce));
