// Runs a step of action.yml as the runner does: its `run:` script under bash, its `env:` mapped from the
// inputs, with the runner's GITHUB_OUTPUT, GITHUB_PATH and GITHUB_STEP_SUMMARY files read back afterwards.
// No network: the steps under test either need none or are pointed at a server on 127.0.0.1.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parse } from "yaml";
import { run } from "../../src/core/exec.ts";

export const ROOT = resolve(import.meta.dir, "..", "..");

export type ActionStep = {
  name: string;
  id?: string;
  uses?: string;
  if?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
};
export type Action = {
  inputs: Record<string, { description: string; default: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: ActionStep[] };
};

export function readAction(): Action {
  return parse(readFileSync(join(ROOT, "action.yml"), "utf8")) as Action;
}

export type StepResult = {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Raw GITHUB_OUTPUT, then as name → value. */
  outputFile: string;
  outputs: Record<string, string>;
  /** Directories the step appended to GITHUB_PATH. */
  path: string[];
  summary: string;
};

export type StepOptions = {
  /** Input values; the rest take action.yml's defaults. */
  inputs?: Record<string, string>;
  /** Values of the other `${{ … }}` expressions the step's env uses, by expression text. */
  expressions?: Record<string, string>;
  /** The runner's own variables (GITHUB_BASE_REF, RUNNER_OS, …). */
  env?: Record<string, string>;
  /** Directories earlier steps appended to GITHUB_PATH (first wins). */
  path?: string[];
};

/** The step's env as action.yml maps it: every `${{ inputs.x }}` resolved, any other expression
 *  taken from `expressions` (an unknown one throws, so an unwired variable cannot go unnoticed). */
export function stepEnv(step: ActionStep, options: StepOptions = {}): Record<string, string> {
  const { inputs } = readAction();
  const resolve = (expr: string): string => {
    const input = /^inputs\.([\w-]+)$/.exec(expr)?.[1];
    if (input !== undefined) {
      if (inputs[input] === undefined) throw new Error(`${step.name}: no input ${input}`);
      return options.inputs?.[input] ?? inputs[input].default;
    }
    const value = options.expressions?.[expr];
    if (value === undefined) throw new Error(`${step.name}: no value for \${{ ${expr} }}`);
    return value;
  };
  return Object.fromEntries(
    Object.entries(step.env ?? {}).map(([name, value]) => [
      name,
      value.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expr: string) => resolve(expr)),
    ]),
  );
}

/** Runs the `run:` script of the action.yml step with this name, as the runner does (bash -eo pipefail). */
export async function runActionStep(name: string, cwd: string, options: StepOptions = {}): Promise<StepResult> {
  const step = readAction().runs.steps.find((s) => s.name === name);
  if (step?.run === undefined) throw new Error(`action.yml has no run step named ${name}`);
  const files = mkdtempSync(join(tmpdir(), "loki-action-"));
  const at = (file: string) => {
    writeFileSync(join(files, file), "");
    return join(files, file);
  };
  const runner = {
    GITHUB_ACTION_PATH: ROOT,
    GITHUB_OUTPUT: at("output"),
    GITHUB_PATH: at("path"),
    GITHUB_STEP_SUMMARY: at("summary"),
    RUNNER_TEMP: join(files, "runner-temp"),
  };
  try {
    // node as setup-node provides it; bun only where the step puts it (the action's node_modules/.bin).
    const PATH = [...(options.path ?? []), dirname(Bun.which("node") ?? process.execPath), process.env.PATH ?? ""].join(":");
    const env = { PATH, ...runner, ...options.env, ...stepEnv(step, options) };
    const result = await run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step.run], { cwd, env, timeoutMs: 120_000 });
    const read = (file: string) => readFileSync(file, "utf8");
    const outputFile = read(runner.GITHUB_OUTPUT);
    const outputs = Object.fromEntries(
      outputFile
        .split("\n")
        .filter(Boolean)
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    const path = read(runner.GITHUB_PATH).split("\n").filter(Boolean);
    return {
      code: result.exitCode,
      stdout: result.stdout,
      stderr: result.stderr,
      outputFile,
      outputs,
      path,
      summary: read(runner.GITHUB_STEP_SUMMARY),
    };
  } finally {
    rmSync(files, { recursive: true, force: true });
  }
}

/** A stand-in gitleaks on PATH that records each call in `calls` and reports no leak. */
export function fakeGitleaks(dir: string): { dir: string; calls: () => number } {
  const log = join(dir, "gitleaks-calls");
  const bin = join(dir, "gitleaks");
  writeFileSync(
    bin,
    `#!/bin/sh\necho "$*" >> "${log}"\nwhile [ $# -gt 0 ]; do [ "$1" = --report-path ] && echo '[]' > "$2"; shift; done\nexit 0\n`,
  );
  chmodSync(bin, 0o755);
  const calls = () => {
    try {
      return readFileSync(log, "utf8").split("\n").filter(Boolean).length;
    } catch {
      return 0;
    }
  };
  return { dir, calls };
}
