// What an installed agent CLI advertises: its version and the flags its `--help` lists, cached per
// binary version in ~/.loki/cache/help/ so later runs skip the spawn. Never throws on a broken CLI.
import { readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, isAbsolute, join } from "node:path";
import { z } from "zod";
import { run, whichBinary } from "../core/exec.ts";
import { sha256 } from "../core/hash.ts";
import { lokiHomeAt, readJson, writeJson } from "../core/workspace.ts";
import type { HelpInfo, Provider } from "./provider.ts";
import { lazySchema } from "../core/lazy-schema.ts";

const HELP_TIMEOUT_MS = 15_000;
const HELP_MAX_BYTES = 1024 * 1024;
/** Help texts indent option definitions by 2–6 columns; wrapped descriptions sit deeper. */
const DEFINITION_MAX_INDENT = 8;
const FLAG = /(?:^|[\s,])(--?[A-Za-z0-9][\w-]*)/g;
const VERSION = /\d+\.\d+\.\d+[\w.-]*/;

export const HelpCache = lazySchema(() =>
  z.object({
    schema_version: z.literal(1),
    /** Resolved path, size and mtime: a hit on all three skips even the `--version` spawn. */
    binary: z.string(),
    size: z.number(),
    mtime_ms: z.number(),
    subcommand: z.array(z.string()),
    version: z.string(),
    flags: z.array(z.string()),
  }),
);
export type HelpCache = z.infer<typeof HelpCache>;

/**
 * The long and short flags a help text defines (`--output-format`, `-p`, both names of
 * `--allowedTools, --allowed-tools`). Only option-definition lines count, never flags that
 * descriptions merely mention.
 */
export function parseHelpFlags(text: string): Set<string> {
  const flags = new Set<string>();
  for (const line of text.split("\n")) {
    const body = line.trimStart();
    if (!body.startsWith("-") || line.length - body.length > DEFINITION_MAX_INDENT) continue;
    const definition = body.split(/\s{2,}/)[0] ?? "";
    for (const match of definition.matchAll(FLAG)) if (match[1]) flags.add(match[1]);
  }
  return flags;
}

/** readHelp for a provider's headless subcommand, with its quiet probe env: what the loop calls before invocation(). */
export function readProviderHelp(
  provider: Pick<Provider, "helpSubcommand" | "probeEnv">,
  binary: string,
  scratchDir?: string,
): Promise<HelpInfo> {
  return readHelp(binary, scratchDir, [...provider.helpSubcommand], provider.probeEnv);
}

/**
 * Version and advertised flags of `binary`. `subcommand` reads a subcommand's own help — codex
 * lists its exec flags only under `codex exec --help`, so the codex provider asks for ["exec"].
 * `env` is added to the probes' environment (a provider's probeEnv: no phoning home).
 * A CLI that cannot be run yields `{version: null, flags: ∅}`; only successful reads are cached.
 */
export async function readHelp(
  binary: string,
  scratchDir?: string,
  subcommand: string[] = [],
  env: Readonly<Record<string, string>> = {},
): Promise<HelpInfo> {
  const resolved = isAbsolute(binary) ? binary : whichBinary(binary);
  const stamp = resolved ? stampOf(resolved) : null;
  const dir = cacheDir();
  const prefix = [safeName(basename(binary)), ...subcommand.map(safeName)].join("-");
  if (resolved && stamp) {
    const hit = cachedByStamp(
      dir,
      prefix,
      (c) => c.binary === resolved && c.size === stamp.size && c.mtime_ms === stamp.mtimeMs && sameList(c.subcommand, subcommand),
    );
    if (hit) return infoOf(hit);
  }

  const options = { cwd: scratchDir ?? tmpdir(), timeoutMs: HELP_TIMEOUT_MS, maxOutputBytes: HELP_MAX_BYTES, env: { ...env } };
  const versionRun = await run([binary, "--version"], options);
  const version = versionRun.ok ? (VERSION.exec(versionRun.stdout)?.[0] ?? VERSION.exec(versionRun.stderr)?.[0] ?? null) : null;
  // Keyed by version AND path: two different CLIs that print the same version (a wrapper, a fake,
  // another install) must not share flags; the same path rebuilt at the same version may.
  const file = version ? join(dir, `${prefix}-${safeName(version)}-${sha256(resolved ?? binary).slice(0, 8)}.json`) : null;
  const known = file ? readCache(file) : undefined;
  let flags = known && known.binary === resolved && sameList(known.subcommand, subcommand) ? new Set(known.flags) : null;
  if (!flags) {
    const helpRun = await run([binary, ...subcommand, "--help"], options);
    flags = parseHelpFlags(`${helpRun.stdout}\n${helpRun.stderr}`);
    if (!helpRun.ok || flags.size === 0) return { version, flags };
  }
  if (file && version && resolved && stamp)
    writeCache(file, {
      schema_version: 1,
      binary: resolved,
      size: stamp.size,
      mtime_ms: stamp.mtimeMs,
      subcommand,
      version,
      flags: [...flags].sort(),
    });
  return { version, flags };
}

function cacheDir(): string {
  return lokiHomeAt().helpCache;
}

function stampOf(path: string): { size: number; mtimeMs: number } | null {
  try {
    const stat = statSync(path);
    return { size: stat.size, mtimeMs: stat.mtimeMs };
  } catch {
    return null;
  }
}

function cachedByStamp(dir: string, prefix: string, matches: (cache: HelpCache) => boolean): HelpCache | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const name of names) {
    if (!name.startsWith(`${prefix}-`) || !name.endsWith(".json")) continue;
    const cache = readCache(join(dir, name));
    if (cache && matches(cache)) return cache;
  }
  return undefined;
}

/** A cache file that is corrupt or from another schema is treated as absent (and rewritten). */
function readCache(file: string): HelpCache | undefined {
  try {
    return readJson(file, HelpCache);
  } catch {
    return undefined;
  }
}

function writeCache(file: string, cache: HelpCache): void {
  try {
    writeJson(file, HelpCache, cache);
  } catch {
    // An unwritable cache only costs a spawn next time.
  }
}

function infoOf(cache: HelpCache): HelpInfo {
  return { version: cache.version, flags: new Set(cache.flags) };
}

function safeName(text: string): string {
  return text.replace(/[^\w.-]/g, "_");
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}
