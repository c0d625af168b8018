// A call builds only the command it names (buildProgram(name)): that command must be the very one the
// whole program has — every option, argument, subcommand and help line — and a name the program does
// not have falls back to the whole program (typos get their suggestion, help lists everything).
import { describe, expect, test } from "bun:test";
import type { Command } from "commander";
import { buildProgram } from "../../src/program.ts";
import { loki } from "../helpers/cli.ts";
import { tmpdir } from "../helpers/tmp.ts";

/** A command and every subcommand below it, as help prints them. */
function helpTree(command: Command): Record<string, string> {
  const tree: Record<string, string> = { [command.name()]: command.helpInformation() };
  for (const sub of command.commands) for (const [path, help] of Object.entries(helpTree(sub))) tree[`${command.name()} ${path}`] = help;
  return tree;
}

describe("buildProgram(only)", () => {
  const whole = buildProgram();

  test("each top-level command built alone is the whole program's, with its subcommands, and nothing else is built", () => {
    expect(whole.commands.length).toBeGreaterThan(20);
    for (const command of whole.commands) {
      const alone = buildProgram(command.name());
      expect(alone.commands.map((c) => c.name())).toEqual([command.name()]);
      expect(helpTree(alone.commands[0] as Command)).toEqual(helpTree(command));
      expect(alone.options.map((o) => o.flags)).toEqual(whole.options.map((o) => o.flags));
    }
  });

  test("from the CLI: a command's help, a typo's suggestion and the root help read as they did", async () => {
    await using dir = await tmpdir();
    const verifyHelp = await loki(["verify", "--help"], { cwd: dir.path });
    expect(verifyHelp.code).toBe(0);
    expect(verifyHelp.stdout).toBe((whole.commands.find((c) => c.name() === "verify") as Command).helpInformation());
    const typo = await loki(["verfy"], { cwd: dir.path });
    expect(typo.code).toBe(3);
    expect(typo.stderr).toContain("Did you mean 'verify'?");
    const help = await loki(["help"], { cwd: dir.path });
    for (const command of whole.commands)
      if (!(command as Command & { _hidden?: boolean })._hidden) expect(help.stdout).toContain(command.name());
  });
});
