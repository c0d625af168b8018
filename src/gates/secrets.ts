// Gate "secrets": scans the diff's added lines and binary files' new printable runs (secret-content.ts)
// with secret-rules.ts (plus gitleaks) and fails on any hit the base's suppressions do not cover.
// scanLines is pure and allocation-lean; no output ever carries a full secret, only its first characters.
import { whichBinary } from "../core/exec.ts";
import type { Finding } from "../core/schema.ts";
import { fingerprint, type ChangedFile, type Gate, type GateContext } from "./gate.ts";
import { runGitleaks } from "./gitleaks.ts";
import { readBinaryContent } from "./secret-content.ts";
import { SECRET_RULES, type SecretRule } from "./secret-rules.ts";
import { type LokiIgnore, lokiIgnoreFor, markersAtBase } from "./suppressions.ts";

export type AddedLine = ChangedFile["added"][number];
export type SecretHit = { rule: SecretRule; line: number; secret: string; text: string };

const RULES = SECRET_RULES.map((rule) => ({ rule, regex: new RegExp(rule.regex.source, `${rule.regex.flags.replace("g", "")}g`) }));
const KEYWORD_LIST = [...new Set(SECRET_RULES.flatMap((r) => r.keywords))].sort((a, b) => b.length - a.length);
// A hit on "client_secret" must also wake the rules keyed on "secret": the regex reports one keyword per position.
const RULES_BY_KEYWORD = new Map(
  KEYWORD_LIST.map((k) => [k, RULES.flatMap((c, i) => (c.rule.keywords.some((w) => k.includes(w)) ? [i] : []))]),
);
const KEYWORDS = new RegExp(KEYWORD_LIST.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "gi");
const woken = new Uint32Array(RULES.length);
let generation = 0;

/** Shannon entropy in bits per character: ~0 for "aaaa", ~6 for random base64. */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < text.length; i++) counts.set(text.charCodeAt(i), (counts.get(text.charCodeAt(i)) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / text.length) * Math.log2(n / text.length);
  return bits;
}

/** Every rule hit in these lines, one per secret per line (the most specific rule wins). Pure but
 *  for the reused scratch state above (`woken`), which no caller can observe. */
export function scanLines(lines: readonly AddedLine[]): SecretHit[] {
  const hits: SecretHit[] = [];
  for (const { line, text } of lines) {
    KEYWORDS.lastIndex = 0;
    let keyword = KEYWORDS.exec(text);
    if (keyword === null) continue;
    generation = (generation + 1) >>> 0 || 1;
    for (; keyword !== null; keyword = KEYWORDS.exec(text)) {
      for (const i of RULES_BY_KEYWORD.get(keyword[0]) ?? RULES_BY_KEYWORD.get(keyword[0].toLowerCase()) ?? []) woken[i] = generation;
      KEYWORDS.lastIndex = keyword.index + 1;
    }
    const first = hits.length;
    for (let i = 0; i < RULES.length; i++) {
      if (woken[i] !== generation) continue;
      const { rule, regex } = RULES[i]!;
      regex.lastIndex = 0;
      for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
        if (m[0] === "") regex.lastIndex++;
        const secret = m.groups?.secret;
        if (!secret || !isCredential(rule, secret)) continue;
        if (hits.slice(first).some((h) => h.secret.includes(secret) || secret.includes(h.secret))) continue;
        hits.push({ rule, line, secret, text });
      }
    }
  }
  return hits;
}

const FILLER = /(.)\1{7}/;

function isCredential(rule: SecretRule, secret: string): boolean {
  if (rule.entropy !== undefined && (shannonEntropy(secret) < rule.entropy || FILLER.test(secret))) return false;
  return !rule.allow?.some((re) => re.test(secret));
}

/** The first characters only (fewer for short secrets, so most of it stays hidden). */
export function maskSecret(secret: string): string {
  return `${secret.trim().slice(0, Math.min(4, Math.floor(secret.trim().length / 3)))}…`;
}

const SKIPPED_ASSET =
  /(?:^|\/)(?:[^/]*\.lock|package-lock\.json|npm-shrinkwrap\.json|pnpm-lock\.yaml|[^/]*\.min\.(?:js|mjs|css)|[^/]*\.map)$/;
const ACCEPT_HINT = "its allow marker was added in this diff (a maintainer accepts it: loki verify --accept-config-change)";
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export type SecretsGateOptions = {
  /** Path of the gitleaks binary; null never runs it; unset looks it up on PATH, unless
   *  LOKI_SECRET_SCANNER=builtin (the Action's `secret-scanner: builtin`) turns it off. details.gitleaks
   *  records "ran", "failed", "not installed", "off" or "skipped" (no added lines to scan). */
  gitleaks?: string | null;
};

type Candidate = {
  file: ChangedFile;
  line: number;
  text: string;
  rule: string;
  title: string;
  severity: Finding["severity"];
  secret: string;
};

/** Every hit in the scanned lines: the built-in rules, then gitleaks' on lines they did not flag. */
async function findCandidates(scanned: readonly ChangedFile[], bin: string | null, signal?: AbortSignal) {
  const candidates: Candidate[] = [];
  for (const file of scanned)
    for (const { line, text, rule, secret } of scanLines(file.added))
      candidates.push({ file, line, text, rule: rule.id, title: rule.title, severity: rule.severity, secret });
  const seen = new Set(candidates.map((c) => `${c.file.path}\0${c.line}`));
  const leaks = bin !== null && scanned.length > 0 ? await runGitleaks(bin, scanned, signal) : null;
  for (const hit of leaks?.status === "ran" ? leaks.hits : []) {
    const file = scanned.find((f) => f.path === hit.file);
    if (file === undefined || seen.has(`${hit.file}\0${hit.line}`)) continue;
    const text = file.added.find((l) => l.line === hit.line)?.text ?? "";
    const title = `${hit.title} (gitleaks)`;
    candidates.push({ file, line: hit.line, text, rule: `gitleaks:${hit.rule}`, title, severity: "high", secret: hit.secret || text });
  }
  return { candidates, leaks };
}

/** Which hits stand: an allow marker counts when the base had its line (or the user accepted the
 *  diff's own markers), a fingerprint when the .lokiignore in force lists it. */
async function judge(ctx: GateContext, candidates: readonly Candidate[], ignore: LokiIgnore, extra: readonly Finding[]) {
  const suppressed = { inline: 0, fingerprint: 0, markers_added: 0 };
  const findings: Finding[] = [];
  const marker = await markersAtBase(ctx.subject, candidates);
  for (const c of candidates) {
    const fp = fingerprint(c.rule, c.file.path, c.secret);
    const verdict = marker(c.text, c.file);
    if (verdict === "added") suppressed.markers_added++;
    if (verdict === "at base" || (verdict === "added" && ctx.acceptConfigChange === true)) suppressed.inline++;
    else if (ignore.fingerprints.has(fp)) suppressed.fingerprint++;
    else {
      const message = `${c.title} (${maskSecret(c.secret)})${verdict === "added" ? ` — ${ACCEPT_HINT}` : ""}`;
      findings.push({ severity: c.severity, file: c.file.path, line: c.line, message, rule: c.rule, fingerprint: fp });
    }
  }
  for (const f of extra) {
    if (ignore.fingerprints.has(f.fingerprint)) suppressed.fingerprint++;
    else findings.push(f);
  }
  return { findings, suppressed };
}

export function createSecretsGate(options: SecretsGateOptions = {}): Gate {
  return {
    id: "secrets",
    title: "Secrets",
    when: () => true,
    run: async (ctx) => {
      const { subject } = ctx;
      const { ignore, source } = await lokiIgnoreFor(ctx);
      const live = subject.files.filter((f) => f.status !== "deleted" && !SKIPPED_ASSET.test(f.path) && !ignore.ignores(f.path));
      const binary = await readBinaryContent(
        subject,
        live.filter((f) => f.binary),
      );
      const scanned = [...live.filter((f) => !f.binary && f.added.length > 0), ...binary.files];
      const ignoredFiles = subject.files.filter(
        (f) => f.status !== "deleted" && (f.added.length > 0 || f.binary) && ignore.ignores(f.path),
      ).length;
      const off = options.gitleaks === undefined && process.env.LOKI_SECRET_SCANNER === "builtin";
      const bin = off ? null : options.gitleaks === undefined ? whichBinary("gitleaks") : options.gitleaks;
      const { candidates, leaks } = await findCandidates(scanned, bin, ctx.signal);
      const { findings, suppressed } = await judge(ctx, candidates, ignore, binary.findings);

      const quiet = [
        suppressed.inline > 0 ? `${suppressed.inline} inline` : "",
        suppressed.fingerprint > 0 ? `${suppressed.fingerprint} by fingerprint` : "",
        ignoredFiles > 0 ? `${plural(ignoredFiles, "file")} by .lokiignore` : "",
      ].filter(Boolean);
      // A suppression list edited by the change it grades deserves a reviewer's eye.
      const lokiignoreChanged = subject.files.some((f) => f.path === ".lokiignore");
      const notes = [
        quiet.length > 0 ? `suppressed ${quiet.join(", ")}` : "",
        lokiignoreChanged && source === "base" ? ".lokiignore changed in this diff (not applied: the base's is)" : "",
        lokiignoreChanged && source !== "base" && (ignoredFiles > 0 || suppressed.fingerprint > 0)
          ? ".lokiignore changed in this diff"
          : "",
        suppressed.markers_added > 0 && ctx.acceptConfigChange === true
          ? `${plural(suppressed.markers_added, "allow marker")} added in this diff, accepted`
          : "",
        leaks?.status === "failed" ? `gitleaks failed: ${leaks.error}` : "",
      ].filter(Boolean);
      const suffix = notes.length > 0 ? `; ${notes.join("; ")}` : "";
      const lines = scanned.reduce((sum, f) => sum + f.added.length, 0);
      const details = {
        rules: SECRET_RULES.length,
        files: scanned.length,
        lines,
        binary_files: binary.files.length,
        gitleaks: off ? "off" : bin === null ? "not installed" : (leaks?.status ?? "skipped"),
        ...(leaks?.status === "failed" ? { gitleaks_error: leaks.error } : {}),
        suppressed: { ...suppressed, files: ignoredFiles },
        lokiignore: source,
        lokiignore_changed: lokiignoreChanged,
      };
      const first = findings[0];
      if (first === undefined) {
        const reason = `scanned ${plural(lines, "added line")} in ${plural(scanned.length, "file")}, no secrets${suffix}`;
        return { status: "pass", reason, findings: [], details };
      }
      const more = findings.length > 1 ? ` (+${findings.length - 1} more)` : "";
      const where = first.line === undefined ? first.file : `${first.file}:${first.line}`;
      const reason = `${plural(findings.length, "finding")} in added content: ${first.message} at ${where}${more}${suffix}`;
      return { status: "fail", reason, findings, details };
    },
  };
}

export const secretsGate: Gate = createSecretsGate();
