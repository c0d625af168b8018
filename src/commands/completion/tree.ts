// The command tree shell completion is generated from, read off the commander program itself so a
// script cannot drift from the real commands and flags; plus where each value comes from. Pure:
// reads the program, spawns and prints nothing.
import type { Argument, Command, Option } from "commander";

/** Where a value's candidates come from: a fixed list (`list`: comma-separated), paths, or the repo. */
export type Values =
  | { kind: "none" }
  | { kind: "words"; words: readonly string[]; list: boolean }
  | { kind: "files" }
  | { kind: "dirs" }
  /** Run ids with a proof in this repository's .loki/proofs/ (read when completing). */
  | { kind: "runs" }
  /** Branches, tags and remote branches (read when completing). */
  | { kind: "refs" };

export type OptionSpec = { names: string[]; description: string; takesValue: boolean; values: Values; global: boolean };
export type ArgSpec = { name: string; description: string; required: boolean; variadic: boolean; values: Values };
export type CommandSpec = {
  /** The words from the program to this command: [] for the program, ["proof", "show"]. */
  path: string[];
  description: string;
  options: OptionSpec[];
  args: ArgSpec[];
  commands: CommandSpec[];
};

/** Values commander cannot see (a custom parser checks them): by long flag. */
export type OptionValues = Record<string, Values>;

const NONE: Values = { kind: "none" };
export const words = (list: readonly string[], commaSeparated = false): Values => ({ kind: "words", words: list, list: commaSeparated });

/** An argument's values by its name: what it names decides how it completes. */
const ARGUMENT_VALUES: Record<string, Values> = {
  spec: { kind: "files" },
  dir: { kind: "dirs" },
  run: { kind: "runs" },
  base: { kind: "refs" },
  key: { kind: "files" },
};

/** The tree of `program`: hidden options and commands left out, `-h, --help` and `help [command]` added as commander adds them. */
export function completionTree(program: Command, optionValues: OptionValues): CommandSpec {
  const globals = program.options.filter((o) => !o.hidden && o.long !== "--version").map((o) => optionSpec(o, optionValues, true));
  return commandSpec(program, [], globals, optionValues);
}

function commandSpec(command: Command, path: string[], globals: OptionSpec[], optionValues: OptionValues): CommandSpec {
  const isProgram = path.length === 0;
  const own = command.options.filter((o) => !o.hidden).map((o) => optionSpec(o, optionValues, false));
  const children = command.commands.filter((c) => !isHidden(c));
  const commands = children.map((c) => commandSpec(c, [...path, c.name()], globals, optionValues));
  if (commands.length > 0) commands.push(helpCommand(path, children, globals));
  const options = [
    ...(isProgram ? own : [...own, ...globals.filter((g) => !own.some((o) => o.names.some((n) => g.names.includes(n))))]),
    HELP_OPTION,
  ];
  return { path, description: command.description(), options, args: command.registeredArguments.map(argSpec), commands };
}

const HELP_OPTION: OptionSpec = {
  names: ["-h", "--help"],
  description: "display help for command",
  takesValue: false,
  values: NONE,
  global: false,
};

/** commander's implicit `help [command]` of every command that has subcommands. */
function helpCommand(path: string[], children: Command[], globals: OptionSpec[]): CommandSpec {
  const names = children.map((c) => c.name());
  return {
    path: [...path, "help"],
    description: "display help for command",
    options: [...globals, HELP_OPTION],
    args: [{ name: "command", description: "command", required: false, variadic: false, values: words(names) }],
    commands: [],
  };
}

function optionSpec(option: Option, optionValues: OptionValues, global: boolean): OptionSpec {
  const names = [option.short, option.long].filter((n): n is string => typeof n === "string");
  const takesValue = option.required || option.optional;
  return { names, description: option.description, takesValue, values: takesValue ? optionValuesOf(option, optionValues) : NONE, global };
}

function optionValuesOf(option: Option, optionValues: OptionValues): Values {
  if (option.argChoices) return words(option.argChoices);
  const known = option.long ? optionValues[option.long] : undefined;
  if (known) return known;
  // The value's placeholder in the flags says what it names: `--sarif <file>`, `--openspec <dir>`.
  const placeholder = /[<[]([\w-]+)[>\]]/.exec(option.flags)?.[1];
  return placeholder === "file" ? { kind: "files" } : placeholder === "dir" ? { kind: "dirs" } : NONE;
}

function argSpec(argument: Argument): ArgSpec {
  const name = argument.name();
  const values = argument.argChoices ? words(argument.argChoices) : (ARGUMENT_VALUES[name] ?? NONE);
  return { name, description: argument.description, required: argument.required, variadic: argument.variadic, values };
}

// commander keeps no public flag for a hidden command; `.command(name, { hidden: true })` sets this.
function isHidden(command: Command): boolean {
  return (command as unknown as { _hidden?: boolean })._hidden === true;
}

/** Every command of the tree, the program first, depth first. */
export function allCommands(tree: CommandSpec): CommandSpec[] {
  return [tree, ...tree.commands.flatMap(allCommands)];
}

/** Every long flag the tree has, for checking a value table against it. */
export function longFlags(tree: CommandSpec): Set<string> {
  return new Set(allCommands(tree).flatMap((c) => c.options.flatMap((o) => o.names.filter((n) => n.startsWith("--")))));
}
