// Runs the real CLI (from source, under the same Bun) as a child process and captures the result.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const CLI = resolve(import.meta.dir, "..", "..", "src", "cli.ts");

export type CliResult = { code: number; stdout: string; stderr: string; json: <T = Record<string, unknown>>() => T };

export async function loki(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<CliResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...options.env })) if (v !== undefined) env[k] = v;
  const proc = Bun.spawn([process.execPath, CLI, ...args], { cwd: options.cwd, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
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
