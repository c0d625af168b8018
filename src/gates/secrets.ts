// Gate "secrets": scans the diff's added lines and binary files' new printable runs (secret-content.ts)
// with the detector in core/secrets/ (plus gitleaks) and fails on any hit the base's suppressions do not
// cover. No output ever carries a full secret, only its first characters.
import type { SecretScanner } from "../core/config.ts";
import { whichBinary } from "../core/exec.ts";
import type { Finding } from "../core/schema.ts";
import { maskSecret, SECRET_RULES, scanLines } from "../core/secrets/detect.ts";
import { fingerprint, type ChangedFile, type Gate, type GateContext } from "./gate.ts";
import { type GitleaksRun, runGitleaks } from "./gitleaks.ts";
import { readBinaryContent } from "./secret-content.ts";
import { type LokiIgnore, lokiIgnoreFor, markersAtBase } from "./suppressions.ts";

const SKIPPED_ASSET =
  /(?:^|\/)(?:[^/]*\.lock|package-lock\.json|npm-shrinkwrap\.json|pnpm-lock\.yaml|[^/]*\.min\.(?:js|mjs|css)|[^/]*\.map)$/;
const ACCEPT_HINT = "its allow marker was added in this diff (a maintainer accepts it: loki verify --accept-config-change)";
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export type SecretsGateOptions = {
  /** Path of the gitleaks binary (null: none installed), in place of looking it up on PATH. Which
   *  scanners run is the configuration's choice (verify.secret_scanner, --secret-scanner): builtin
   *  never runs gitleaks; auto runs it when there is one; gitleaks requires it. details.gitleaks
   *  records "ran", "failed", "not installed", "disabled" (builtin) or "skipped" (no added lines). */
  gitleaks?: string | null;
};

type Scanner = { mode: SecretScanner; bin: string | null };

function scannerFor(ctx: GateContext, options: SecretsGateOptions): Scanner {
  const mode = ctx.config.verify.secret_scanner ?? "auto";
  if (mode === "builtin") return { mode, bin: null };
  return { mode, bin: options.gitleaks === undefined ? whichBinary("gitleaks") : options.gitleaks };
}

/** With gitleaks required, a gitleaks that did not run leaves a clean scan unproven. */
function requiredGitleaksMissing(scanner: Scanner, leaks: GitleaksRun | null): string | null {
  if (scanner.mode !== "gitleaks") return null;
  if (scanner.bin === null) return "gitleaks is required (secret scanner: gitleaks) but not installed";
  return leaks?.status === "failed" ? "gitleaks is required (secret scanner: gitleaks) but failed" : null;
}

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
    for (const { line, text, rule, secret } of scanLines(file.added.lines()))
      candidates.push({ file, line, text, rule: rule.id, title: rule.title, severity: rule.severity, secret });
  const seen = new Set(candidates.map((c) => `${c.file.path}\0${c.line}`));
  const leaks = bin !== null && scanned.length > 0 ? await runGitleaks(bin, scanned, signal) : null;
  // Each file's added lines by number, built once: a file's lines are decoded anew on every lines() call.
  const byFile = new Map<ChangedFile, Map<number, string>>();
  const lineText = (file: ChangedFile, line: number) => {
    let texts = byFile.get(file);
    if (texts === undefined) byFile.set(file, (texts = new Map(file.added.lines().map((l) => [l.line, l.text]))));
    return texts.get(line) ?? "";
  };
  const byPath = new Map<string, ChangedFile>();
  for (const f of scanned) if (!byPath.has(f.path)) byPath.set(f.path, f);
  for (const hit of leaks?.status === "ran" ? leaks.hits : []) {
    const file = byPath.get(hit.file);
    if (file === undefined || seen.has(`${hit.file}\0${hit.line}`)) continue;
    const text = lineText(file, hit.line);
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
      const scanner = scannerFor(ctx, options);
      const { candidates, leaks } = await findCandidates(scanned, scanner.bin, ctx.signal);
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
        scanner: scanner.mode,
        gitleaks: scanner.mode === "builtin" ? "disabled" : scanner.bin === null ? "not installed" : (leaks?.status ?? "skipped"),
        ...(leaks?.status === "failed" ? { gitleaks_error: leaks.error } : {}),
        suppressed: { ...suppressed, files: ignoredFiles },
        lokiignore: source,
        lokiignore_changed: lokiignoreChanged,
      };
      const first = findings[0];
      const unproven = requiredGitleaksMissing(scanner, leaks);
      if (first === undefined) {
        const reason = `scanned ${plural(lines, "added line")} in ${plural(scanned.length, "file")}, no secrets${suffix}`;
        if (unproven !== null)
          return { status: "inconclusive", reason: `${unproven}; the built-in rules ${reason}`, findings: [], details };
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
