// The binary form of a persisted BM25 index (episodes.idx): encode and decode, with a header that says
// what part of the JSONL it covers and a sha256 over header and body, so a torn or bit-flipped file is
// detected and never trusted. Pure: bytes in, bytes out (index-file.ts does the I/O).
//
// Layout, little-endian; "varint" = unsigned LEB128 (7 bits a byte, low bits first):
//   header, 104 bytes
//     0  magic "LKMEMIDX" (8 bytes)        8  u16 format version (FORMAT_VERSION)
//    10  u16 TOKENIZER_VERSION            12  u32 document count D
//    16  u32 term count T                 20  u32 coveredLines (JSONL lines the index covers)
//    24  u64 coveredBytes (JSONL prefix the index covers, ends right after a "\n")
//    32  u32 body length in bytes         36  u32 posting count P (sum of every term's df)
//    40  sha256 of the JSONL's first line, without its "\n" (32 bytes; zeros when coveredBytes is 0)
//    72  sha256 of header bytes 0..71 followed by the body (32 bytes)
//   body
//     ids:     varint byte length, UTF-8 of every id concatenated; then D varints, each id's UTF-16 length
//     lengths: D varints, each document's length in terms
//     hashes:  D × u32, each document's textHash (tokenize.ts)
//     terms:   varint byte length, UTF-8 of every term concatenated (terms in code-unit order); T varints (UTF-16 lengths)
//     sizes:   T varints, the byte length of each term's postings block
//     postings, one block per term in that order: varint df; df varints of ascending ordinals,
//              delta-coded (the first absolute); df varints of term frequencies
// A block is decoded on the first query that names its term: a load costs the dictionary, not every
// posting (the sha256 has vouched for every byte by then).
import { createHash } from "node:crypto";
import { TOKENIZER_VERSION } from "./tokenize.ts";
import type { Bm25Index, Posting } from "./bm25.ts";

export const FORMAT_VERSION = 1;
const MAGIC = "LKMEMIDX";
export const HEADER_BYTES = 104;
const CHECKED_HEADER = 72;

/** The part of the JSONL an index covers: a prefix of whole lines, and its first line's sha256 (hex). */
export type Coverage = { bytes: number; lines: number; fingerprint: string };

const ZERO_FINGERPRINT = "0".repeat(64);
export const emptyFingerprint = (): string => ZERO_FINGERPRINT;

class Writer {
  bytes = new Uint8Array(1 << 16);
  at = 0;
  private room(n: number): void {
    if (this.at + n <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.at + n));
    grown.set(this.bytes.subarray(0, this.at));
    this.bytes = grown;
  }
  varint(value: number): void {
    this.room(5);
    let v = value >>> 0;
    while (v >= 0x80) {
      this.bytes[this.at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.bytes[this.at++] = v;
  }
  u32(value: number): void {
    this.room(4);
    new DataView(this.bytes.buffer).setUint32(this.at, value >>> 0, true);
    this.at += 4;
  }
  raw(data: Uint8Array): void {
    this.room(data.length);
    this.bytes.set(data, this.at);
    this.at += data.length;
  }
  strings(values: readonly string[]): void {
    const blob = new TextEncoder().encode(values.join(""));
    this.varint(blob.length);
    this.raw(blob);
    for (const value of values) this.varint(value.length);
  }
}

export function encodeIndex(index: Bm25Index, coverage: Coverage): Uint8Array {
  const body = new Writer();
  const count = index.ids.length;
  body.strings(index.ids);
  for (const length of index.lengths) body.varint(length);
  for (const hash of index.hashes) body.u32(hash);
  const terms = [...index.postings.keys()].sort();
  body.strings(terms);
  const blocks = new Writer();
  let postingCount = 0;
  for (const term of terms) {
    const { docs, tfs } = index.postings.get(term) as Posting;
    const before = blocks.at;
    postingCount += docs.length;
    blocks.varint(docs.length);
    let previous = 0;
    for (let i = 0; i < docs.length; i++) {
      blocks.varint((docs[i] as number) - previous);
      previous = docs[i] as number;
    }
    for (let i = 0; i < tfs.length; i++) blocks.varint(tfs[i] as number);
    body.varint(blocks.at - before);
  }
  body.raw(blocks.bytes.subarray(0, blocks.at));
  const out = new Uint8Array(HEADER_BYTES + body.at);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint16(8, FORMAT_VERSION, true);
  view.setUint16(10, TOKENIZER_VERSION, true);
  view.setUint32(12, count, true);
  view.setUint32(16, terms.length, true);
  view.setUint32(20, coverage.lines, true);
  view.setBigUint64(24, BigInt(coverage.bytes), true);
  view.setUint32(32, body.at, true);
  view.setUint32(36, postingCount, true);
  out.set(Buffer.from(coverage.fingerprint, "hex"), 40);
  out.set(body.bytes.subarray(0, body.at), HEADER_BYTES);
  out.set(checksum(out), CHECKED_HEADER);
  return out;
}

function checksum(file: Uint8Array): Uint8Array {
  return createHash("sha256").update(file.subarray(0, CHECKED_HEADER)).update(file.subarray(HEADER_BYTES)).digest();
}

/** What the header says, or why the bytes are not a usable index (wrong magic, version, size or checksum). */
export type Header = { coverage: Coverage; docCount: number; termCount: number; postingCount: number };

export function readHeader(file: Uint8Array): Header | string {
  if (file.length < HEADER_BYTES) return "the index is shorter than its header";
  if (new TextDecoder().decode(file.subarray(0, 8)) !== MAGIC) return "not a loki memory index (magic)";
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (view.getUint16(8, true) !== FORMAT_VERSION) return `index format ${view.getUint16(8, true)}, this loki reads ${FORMAT_VERSION}`;
  if (view.getUint16(10, true) !== TOKENIZER_VERSION) return "the index was built by another tokenizer version";
  if (view.getUint32(32, true) !== file.length - HEADER_BYTES) return "the index's length does not match its header (truncated?)";
  if (Buffer.compare(checksum(file), file.subarray(CHECKED_HEADER, HEADER_BYTES)) !== 0) return "the index's checksum does not match";
  const fingerprint = Buffer.from(file.subarray(40, 72)).toString("hex");
  return {
    coverage: { bytes: Number(view.getBigUint64(24, true)), lines: view.getUint32(20, true), fingerprint },
    docCount: view.getUint32(12, true),
    termCount: view.getUint32(16, true),
    postingCount: view.getUint32(36, true),
  };
}

/**
 * Decodes the body of a file whose header (and checksum) readHeader accepted; throws on an inconsistent
 * dictionary. A postings block is checked when first decoded: past a good checksum, a bad block can
 * only come from a writer bug, and it throws then.
 */
export function decodeIndex(file: Uint8Array, header: Header): Bm25Index {
  const end = file.length;
  let at = HEADER_BYTES;
  const varint = (): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      if (at >= end || shift > 28) throw new Error("varint out of bounds");
      const byte = file[at++] as number;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
      shift += 7;
    }
  };
  const strings = (count: number): string[] => {
    const bytes = varint();
    if (at + bytes > end) throw new Error("string blob out of bounds");
    const blob = new TextDecoder("utf-8", { fatal: true }).decode(file.subarray(at, (at += bytes)));
    const out: string[] = new Array(count);
    let from = 0;
    for (let i = 0; i < count; i++) out[i] = blob.slice(from, (from += varint()));
    if (from !== blob.length) throw new Error("string lengths do not add up");
    return out;
  };
  const { docCount, termCount } = header;
  const ids = strings(docCount);
  const lengths: number[] = new Array(docCount);
  let totalLength = 0;
  for (let i = 0; i < docCount; i++) totalLength += lengths[i] = varint();
  if (at + 4 * docCount > end) throw new Error("hashes out of bounds");
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const hashes: number[] = new Array(docCount);
  for (let i = 0; i < docCount; i++, at += 4) hashes[i] = view.getUint32(at, true);
  const terms = strings(termCount);
  const sizes = terms.map(() => varint());
  const postings = new Map<string, Posting>();
  terms.forEach((term, t) => {
    const size = sizes[t] as number;
    if (at + size > end) throw new Error("postings out of bounds");
    postings.set(term, lazyPosting(file.subarray(at, (at += size)), docCount));
  });
  if (at !== end) throw new Error("the body does not match its header");
  return { ids, lengths, hashes, totalLength, postings };
}

/** A varint of more than one byte (the rare case) at `at`: [value, next offset]. */
function longVarint(file: Uint8Array, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 5; i++) {
    if (at >= file.length) break;
    const byte = file[at++] as number;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, at];
    scale *= 128;
  }
  throw new Error("varint out of bounds");
}

/** A posting whose block is decoded on first use, then kept. */
function lazyPosting(block: Uint8Array, docCount: number): Posting {
  let decoded: { docs: Uint32Array; tfs: Uint32Array } | null = null;
  const get = () => {
    decoded ??= decodeBlock(block, docCount);
    return decoded;
  };
  return {
    get docs() {
      return get().docs;
    },
    get tfs() {
      return get().tfs;
    },
  };
}

/** One term's block: df, the delta-coded ordinals, the term frequencies (one-byte varints inlined). */
export function decodeBlock(block: Uint8Array, docCount: number): { docs: Uint32Array; tfs: Uint32Array } {
  let at = 0;
  let value = 0;
  const next = () => {
    if (at >= block.length) throw new Error("postings out of bounds");
    value = block[at++] as number;
    if (value >= 0x80) [value, at] = longVarint(block, at - 1);
    return value;
  };
  const df = next();
  if (df === 0 || df > docCount) throw new Error("posting count out of bounds");
  const docs = new Uint32Array(df);
  const tfs = new Uint32Array(df);
  let ordinal = 0;
  for (let i = 0; i < df; i++) {
    const gap = next();
    if (gap === 0 && i > 0) throw new Error("postings not ascending");
    docs[i] = ordinal += gap;
  }
  if (ordinal >= docCount) throw new Error("posting names a missing document");
  for (let i = 0; i < df; i++) tfs[i] = next();
  if (at !== block.length) throw new Error("a postings block does not match its size");
  return { docs, tfs };
}
