// parseHelpFlags on the CLIs' real --help texts, and readHelp against a fake CLI script that counts
// its own runs: the cache is written, reused without any spawn, and rewritten when corrupt.
import { sha256 } from "../../src/core/hash.ts";
import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { claude } from "../../src/providers/claude.ts";
import { codex } from "../../src/providers/codex.ts";
import { HelpCache, parseHelpFlags, readHelp, readProviderHelp } from "../../src/providers/help.ts";
import { helpText } from "../helpers/provider-fixtures.ts";

describe("parseHelpFlags on real help texts", () => {
  test("claude: long and short names, aliases, flags with values", () => {
    const flags = parseHelpFlags(helpText("claude.txt"));
    for (const flag of [
      "-p",
      "--print",
      "--output-format",
      "--verbose",
      "--model",
      "--max-budget-usd",
      "--effort",
      "--append-system-prompt",
      "--dangerously-skip-permissions",
      "--disallowedTools",
      "--disallowed-tools",
      "--allowedTools",
      "--permission-mode",
      "--fallback-model",
      "-v",
      "--version",
    ]) {
      expect(flags).toContain(flag);
    }
  });

  test("claude: flags only mentioned in descriptions, and hidden ones, are not advertised", () => {
    const flags = parseHelpFlags(helpText("claude.txt"));
    for (const flag of ["--max-turns", "--system-prompt-file", "--append-system-prompt-file", "--tmux=classic", "--debug=hooks"])
      expect(flags).not.toContain(flag);
  });

  test("codex exec: the flags loki uses", () => {
    const flags = parseHelpFlags(helpText("codex-exec.txt"));
    for (const flag of [
      "--json",
      "--skip-git-repo-check",
      "-m",
      "--model",
      "-s",
      "--sandbox",
      "-c",
      "--config",
      "--disable",
      "--enable",
      "-o",
      "--output-last-message",
    ])
      expect(flags).toContain(flag);
    expect(flags).not.toContain("--full-auto");
    expect(flags).not.toContain("-a");
  });

  test("cline: its headless flags", () => {
    const flags = parseHelpFlags(helpText("cline.txt"));
    for (const flag of ["--json", "--auto-approve", "-p", "--plan", "-m", "-c", "--cwd", "--thinking", "--data-dir", "-s", "--system"])
      expect(flags).toContain(flag);
    expect(flags).not.toContain("--yolo");
  });

  test("argparse style (aider): comma-separated aliases with metavars, --x/--no-x pairs", () => {
    const text = [
      "usage: aider [-h] [--model] [--yes-always]",
      "  --message COMMAND, --msg COMMAND, -m COMMAND",
      "                        Specify a single message to send the LLM, process reply then exit (disables chat mode) [env var: AIDER_MESSAGE]",
      "  --pretty, --no-pretty  Enable/disable pretty, colorized output (default: True)",
      "  --yes-always          Always say yes to every confirmation",
    ].join("\n");
    expect([...parseHelpFlags(text)].sort()).toEqual(["--message", "--msg", "--no-pretty", "--pretty", "--yes-always", "-m"]);
  });
});

/** A fake CLI: `--version`, `--help` and `exec --help`, appending one line to `count` per run. */
function fakeCli(name: string): { dir: string; bin: string; runs: () => number; [Symbol.dispose]: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "loki-help-"));
  const bin = join(dir, name);
  writeFileSync(
    bin,
    [
      "#!/bin/sh",
      'echo run >> "$(dirname "$0")/count"',
      'if [ "$1" = "--version" ]; then echo "WARNING: noise on stderr" >&2; echo "fake 1.2.3 (Fake CLI)"; exit 0; fi',
      'if [ "$1" = "exec" ]; then printf "Usage: fake exec\\n\\n  --json  Print events\\n"; exit 0; fi',
      'printf "Usage: fake [options]\\n\\nOptions:\\n  -p, --print       Print\\n  --model <model>   Model (see --hidden)\\n"',
    ].join("\n"),
  );
  chmodSync(bin, 0o755);
  const runs = () => (existsSync(join(dir, "count")) ? readFileSync(join(dir, "count"), "utf8").split("\n").filter(Boolean).length : 0);
  return { dir, bin, runs, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

const cacheFile = (name: string) => join(process.env.HOME ?? "", ".loki", "cache", "help", name);
/** Cache files are named <cli>[-<sub>]-<version>-<sha256(path) prefix>.json. */
const cacheFor = (prefix: string, bin: string) => cacheFile(`${prefix}-${sha256(bin).slice(0, 8)}.json`);

describe("readHelp", () => {
  test("spawns --version and --help once, caches them, and the next call spawns nothing", async () => {
    using cli = fakeCli("fakecli");
    const first = await readHelp(cli.bin, cli.dir);
    expect(first.version).toBe("1.2.3");
    expect([...first.flags].sort()).toEqual(["--model", "--print", "-p"]);
    expect(cli.runs()).toBe(2);
    const cached = HelpCache.parse(JSON.parse(readFileSync(cacheFor("fakecli-1.2.3", cli.bin), "utf8")));
    expect(cached).toMatchObject({ binary: cli.bin, version: "1.2.3", subcommand: [], flags: ["--model", "--print", "-p"] });

    const second = await readHelp(cli.bin, cli.dir);
    expect(second).toEqual(first);
    expect(cli.runs()).toBe(2);
  });

  test("a corrupt cache file is ignored and rewritten", async () => {
    using cli = fakeCli("corruptcli");
    await readHelp(cli.bin, cli.dir);
    writeFileSync(cacheFor("corruptcli-1.2.3", cli.bin), "{ not json");
    const again = await readHelp(cli.bin, cli.dir);
    expect(again.flags).toContain("--print");
    expect(cli.runs()).toBe(4);
    expect(HelpCache.safeParse(JSON.parse(readFileSync(cacheFor("corruptcli-1.2.3", cli.bin), "utf8"))).success).toBe(true);
  });

  test("a touched binary with the same version costs one --version spawn, not a --help", async () => {
    using cli = fakeCli("touchedcli");
    await readHelp(cli.bin, cli.dir);
    utimesSync(cli.bin, new Date(), new Date(Date.now() + 60_000));
    expect((await readHelp(cli.bin, cli.dir)).flags).toContain("--model");
    expect(cli.runs()).toBe(3);
    await readHelp(cli.bin, cli.dir);
    expect(cli.runs()).toBe(3);
  });

  test("a subcommand's help is read and cached on its own (codex exec)", async () => {
    using cli = fakeCli("subcli");
    const exec = await readHelp(cli.bin, cli.dir, ["exec"]);
    expect([...exec.flags]).toEqual(["--json"]);
    expect(existsSync(cacheFor("subcli-exec-1.2.3", cli.bin))).toBe(true);
    const top = await readHelp(cli.bin, cli.dir);
    expect(top.flags).toContain("--print");
    expect(top.flags).not.toContain("--json");
  });

  test("another binary printing the same version does not reuse the first one's flags", async () => {
    using a = fakeCli("samecli");
    using b = fakeCli("samecli");
    writeFileSync(b.bin, readFileSync(b.bin, "utf8").replace("--model <model>", "--effort <level>"));
    expect((await readHelp(a.bin, a.dir)).flags).toContain("--model");
    const other = await readHelp(b.bin, b.dir);
    expect(other.flags).toContain("--effort");
    expect(other.flags).not.toContain("--model");
  });

  test("a missing binary gives no version and no flags, and no cache", async () => {
    expect(await readHelp("/nonexistent/loki-no-such-cli")).toEqual({ version: null, flags: new Set() });
    expect(existsSync(cacheFile("loki-no-such-cli-null.json"))).toBe(false);
  });
});

describe("readProviderHelp", () => {
  test("reads codex's flags from `codex exec --help`", async () => {
    using cli = fakeCli("codex");
    expect([...(await readProviderHelp(codex, cli.bin, cli.dir)).flags]).toEqual(["--json"]);
    expect(claude.helpSubcommand).toEqual([]);
  });
});
