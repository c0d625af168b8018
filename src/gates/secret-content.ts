// What the secrets gate reads of files that are binary by loki's rule (gates/binary.ts): their raw
// content, as printable runs new since the base (like `strings`), and the text files this diff turned
// binary (`text-to-binary`, unless both names are a binary format's, like a placeholder icon getting its
// real bytes), whose lines no diff shows any more. Reads blobs; never throws for content.
import type { Finding } from "../core/schema.ts";
import { binaryByBaseAttributes, hasNulByte, printableRuns, type RawContent, readRaw } from "./blobs.ts";
import { linesOf } from "./diff-lines.ts";
import { type ChangedFile, fingerprint, type Subject } from "./gate.ts";

/** A binary file larger than this is not scanned, and the gate says so with a finding. */
export const MAX_SCAN_BYTES = 64 * 1024 * 1024;

/** Extensions of formats that are binary by nature: such a file turning binary is expected, not hiding. */
const BINARY_FORMATS = new Set(
  [
    ...["png", "jpg", "jpeg", "gif", "bmp", "ico", "icns", "webp", "avif", "tif", "tiff", "psd", "heic"],
    ...["woff", "woff2", "ttf", "otf", "eot"],
    ...["mp3", "wav", "ogg", "flac", "m4a", "aac", "mp4", "m4v", "mov", "webm", "avi", "mkv"],
    ...["zip", "gz", "tgz", "bz2", "xz", "zst", "7z", "rar", "tar", "jar"],
    ...["pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp"],
    ...["wasm", "sqlite", "sqlite3", "db"],
  ].map((ext) => `.${ext}`),
);

/** True when the name ends in a binary format's extension (case-insensitive). */
export function isBinaryFormat(path: string): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1).toLowerCase();
  const dot = name.lastIndexOf(".");
  return dot > 0 && BINARY_FORMATS.has(name.slice(dot));
}

export type BinaryContent = {
  /** Binary files as scannable lines: the printable runs the base version did not have. */
  files: ChangedFile[];
  findings: Finding[];
};

/** The printable runs of each binary file that its base version (old path when renamed) lacked. */
export async function readBinaryContent(subject: Subject, binaries: readonly ChangedFile[]): Promise<BinaryContent> {
  const existedAtBase = binaries.filter((f) => f.status === "modified" || f.status === "renamed");
  const [now, before] = await Promise.all([
    readRaw(
      subject.root,
      subject.includesWorktree ? null : subject.head,
      binaries.map((f) => f.path),
      MAX_SCAN_BYTES,
    ),
    readRaw(
      subject.root,
      subject.base,
      existedAtBase.map((f) => f.oldPath ?? f.path),
      MAX_SCAN_BYTES,
    ),
  ]);
  const baseOf = new Map<ChangedFile, RawContent | null>(existedAtBase.map((f, i) => [f, before[i] ?? null]));
  const files: ChangedFile[] = [];
  const findings: Finding[] = [];
  const turned: ChangedFile[] = [];
  binaries.forEach((file, i) => {
    const content = now[i];
    if (content === null || content === undefined) return;
    const base = baseOf.get(file) ?? null;
    const format = isBinaryFormat(file.path) && isBinaryFormat(file.oldPath ?? file.path);
    if (hasNulByte(content) && base !== null && !hasNulByte(base) && !format) turned.push(file);
    if (!content.complete) {
      const mib = (content.size / (1024 * 1024)).toFixed(0);
      findings.push(finding("medium", file.path, "unscanned-binary", `${file.path} (${mib} MiB, binary) is too large to scan for secrets`));
      return;
    }
    const old = new Set(base?.complete ? printableRuns(base.bytes).map((r) => r.text) : []);
    const added = printableRuns(content.bytes).filter((r) => !old.has(r.text));
    if (added.length > 0) files.push({ ...file, added: linesOf(added) });
  });
  // A base attribute (-diff, binary) made it binary on both sides: only a NUL byte turns text into binary.
  const byAttribute =
    turned.length > 0
      ? await binaryByBaseAttributes(subject.root, subject.base, Promise.resolve(turned.map((f) => f.oldPath ?? f.path)))
      : new Set<string>();
  for (const file of turned) {
    if (byAttribute.has(file.oldPath ?? file.path)) continue;
    findings.push(
      finding(
        "high",
        file.path,
        "text-to-binary",
        `${file.path} was text at the base and is binary now (a NUL byte in its first 8,000 bytes): no diff shows its lines`,
      ),
    );
  }
  return { files, findings };
}

function finding(severity: Finding["severity"], file: string, rule: string, message: string): Finding {
  return { severity, file, message, rule, fingerprint: fingerprint(rule, file, message) };
}
