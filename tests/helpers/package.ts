// Installing loki the way users do, for tests/package/: `npm pack` of this checkout, npm run with a
// cache shared between test runs (only the first install downloads), and an environment whose PATH
// has node, npm and git but no Bun — built here, not inherited from `npm test`.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { run, type ExecResult } from "../../src/core/exec.ts";

export const ROOT = resolve(import.meta.dir, "..", "..");
/** npm's cache is safe to share between concurrent runs; kept between runs on purpose. */
export const NPM_CACHE = join(tmpdir(), "loki-test-npm-cache");
const INSTALL_TIMEOUT_MS = 240_000;

/**
 * Where node, npm and git live, plus the system directories — minus every directory holding a
 * `bun`. Throws when node, npm, git or sh cannot be had without a Bun beside them.
 */
export function pathWithoutBun(): string {
  const found = (name: string) => Bun.which(name, { PATH: process.env.PATH ?? "" });
  const wanted = ["node", "npm", "npx", "git"].map((name) => found(name));
  const dirs = [...new Set([...wanted.map((p) => (p ? dirname(p) : "")), "/usr/local/bin", "/usr/bin", "/bin"])];
  const path = dirs.filter((dir) => dir && !existsSync(join(dir, "bun"))).join(delimiter);
  for (const name of ["node", "npm", "npx", "git", "sh"])
    if (!Bun.which(name, { PATH: path })) throw new Error(`${name} is not on a PATH without bun (${path})`);
  return path;
}

/** This process's environment without what `npm test` / `bun test` add (npm_*, BUN_*, NODE) and with `path`. */
export function cleanEnv(path: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env))
    if (value !== undefined && !/^(npm_|NPM_|BUN_|INIT_CWD$|NODE$|NODE_OPTIONS$)/.test(key)) env[key] = value;
  return { ...env, PATH: path, ...extra };
}

/** A repository that tries to get code and settings into the loki that runs in it: a .env choosing
 *  the provider, and a bunfig.toml whose preload leaves a `preloaded` file behind. */
export const HOSTILE_REPO = {
  ".env": "LOKI_PROVIDER=aider\n",
  "bunfig.toml": 'preload = ["./preload.ts"]\n',
  "preload.ts": 'import { writeFileSync } from "node:fs";\nwriteFileSync(`${process.cwd()}/preloaded`, "ran");\n',
};

/** npm's settings for a quick, quiet, non-interactive install from the shared cache. */
export function npmEnv(path: string): Record<string, string> {
  return cleanEnv(path, {
    npm_config_cache: NPM_CACHE,
    npm_config_prefer_offline: "true",
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    npm_config_yes: "true",
  });
}

/** Runs argv with exactly `env`; throws with its output when it fails and `check` is set. */
export async function sh(argv: string[], cwd: string, env: Record<string, string>, check = false): Promise<ExecResult> {
  const result = await run(argv, { cwd, env, replaceEnv: true, timeoutMs: INSTALL_TIMEOUT_MS });
  if (check && !result.ok) throw new Error(`${argv.join(" ")} → ${result.exitCode ?? result.signal}\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** `npm pack` of this checkout into `dir`: the tarball's path and the files it holds. */
export async function packCheckout(dir: string, path: string): Promise<{ tarball: string; files: string[] }> {
  const result = await sh(["npm", "pack", "--json", "--pack-destination", dir], ROOT, npmEnv(path), true);
  const [packed] = JSON.parse(result.stdout) as { filename: string; files: { path: string }[] }[];
  if (!packed) throw new Error(`npm pack printed no package: ${result.stdout}`);
  return { tarball: join(dir, packed.filename), files: packed.files.map((f) => f.path) };
}

/** A native executable's first bytes (ELF, Mach-O, PE), not a script such as Bun's npm placeholder. */
export function isNative(file: string): boolean {
  const head = Buffer.alloc(4);
  const fd = openSync(file, "r");
  try {
    readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  return [0x7f454c46, 0xcffaedfe, 0xfeedfacf, 0xcafebabe].includes(head.readUInt32BE(0)) || head.readUInt16BE(0) === 0x4d5a;
}

/** The Bun binary of the platform package (`@oven/bun-<os>-<arch>[-musl]`) under `nodeModules`. */
export function platformBun(nodeModules: string): string {
  const oven = join(nodeModules, "@oven");
  const dir = existsSync(oven) ? readdirSync(oven).find((name) => name.startsWith("bun-")) : undefined;
  if (!dir) throw new Error(`no @oven/bun-* package in ${nodeModules}`);
  return join(oven, dir, "bin", process.platform === "win32" ? "bun.exe" : "bun");
}

/** The install `npx --package <tarball>` left in the shared cache (a tarball's temp path is unique). */
export function forgetNpxInstall(tarball: string): void {
  const npx = join(NPM_CACHE, "_npx");
  for (const hash of existsSync(npx) ? readdirSync(npx) : []) {
    const manifest = join(npx, hash, "package.json");
    if (existsSync(manifest) && readFileSync(manifest, "utf8").includes(tarball)) rmSync(join(npx, hash), { recursive: true, force: true });
  }
}
