// `loki completion bash|zsh|fish`: print a shell completion script generated from this program's
// own commands and flags (so it cannot drift from them), with the values loki knows: providers,
// templates, gates, severities; proof run ids and git refs are read by the script when completing.
import type { Command } from "commander";
import pkg from "../../package.json" with { type: "json" };
import { Evidence } from "../core/evidence-schema.ts";
import { COMMAND_EXIT, type ExitCode } from "../core/exit-codes.ts";
import { PROVIDER_IDS } from "../core/provider-ids.ts";
import { Severity } from "../core/schema.ts";
import { ALL_GATES } from "../gates/all.ts";
import { renderBash } from "./completion/bash.ts";
import { renderFish } from "./completion/fish.ts";
import { completionTree, words, type CommandSpec, type OptionValues } from "./completion/tree.ts";
import { renderZsh } from "./completion/zsh.ts";
import { SEVERITIES } from "../review/code-review.ts";
import { templates } from "./init.ts";
import { writeOut } from "../core/stdio.ts";

export type Shell = "bash" | "zsh" | "fish";

const RENDER: Record<Shell, (tree: CommandSpec, version: string) => string> = { bash: renderBash, zsh: renderZsh, fish: renderFish };

/** Values of flags whose parser checks them itself (commander knows only `.choices()`). */
export function optionValues(): OptionValues {
  const gates = ALL_GATES.map((g) => g.id);
  return {
    "--provider": words(PROVIDER_IDS),
    "--failover": words(PROVIDER_IDS, true),
    "--template": words(templates().map((t) => t.name)),
    "--scope": words(Evidence.shape.subject.shape.scope.options),
    "--block-on": words(Severity.options, true),
    "--only": words(gates, true),
    "--skip": words(gates, true),
    "--min-severity": words(SEVERITIES),
  };
}

/** The tree of the program this command belongs to (commander passes the command last). */
export function programTree(command: Command): CommandSpec {
  let program = command;
  while (program.parent) program = program.parent;
  return completionTree(program, optionValues());
}

export async function runCompletion(shell: Shell, _options: object, command: Command): Promise<ExitCode> {
  writeOut(RENDER[shell](programTree(command), pkg.version));
  return COMMAND_EXIT.ok;
}
