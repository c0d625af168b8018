// What a frozen command depends on besides its own text: the package scripts it calls (`npm run x`,
// transitively), the repository files it names (`./test.sh`, a Makefile), runner configuration
// (jest/vitest/mocha/pytest settings, conftest hooks) and binaries that would shadow the system's.
// Pure: text in, names and findings out.
import type { Command } from "./detect.ts";
import { removedLines } from "./diff-lines.ts";
import type { ChangedFile } from "./gate.ts";

/** `npm run x`, `npm test`, `pnpm x`, `yarn x`, `bun run x`: the script names a shell text calls. */
export function calledScripts(shell: string): string[] {
  const names: string[] = [];
  const call = /\b(npm|pnpm|yarn|bun)\s+(?:(?:run|run-script)\s+)?([\w:.-]+)/g;
  const builtins = new Set(["install", "ci", "exec", "x", "dlx", "add", "init", "publish", "audit", "i", "--", "-s", "--silent"]);
  for (const [, tool, name = ""] of shell.matchAll(call)) {
    if (builtins.has(name) || name.startsWith("-")) continue;
    // `bun test` is Bun's own runner, not the script; `npm t` is `npm test`.
    if (tool === "bun" && name === "test" && !/\bbun\s+run\s+test\b/.test(shell)) continue;
    names.push(name === "t" ? "test" : name);
  }
  return names;
}

/** The bodies of every script `shells` call, transitively, with their pre/post scripts. */
export function scriptClosure(shells: readonly string[], scripts: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const queue = shells.flatMap(calledScripts);
  while (queue.length > 0) {
    const name = queue.shift() ?? "";
    for (const key of [`pre${name}`, name, `post${name}`]) {
      if (key in out) continue;
      const body = scripts[key];
      out[key] = body ?? "(none)";
      if (body !== undefined) queue.push(...calledScripts(body));
    }
  }
  return Object.fromEntries(Object.entries(out).filter(([k, v]) => !(v === "(none)" && k !== stripPrePost(k))));
}

function stripPrePost(key: string): string {
  return key.replace(/^(pre|post)/, "");
}

/** Words of a command's text that could name a repository file (`./test.sh`, `scripts/run.js`), and the Makefile of `make x`. */
export function pathWords(command: Command, shells: readonly string[]): string[] {
  const words = shells.flatMap((s) => s.split(/[\s;&|()<>"'`=]+/)).map((w) => w.replace(/^\.\//, ""));
  const paths = words.filter((w) => /^[\w.][\w./-]*$/.test(w) && /[./]/.test(w) && !w.includes(".."));
  if (command.source.includes("akefile")) paths.push("GNUmakefile", "makefile", "Makefile");
  return [...new Set(paths)].sort();
}

/** Runner settings kept in package.json itself. */
export const PACKAGE_RUNNER_KEYS = ["jest", "mocha", "ava", "c8", "nyc"] as const;

export function packageRunnerConfig(packageJson: string | null): Record<string, string> {
  if (packageJson === null) return {};
  try {
    const pkg = JSON.parse(packageJson) as Record<string, unknown>;
    return Object.fromEntries(PACKAGE_RUNNER_KEYS.filter((k) => k in pkg).map((k) => [`package.json ${k}`, JSON.stringify(pkg[k])]));
  } catch {
    return {};
  }
}

export function packageScripts(packageJson: string | null): Record<string, string> {
  if (packageJson === null) return {};
  try {
    const scripts = (JSON.parse(packageJson) as { scripts?: Record<string, unknown> }).scripts ?? {};
    return Object.fromEntries(Object.entries(scripts).filter((e): e is [string, string] => typeof e[1] === "string"));
  } catch {
    return {};
  }
}

/** Runner configuration files: any change to them changes what the tests gate counts. */
export const RUNNER_CONFIG =
  /^(?:(?:jest|vitest|playwright|karma|ava|wdio)\.(?:config|workspace|setup)\.[cm]?[jt]s(?:on)?|\.mocharc(?:\.\w+)?|mocha\.opts|pytest\.ini|bunfig\.toml)$/;
/** Files that hold runner settings among others: only lines about testing count. */
export const MIXED_CONFIG: [RegExp, RegExp][] = [
  [/^(?:pyproject\.toml|setup\.cfg|tox\.ini)$/, /pytest|addopts|testpaths|python_(?:files|classes|functions)|norecursedirs|-p\s/],
  [/^vite\.config\.[cm]?[jt]s$/, /\btest\b|setupFiles|reporters?|include|exclude|globalSetup/],
  // conftest.py is mostly fixtures (test code); its hooks and plugins rewrite how results are reported.
  [/^conftest\.py$/, /def\s+pytest_\w+|pytest_plugins|hookimpl|hookwrapper/],
];

/** A file a test runner reads its settings from, by name (whole or mixed-purpose configuration). */
export function isRunnerConfigName(name: string): boolean {
  return RUNNER_CONFIG.test(name) || MIXED_CONFIG.some(([pattern]) => pattern.test(name));
}

/** One line per runner configuration file the diff changes in a way that affects what is counted. */
export function runnerConfigChanges(files: readonly ChangedFile[]): { path: string; lines: string[] }[] {
  const out: { path: string; lines: string[] }[] = [];
  for (const file of files) {
    const name = file.path.split("/").pop() ?? "";
    if (!isRunnerConfigName(name)) continue;
    const touched = [...file.added.lines(), ...removedLines(file)].map((l) => l.text.trim()).filter((t) => t !== "");
    if (RUNNER_CONFIG.test(name)) out.push({ path: file.path, lines: touched.slice(0, 3) });
    for (const [pattern, relevant] of MIXED_CONFIG) {
      if (!pattern.test(name)) continue;
      const lines = touched.filter((t) => relevant.test(t));
      if (lines.length > 0) out.push({ path: file.path, lines: lines.slice(0, 3) });
    }
  }
  return out;
}

/** Names the test command resolves through PATH that a project's node_modules/.bin must never provide. */
export const SYSTEM_TOOLS = new Set([
  "node",
  "nodejs",
  "sh",
  "bash",
  "dash",
  "zsh",
  "env",
  "python",
  "python3",
  "go",
  "cargo",
  "rustc",
  "make",
  "git",
]);
