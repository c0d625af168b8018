// Throwaway directories for tests: `await using dir = await tmpdir({ git: true })` gives a real
// git repo (with one commit when `commit` is set) that is deleted when the scope ends.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir as osTmp } from "node:os";
import { dirname, join } from "node:path";

export type TmpDir = { path: string; write: (rel: string, text: string) => string; [Symbol.asyncDispose]: () => Promise<void> };

export async function tmpdir(options: { git?: boolean; commit?: boolean; files?: Record<string, string> } = {}): Promise<TmpDir> {
  const path = mkdtempSync(join(osTmp(), "loki-t-"));
  const write = (rel: string, text: string) => {
    const file = join(path, rel);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return file;
  };
  for (const [rel, text] of Object.entries(options.files ?? {})) write(rel, text);
  if (options.git || options.commit) {
    git(path, ["init", "-q"]);
    if (options.commit) {
      if (!options.files) write("README.md", "# fixture\n");
      git(path, ["add", "-A"]);
      git(path, ["commit", "-qm", "initial"]);
    }
  }
  return { path, write, [Symbol.asyncDispose]: async () => rmSync(path, { recursive: true, force: true }) };
}

export function git(cwd: string, args: string[]): string {
  const result = Bun.spawnSync(["git", ...args], { cwd, stdin: "ignore" });
  if (result.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr.toString()}`);
  return result.stdout.toString();
}
