// `loki completion bash|zsh|fish` for real: each script comes from the real CLI and is loaded into
// the real shell, which completes command lines in a throwaway repository (subcommands, flags, flag
// values, proof run ids, git refs, files). zsh and fish are skipped where they are not installed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildProgram } from "../../src/program.ts";
import { optionValues } from "../../src/commands/completion.ts";
import { templates } from "../../src/commands/init.ts";
import { completionTree, longFlags } from "../../src/commands/completion/tree.ts";
import { loki } from "../helpers/cli.ts";
import { git, tmpdir, type TmpDir } from "../helpers/tmp.ts";

const CAPTURE_ZSH = resolve(import.meta.dir, "..", "fixtures", "completion", "capture.zsh");
const has = (shell: string) => Bun.which(shell) !== null;

let repo: TmpDir;
const scripts: Record<string, string> = {};

beforeAll(async () => {
  repo = await tmpdir({ commit: true, files: { "prd.md": "# a spec\n" } });
  git(repo.path, ["tag", "v1.0"]);
  for (const run of ["20260101-aaaa", "20260102-bbbb"]) mkdirSync(join(repo.path, ".loki", "proofs", run), { recursive: true });
  for (const shell of ["bash", "zsh", "fish"]) {
    const result = await loki(["completion", shell], { cwd: repo.path });
    expect(result.code, result.stderr).toBe(0);
    scripts[shell] = repo.write(`.completion/loki.${shell}`, result.stdout);
  }
});
afterAll(async () => {
  await repo[Symbol.asyncDispose]();
});

const sorted = (lines: string) => [...new Set(lines.split("\n").filter((l) => l.trim() !== ""))].sort();

/** What bash offers for `words` (the last is the word being completed), driving _loki through COMP_WORDS. */
function bash(words: string[]): string[] {
  const drive = 'source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _loki; printf "%s\\n" "${COMPREPLY[@]}"';
  const result = Bun.spawnSync(["bash", "--norc", "--noprofile", "-c", drive, scripts.bash ?? "", ...words], { cwd: repo.path });
  expect(result.stderr.toString()).toBe("");
  return sorted(result.stdout.toString());
}

/** What zsh's completion system offers after typing `line` and Tab (tests/fixtures/completion/capture.zsh). */
function zsh(line: string): string[] {
  const env = { ...process.env, ZCOMPDUMP: join(repo.path, ".completion", "zcompdump") };
  const result = Bun.spawnSync(["zsh", "-f", CAPTURE_ZSH, scripts.zsh ?? "", line], { cwd: repo.path, env, timeout: 30_000 });
  // A terminal's line ends are \r\n.
  return sorted(result.stdout.toString().replaceAll("\r", ""));
}

/** What fish offers for `line` (`complete -C`), without the user's config. */
function fish(line: string): string[] {
  const result = Bun.spawnSync(["fish", "--no-config", "-c", "source $argv[1]; complete -C $argv[2]", scripts.fish ?? "", line], {
    cwd: repo.path,
  });
  expect(result.stderr.toString()).toBe("");
  return sorted(result.stdout.toString().replace(/\t.*$/gm, ""));
}

const PROVIDERS = ["aider", "claude", "cline", "codex", "opencode"];
/** Every embedded template, as `loki init --list` names them. */
const TEMPLATES = templates()
  .map((t) => t.name)
  .sort();

/** [line being typed, what every shell offers]: the same answers from all three scripts. */
const CASES: [string, string[]][] = [
  ["loki pro", ["proof", "provider"]],
  ["loki proof s", ["share", "show"]],
  ["loki verify --sa", ["--sarif"]],
  ["loki review --min-severity ", ["critical", "high", "low", "medium"]],
  ["loki --quiet start --ver", ["--verbose"]],
  ["loki start --provider c", ["claude", "cline", "codex"]],
  ["loki resume --provider ", PROVIDERS],
  ["loki init -t ", TEMPLATES],
  ["loki completion ", ["bash", "fish", "zsh"]],
  ["loki provider set co", ["codex"]],
  ["loki help sp", ["spec"]],
  ["loki proof show ", ["20260101-aaaa", "20260102-bbbb"]],
  ["loki proof verify 20260102", ["20260102-bbbb"]],
  ["loki verify v", ["v1.0"]],
  ["loki plan --model opus p", ["prd.md"]],
];

describe("loki completion", () => {
  test("bash: sourced, it registers _loki for loki", () => {
    const result = Bun.spawnSync(["bash", "--norc", "--noprofile", "-c", 'source "$0"; complete -p loki', scripts.bash ?? ""]);
    expect(result.stdout.toString()).toBe("complete -F _loki loki\n");
  });

  test.each(CASES)("bash completes %p", (line, expected) => {
    expect(bash(line.split(" "))).toEqual(expected);
  });

  test("bash: --flag=value (split at = by bash) and comma-separated lists", () => {
    expect(bash(["loki", "start", "--provider", "=", "co"])).toEqual(["codex"]);
    expect(bash(["loki", "start", "--provider", "="])).toEqual(PROVIDERS);
    expect(bash(["loki", "verify", "--only", "tests,di"])).toEqual(["tests,diff", "tests,differential"]);
    expect(bash(["loki", "verify", "--block-on", "critical,h"])).toEqual(["critical,high"]);
  });

  test.skipIf(!has("zsh"))("zsh: the script parses (zsh -n) and loads into compinit as loki's completion", () => {
    expect(Bun.spawnSync(["zsh", "-n", scripts.zsh ?? ""]).exitCode).toBe(0);
    const dump = join(repo.path, ".completion", "zcompdump-load");
    const check = 'autoload -U compinit; compinit -u -d "$1"; source "$0"; print -r -- $_comps[loki]';
    const result = Bun.spawnSync(["zsh", "-f", "-c", check, scripts.zsh ?? "", dump]);
    expect(result.stdout.toString()).toBe("_loki\n");
  });

  test.skipIf(!has("zsh")).each(CASES)("zsh completes %p", (line, expected) => {
    expect(zsh(line)).toEqual(expected);
  });

  test.skipIf(!has("zsh"))("zsh: --flag=value and comma-separated lists", () => {
    expect(zsh("loki start --provider=co")).toEqual(["codex"]);
    expect(zsh("loki verify --only tests,di")).toEqual(["diff", "differential"]);
  });

  test.skipIf(!has("fish")).each(CASES)("fish completes %p", (line, expected) => {
    expect(fish(line)).toEqual(expected);
  });

  test.skipIf(!has("fish"))("fish: --flag=value and comma-separated lists", () => {
    expect(fish("loki start --provider=co")).toEqual(["--provider=codex"]);
    expect(fish("loki verify --only tests,di")).toEqual(["tests,diff", "tests,differential"]);
  });

  test("the values table names only flags the program has (a renamed flag fails here)", () => {
    const flags = longFlags(completionTree(buildProgram(), optionValues()));
    expect(Object.keys(optionValues()).filter((flag) => !flags.has(flag))).toEqual([]);
  });

  test("every command and flag of the program is in every script; hidden ones are not", () => {
    const tree = completionTree(buildProgram(), optionValues());
    for (const flag of longFlags(tree)) for (const shell of ["bash", "zsh", "fish"]) expect(readScript(shell)).toContain(flag.slice(2));
    for (const shell of ["bash", "zsh", "fish"]) {
      expect(readScript(shell)).not.toContain("background-child");
      expect(readScript(shell)).not.toContain("no-color");
    }
  });

  test("an unknown shell is a usage error (exit 3) naming the choices", async () => {
    const result = await loki(["completion", "powershell"], { cwd: repo.path });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("bash, zsh, fish");
  });
});

function readScript(shell: string): string {
  return readFileSync(scripts[shell] ?? "", "utf8");
}
