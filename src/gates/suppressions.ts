// What may silence a secrets finding, taken from the base and not from the diff being graded: the
// .lokiignore frozen at the base, and inline allow markers only on lines the base already had —
// unless the user accepted the diff's own configuration (--accept-config-change).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ignore, { type Ignore } from "ignore";
import { readRaw } from "./blobs.ts";
import { readSubjectFiles } from "./diff.ts";
import type { ChangedFile, GateContext, Subject } from "./gate.ts";

export const INLINE_ALLOW = /loki:allow-secret|gitleaks:allow|pragma: allowlist secret/;
const MAX_BASE_BYTES = 16 * 1024 * 1024;

export type LokiIgnore = { ignores: (path: string) => boolean; fingerprints: ReadonlySet<string> };

type Rule = { negative: boolean; match: Ignore };

/**
 * `.lokiignore`: gitignore path patterns, matched by `ignore` (git's own rules: anchoring, `dir/`,
 * `**`, escapes, last match wins, a file under an excluded directory stays excluded), and
 * `fingerprint:<fp>` lines. One departure, towards scanning more: a `!` line that names a file
 * itself re-includes it even under an excluded directory — the user asked for that file to be scanned.
 */
export function parseLokiIgnore(text: string): LokiIgnore {
  const patterns: string[] = [];
  const fingerprints = new Set<string>();
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line.trim().startsWith("fingerprint:")) fingerprints.add(line.trim().slice("fingerprint:".length).trim());
    else patterns.push(line);
  }
  const all = ignore().add(patterns);
  const rules: Rule[] = patterns
    .filter((p) => p.trim() !== "" && !p.startsWith("#"))
    .map((p) => ({ negative: p.startsWith("!"), match: ignore().add(p.replace(/^!/, "")) }));
  const ignores = (path: string) => {
    // A path git could never hold (absolute, `..`) is nobody's to ignore: it is scanned.
    if (!ignore.isPathValid(path) || !all.ignores(path)) return false;
    const last = rules.findLast((rule) => matchesItself(rule.match, path));
    return last === undefined || !last.negative;
  };
  return { ignores, fingerprints };
}

/** The pattern matches `path` itself, not only through one of its parent directories. */
function matchesItself(match: Ignore, path: string): boolean {
  if (!match.ignores(path)) return false;
  const parts = path.split("/");
  for (let i = 1; i < parts.length; i++) if (match.ignores(`${parts.slice(0, i).join("/")}/`)) return false;
  return true;
}

/** Where the .lokiignore in force came from: the base (frozen), the diff (accepted), or — for
 *  callers that froze nothing — the working tree as it is. */
export type LokiIgnoreSource = "base" | "diff (accepted)" | "working tree";

export async function lokiIgnoreFor(ctx: GateContext): Promise<{ ignore: LokiIgnore; source: LokiIgnoreSource }> {
  if (ctx.frozen !== undefined && ctx.acceptConfigChange !== true)
    return { ignore: parseLokiIgnore(ctx.frozen.lokiignore ?? ""), source: "base" };
  if (ctx.frozen !== undefined) {
    const [text] = await readSubjectFiles(ctx.subject, [".lokiignore"]);
    return { ignore: parseLokiIgnore(text ?? ""), source: "diff (accepted)" };
  }
  try {
    return { ignore: parseLokiIgnore(readFileSync(join(ctx.subject.root, ".lokiignore"), "utf8")), source: "working tree" };
  } catch {
    return { ignore: parseLokiIgnore(""), source: "working tree" };
  }
}

/** A line's inline allow marker: honoured, or added by this diff (and so not honoured unless accepted). */
export type MarkerVerdict = "none" | "at base" | "added";

/**
 * For each (file, line text) holding a marker: was that exact line already in the file's base
 * version (its old path when renamed)? One `git cat-file` read for all such files.
 */
export async function markersAtBase(
  subject: Subject,
  lines: readonly { file: ChangedFile; text: string }[],
): Promise<(text: string, file: ChangedFile) => MarkerVerdict> {
  const files = [...new Set(lines.filter((l) => INLINE_ALLOW.test(l.text)).map((l) => l.file))].filter((f) => f.status !== "added");
  const contents = await readRaw(
    subject.root,
    subject.base,
    files.map((f) => f.oldPath ?? f.path),
    MAX_BASE_BYTES,
  );
  const baseLines = new Map<ChangedFile, Set<string>>();
  files.forEach((file, i) => {
    const content = contents[i];
    if (content?.complete) baseLines.set(file, new Set(Buffer.from(content.bytes, "latin1").toString("utf8").split("\n")));
  });
  return (text, file) => (!INLINE_ALLOW.test(text) ? "none" : baseLines.get(file)?.has(text) ? "at base" : "added");
}
