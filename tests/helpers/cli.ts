// Runs the real CLI (the package's bundle of this checkout's sources, under the same Bun) as a child
// process and captures the result; optionally from a copy of loki installed without provider CLIs.
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { cliBundle } from "./cli-bundle.ts";

const ROOT = resolve(import.meta.dir, "..", "..");

export type CliResult = { code: number; stdout: string; stderr: string; json: <T = Record<string, unknown>>() => T };

/** `entry`: the CLI to run (default: this checkout's, bundled as the package ships it; see bareLokiEntry). */
export async function loki(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined>; entry?: string },
): Promise<CliResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...options.env })) if (v !== undefined) env[k] = v;
  const argv = [process.execPath, options.entry ?? cliBundle(), ...args];
  const proc = Bun.spawn(argv, { cwd: options.cwd, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}

/** A directory on PATH holding executable scripts that stand in for provider CLIs. */
export function fakeBinDir(dir: string, bins: Record<string, string>): string {
  const bin = join(dir, "fake-bin");
  mkdirSync(bin, { recursive: true });
  for (const [name, script] of Object.entries(bins)) writeFileSync(join(bin, name), script, { mode: 0o755 });
  return bin;
}

let bare: string | undefined;

/** A private copy of loki as the package installs it (the bundle and package.json, no node_modules):
 *  its entry script. Made inside the test file's throwaway HOME (tests/preload.ts). */
export function installedLokiCopy(): string {
  const dir = mkdtempSync(join(process.env.HOME ?? tmpdir(), "loki-bare-"));
  cpSync(dirname(cliBundle()), join(dir, "dist", "cli"), { recursive: true });
  cpSync(join(ROOT, "package.json"), join(dir, "package.json"));
  return join(dir, "dist", "cli", "cli.js");
}

/**
 * loki as the package installs it, without node_modules: loki run from here finds no provider CLI
 * next to its own install (this checkout's devDependencies include claude and codex), so with a bare
 * PATH it meets a machine where none is installed. Made once per test process.
 */
export function bareLokiEntry(): string {
  bare ??= installedLokiCopy();
  return bare;
}
