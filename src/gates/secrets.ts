// Gate "secrets": scans only the added lines of the diff with the rules in secret-rules.ts (plus
// gitleaks when installed) and fails on any unsuppressed hit. scanLines is pure and allocation-lean;
// no message, reason, digest or detail ever carries a full secret — only its first characters.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import { z } from "zod";
import { messageOf } from "../core/errors.ts";
import { run, whichBinary } from "../core/exec.ts";
import type { Finding } from "../core/schema.ts";
import { fingerprint, type ChangedFile, type Gate } from "./gate.ts";
import { SECRET_RULES, type SecretRule } from "./secret-rules.ts";

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

const INLINE_ALLOW = /loki:allow-secret|gitleaks:allow|pragma: allowlist secret/;
const SKIPPED_ASSET =
  /(?:^|\/)(?:[^/]*\.lock|package-lock\.json|npm-shrinkwrap\.json|pnpm-lock\.yaml|[^/]*\.min\.(?:js|mjs|css)|[^/]*\.map)$/;

export type LokiIgnore = { ignores: (path: string) => boolean; fingerprints: ReadonlySet<string> };

/** `.lokiignore`: gitignore-style path globs (`!` re-includes, last match wins) and `fingerprint:<fp>` lines. */
export function parseLokiIgnore(text: string): LokiIgnore {
  const rules: { negate: boolean; globs: InstanceType<typeof Bun.Glob>[] }[] = [];
  const fingerprints = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("fingerprint:")) fingerprints.add(line.slice("fingerprint:".length).trim());
    else rules.push({ negate: line.startsWith("!"), globs: globsOf(line.replace(/^!/, "")).map((g) => new Bun.Glob(g)) });
  }
  const ignores = (path: string) => rules.reduce((ignored, r) => (r.globs.some((g) => g.match(path)) ? !r.negate : ignored), false);
  return { ignores, fingerprints };
}

/** gitignore semantics on Bun.Glob: no inner slash matches at any depth; a match covers a directory's files. */
function globsOf(pattern: string): string[] {
  const dirOnly = pattern.endsWith("/");
  const body = pattern.replace(/\/+$/, "");
  const base = body.includes("/") ? body.replace(/^\//, "") : `**/${body}`;
  return dirOnly ? [`${base}/**`] : [base, `${base}/**`];
}

function readLokiIgnore(root: string): LokiIgnore {
  try {
    return parseLokiIgnore(readFileSync(join(root, ".lokiignore"), "utf8"));
  } catch {
    return parseLokiIgnore("");
  }
}

const GitleaksReport = z.array(
  z.object({
    RuleID: z.string(),
    File: z.string(),
    StartLine: z.number().int().positive(),
    Secret: z.string().default(""),
    Description: z.string().default(""),
  }),
);
type GitleaksHit = { rule: string; title: string; file: string; line: number; secret: string };
type GitleaksRun = { status: "ran"; hits: GitleaksHit[] } | { status: "failed"; error: string };

/** gitleaks over a scratch copy of the added lines (at their own line numbers), via its report file:
 *  `--report-path -` needs gitleaks ≥ 8.22, and `detect --no-git` still runs on 8.19+ where it is deprecated. */
async function runGitleaks(bin: string, files: readonly ChangedFile[], signal?: AbortSignal): Promise<GitleaksRun> {
  const dir = mkdtempSync(join(tmpdir(), "loki-gitleaks-"));
  const source = join(dir, "src");
  try {
    for (const file of files) {
      // The diff must not configure the scanner that grades it.
      if (basename(file.path).startsWith(".gitleaks") || file.path.split("/").includes("..")) continue;
      const lines: string[] = new Array<string>(file.added.at(-1)?.line ?? 0).fill("");
      for (const { line, text } of file.added) lines[line - 1] = text;
      mkdirSync(dirname(join(source, file.path)), { recursive: true });
      writeFileSync(join(source, file.path), `${lines.join("\n")}\n`);
    }
    const report = join(dir, "report.json");
    const result = await run([bin, "detect", "--no-git", "--source", source, "--report-format", "json", "--report-path", report], {
      cwd: dir,
      timeoutMs: 120_000,
      signal,
    });
    if (result.exitCode !== 0 && result.exitCode !== 1)
      return { status: "failed", error: result.spawnError ?? (result.timedOut ? "timed out" : `exit ${result.exitCode}`) };
    // Never pass a parse error on: it may quote the report, and the report holds the secrets.
    const parsed = GitleaksReport.safeParse(parseJson(readFileSync(report, "utf8")));
    if (!parsed.success) return { status: "failed", error: "unreadable report" };
    const hits = parsed.data.map((h) => ({
      rule: h.RuleID,
      title: h.Description || h.RuleID,
      file: relative(source, resolve(dir, h.File)),
      line: h.StartLine,
      secret: h.Secret,
    }));
    return { status: "ran", hits: hits.filter((h) => !h.file.startsWith("..")) };
  } catch (error) {
    return { status: "failed", error: messageOf(error) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export type SecretsGateOptions = {
  /** Path of the gitleaks binary; null never runs it; unset looks it up on PATH. details.gitleaks
   *  records "ran", "failed", "not installed" or "skipped" (no added lines to scan). */
  gitleaks?: string | null;
};

export function createSecretsGate(options: SecretsGateOptions = {}): Gate {
  return {
    id: "secrets",
    title: "Secrets",
    when: () => true,
    run: async ({ subject, signal }) => {
      const ignore = readLokiIgnore(subject.root);
      const scanned = subject.files.filter(
        (f) => f.status !== "deleted" && !f.binary && f.added.length > 0 && !SKIPPED_ASSET.test(f.path) && !ignore.ignores(f.path),
      );
      const ignoredFiles = subject.files.filter((f) => f.status !== "deleted" && f.added.length > 0 && ignore.ignores(f.path)).length;
      const suppressed = { inline: 0, fingerprint: 0 };
      const findings: Finding[] = [];
      const seen = new Set<string>();
      const report = (
        file: string,
        line: number,
        text: string,
        rule: string,
        title: string,
        severity: Finding["severity"],
        secret: string,
      ) => {
        seen.add(`${file}\0${line}`);
        const fp = fingerprint(rule, file, secret);
        if (INLINE_ALLOW.test(text)) suppressed.inline++;
        else if (ignore.fingerprints.has(fp)) suppressed.fingerprint++;
        else findings.push({ severity, file, line, message: `${title} (${maskSecret(secret)})`, rule, fingerprint: fp });
      };
      for (const file of scanned)
        for (const hit of scanLines(file.added))
          report(file.path, hit.line, hit.text, hit.rule.id, hit.rule.title, hit.rule.severity, hit.secret);

      const lines = scanned.reduce((sum, f) => sum + f.added.length, 0);
      const bin = options.gitleaks === undefined ? whichBinary("gitleaks") : options.gitleaks;
      const leaks = bin !== null && lines > 0 ? await runGitleaks(bin, scanned, signal) : null;
      for (const hit of leaks?.status === "ran" ? leaks.hits : []) {
        if (seen.has(`${hit.file}\0${hit.line}`)) continue;
        const text = scanned.find((f) => f.path === hit.file)?.added.find((l) => l.line === hit.line)?.text ?? "";
        report(hit.file, hit.line, text, `gitleaks:${hit.rule}`, `${hit.title} (gitleaks)`, "high", hit.secret || text);
      }

      const quiet = [
        suppressed.inline > 0 ? `${suppressed.inline} inline` : "",
        suppressed.fingerprint > 0 ? `${suppressed.fingerprint} by fingerprint` : "",
        ignoredFiles > 0 ? `${plural(ignoredFiles, "file")} by .lokiignore` : "",
      ].filter(Boolean);
      // A suppression list edited by the change it grades deserves a reviewer's eye.
      const lokiignoreChanged = subject.files.some((f) => f.path === ".lokiignore");
      const notes = [
        quiet.length > 0 ? `suppressed ${quiet.join(", ")}` : "",
        lokiignoreChanged && (ignoredFiles > 0 || suppressed.fingerprint > 0) ? ".lokiignore changed in this diff" : "",
        leaks?.status === "failed" ? `gitleaks failed: ${leaks.error}` : "",
      ].filter(Boolean);
      const suffix = notes.length > 0 ? `; ${notes.join("; ")}` : "";
      const details = {
        rules: SECRET_RULES.length,
        files: scanned.length,
        lines,
        gitleaks: bin === null ? "not installed" : (leaks?.status ?? "skipped"),
        ...(leaks?.status === "failed" ? { gitleaks_error: leaks.error } : {}),
        suppressed: { ...suppressed, files: ignoredFiles },
        lokiignore_changed: lokiignoreChanged,
      };
      const first = findings[0];
      if (first === undefined)
        return {
          status: "pass",
          reason: `scanned ${plural(lines, "added line")} in ${plural(scanned.length, "file")}, no secrets${suffix}`,
          findings: [],
          details,
        };
      const more = findings.length > 1 ? ` (+${findings.length - 1} more)` : "";
      return {
        status: "fail",
        reason: `${plural(findings.length, "secret")} in added lines: ${first.message} at ${first.file}:${first.line}${more}${suffix}`,
        findings,
        details,
      };
    },
  };
}

export const secretsGate: Gate = createSecretsGate();
