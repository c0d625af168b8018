// Fingerprints of what grades a run — loki's own files, the provider CLIs it resolved and the user
// config their graders read — taken at run start and compared before every build, review and judge
// call: the agent could otherwise swap the grader (unsandboxed) or its config (in a writable state dir). Per file: size, mtime, ctime and inode (an
// unprivileged process cannot set ctime back), plus a sha256 of the content for files under 1 MiB.
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import canonicalize from "canonicalize";
import { parse as parseJsonc } from "jsonc-parser";
import type { RunIntegrity } from "../core/run-schema.ts";
import { PROVIDER_IDS } from "../core/provider-ids.ts";
import { selfLocation } from "../core/self.ts";
import type { RunRecord } from "./run-state.ts";
import { recordViolation } from "./trust-sink.ts";

const HASH_LIMIT = 1024 * 1024;

export type Fingerprints = Record<string, string>;
/** `appeared`: the path was missing in the baseline. */
export type Drift = { kind: "loki" | "provider" | "config"; path: string; appeared?: boolean };

/**
 * path → fingerprint for every file under `paths` (directories walked; a missing path is recorded as
 * such). Against a `baseline`, a file whose size, mtime, ctime and inode are unchanged keeps its
 * recorded hash unread: no write leaves ctime as it was, so only a changed file is hashed again.
 */
export function fingerprintInstall(paths: readonly string[], baseline: Fingerprints = {}): Fingerprints {
  const out: Fingerprints = {};
  for (const path of paths) walk(path, out, true, baseline);
  return out;
}

/** The roots given are followed through symlinks; links found inside a walked directory are not. */
function walk(path: string, out: Fingerprints, root: boolean, baseline: Fingerprints): void {
  if (path in out) return;
  let stat;
  try {
    stat = root ? statSync(path) : lstatSync(path);
  } catch {
    out[path] = "missing";
    return;
  }
  if (stat.isSymbolicLink()) {
    out[path] = `link:${stat.ctimeMs}:${stat.ino}:${readlinkSync(path)}`;
    return;
  }
  if (stat.isDirectory()) {
    out[path] = `dir:${stat.ino}`;
    let names: string[] = [];
    try {
      names = readdirSync(path);
    } catch {
      out[path] = `dir:${stat.ino}:unreadable`;
    }
    for (const name of names.sort()) walk(join(path, name), out, false, baseline);
    return;
  }
  const meta = `${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}:${stat.ino}`;
  const known = baseline[path];
  if (known !== undefined && known.startsWith(`${meta}:`)) out[path] = known;
  else out[path] = stat.isFile() && stat.size < HASH_LIMIT ? `${meta}:${sha256(path)}` : meta;
}

function sha256(path: string): string {
  try {
    return createHash("sha256").update(readFileSync(path)).digest("hex");
  } catch {
    return "unreadable";
  }
}

/** loki's own code: the runtime binary (loki itself when compiled), and the code it runs from with
 *  package.json — src/ from source, the bundle's directory (dist/cli) from the package. */
export function lokiCodePaths(): string[] {
  const { root, code, compiled } = selfLocation();
  const onDisk = !compiled && existsSync(join(root, "package.json")) && existsSync(code);
  return [process.execPath, ...(onDisk ? [code, join(root, "package.json")] : [])];
}

/** A provider CLI: the file loki resolved, its real path (the entry file, e.g. claude-code's cli.js)
 *  and, when that lies in a package, the package's top-level files. */
export function providerCodePaths(binaryPath: string): string[] {
  let real: string;
  try {
    real = realpathSync(binaryPath);
  } catch {
    return [binaryPath];
  }
  const dir = dirname(real);
  const pkg = existsSync(join(dir, "package.json")) ? topLevelFiles(dir) : [];
  return [...new Set([binaryPath, real, ...pkg])];
}

function topLevelFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(dir, e.name))
      .sort();
  } catch {
    return [];
  }
}

/**
 * Where loki looks first for a provider CLI (providers/locate.ts): the repository's own
 * node_modules/.bin. An agent that writes a `claude` there would be run — unsandboxed, by the next
 * `--version` probe — in place of the real one, so every provider's name there is watched, present or not.
 */
export function projectBinCandidates(root: string): string[] {
  // Each provider's CLI is named as its id (tests/providers/records.test.ts holds them to it).
  return PROVIDER_IDS.map((id) => join(root, "node_modules", ".bin", id));
}

/** The baseline a run records at start (and again on resume). */
export function takeIntegrity(binaryPaths: readonly string[], root?: string, graderConfig: readonly string[] = []): RunIntegrity {
  const watched = [...binaryPaths.flatMap(providerCodePaths), ...(root === undefined ? [] : projectBinCandidates(root))];
  return { loki: fingerprintInstall(lokiCodePaths()), provider: fingerprintInstall(watched), config: configPrints(graderConfig) };
}

/**
 * What a grader config file says, not its bytes: a CLI may rewrite its own config as it loads it
 * (opencode adds a `$schema` key, or creates an empty global config), and that is no change. JSON(C)
 * is compared parsed, without `$schema`, keys sorted; a missing file and an empty mapping are the same.
 */
export function configPrints(paths: readonly string[]): Record<string, string> {
  return Object.fromEntries(paths.map((path) => [path, configPrint(path)]));
}

function configPrint(path: string): string {
  let text: string;
  try {
    // Never read what is not a small regular file: a FIFO or device put there would block the run for good.
    const stat = statSync(path);
    if (!stat.isFile()) return `special:${stat.mode}`;
    if (stat.size >= HASH_LIMIT) return `large:${stat.size}:${stat.mtimeMs}:${stat.ino}`;
    text = readFileSync(path, "utf8");
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? "empty" : "unreadable";
  }
  if (!/\.jsonc?$/.test(path)) return text.trim() === "" ? "empty" : createHash("sha256").update(text).digest("hex");
  const value: unknown = parseJsonc(text);
  const meaning = value && typeof value === "object" && !Array.isArray(value) ? { ...(value as Record<string, unknown>) } : value;
  if (meaning && typeof meaning === "object" && !Array.isArray(meaning)) delete (meaning as Record<string, unknown>).$schema;
  const canonical = canonicalize(meaning ?? null) ?? "null";
  return canonical === "{}" || canonical === "null" ? "empty" : createHash("sha256").update(canonical).digest("hex");
}

/** Every path whose fingerprint differs from the baseline now (changed, added under a walked
 *  directory, or gone), loki's first. */
export function integrityDrift(baseline: RunIntegrity): Drift[] {
  return [
    ...diff("loki", baseline.loki, fingerprintInstall(lokiCodePaths(), baseline.loki)),
    ...diff("provider", baseline.provider, fingerprintInstall(Object.keys(baseline.provider), baseline.provider)),
    ...diff("config", baseline.config ?? {}, configPrints(Object.keys(baseline.config ?? {}))),
  ];
}

function diff(kind: Drift["kind"], before: Fingerprints, now: Fingerprints): Drift[] {
  const paths = new Set([...Object.keys(before), ...Object.keys(now)]);
  return [...paths]
    .filter((path) => before[path] !== now[path])
    .sort()
    .map((path) => (before[path] === "missing" ? { kind, path, appeared: true } : { kind, path }));
}

/** How a drift reads as a trust violation. */
export function driftReason(drift: Drift): string {
  if (drift.kind === "loki") return `loki's own code changed during the run: ${drift.path}`;
  if (drift.kind === "config") return `a provider CLI's config, which its graders read, changed during the run: ${drift.path}`;
  return drift.appeared
    ? `a provider CLI appeared during the run where loki looks for one first: ${drift.path}`
    : `the provider CLI changed during the run: ${drift.path}`;
}

/**
 * Before an agent call: any drift from the run's baseline is a trust violation (recorded once per
 * path). Returns the reasons, so a review or judge call can refuse to run a swapped grader.
 */
export function guardIntegrity(record: RunRecord, role: string): string[] {
  const baseline = record.state.integrity;
  if (!baseline) return [];
  const reasons = integrityDrift(baseline).map(driftReason);
  for (const reason of reasons) {
    if (!record.state.violations.some((v) => v.endsWith(`: ${reason}`))) recordViolation(record, role, reason, "grader_tampered");
  }
  return reasons;
}
