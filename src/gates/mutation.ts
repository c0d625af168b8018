// Gate "mutation": do the tests notice when the changed lines are wrong? StrykerJS (when the
// project has it installed) mutates only the diff's changed JS/TS lines and runs the frozen test
// command against each mutant, time-boxed; the score goes into the evidence and a low one is a finding.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { extname, join } from "node:path";
import { run } from "../core/exec.ts";
import { envTimeoutMs, projectPath, shownCommand } from "./command-run.ts";
import { fingerprint, type ChangedFile, type Gate, type GateOutcome, inconclusive, projectArgv } from "./gate.ts";
import { isTestPath } from "./test-paths.ts";
import { tempOutside } from "../core/workspace.ts";

const JS = new Set([".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts"]);
const DEFAULT_TIMEOUT_MS = 5 * 60_000;
/** Below this share of killed mutants (Stryker's own "high" mark) the tests let wrong changed lines through: a finding. */
export const MIN_SCORE = 0.8;
const NOT_INSTALLED = "StrykerJS is not installed in this project (npm i -D @stryker-mutator/core)";

type Mutant = { status: string; mutatorName: string; replacement?: string; location: { start: { line: number } } };
type StrykerReport = { files: Record<string, { mutants: Mutant[] }> };

const mutable = (f: ChangedFile) =>
  f.status !== "deleted" && !f.binary && JS.has(extname(f.path)) && !isTestPath(f.path) && f.added.length > 0;
const stryker = (root: string) => join(root, "node_modules", ".bin", "stryker");

/** `file:start-end` for each run of consecutive added lines. */
export function mutateRanges(files: readonly ChangedFile[]): string[] {
  const ranges: string[] = [];
  for (const file of files.filter(mutable)) {
    const lines = file.added
      .lines()
      .map((l) => l.line)
      .sort((a, b) => a - b);
    let start = lines[0] ?? 0;
    for (const [i, line] of lines.entries()) {
      const next = lines[i + 1];
      if (next === line + 1) continue;
      ranges.push(`${file.path}:${start}-${line}`);
      if (next !== undefined) start = next;
    }
  }
  return ranges;
}

export const mutationGate: Gate = {
  id: "mutation",
  title: "Tests catch wrong changed lines",
  when: ({ subject, project }) => {
    if (!subject.files.some(mutable)) return "no JS/TS source lines changed";
    if (project.test === null) return "no test command";
    if (!existsSync(stryker(subject.root))) return NOT_INSTALLED;
    return true;
  },
  run: async ({ subject, project, signal, confine }) => {
    const command = project.test;
    if (command === null) return { status: "skipped", reason: "no test command", findings: [] };
    const work = mkdtempSync(join(tempOutside(subject.root), "loki-mutation-"));
    try {
      const report = join(work, "mutation.json");
      const config = join(work, "stryker.config.json");
      const ranges = mutateRanges(subject.files);
      writeFileSync(
        config,
        JSON.stringify({
          testRunner: "command",
          commandRunner: { command: shownCommand(command) },
          mutate: ranges,
          reporters: ["json"],
          jsonReporter: { fileName: report },
          // Stryker's copy of the project lives outside the repository, never in it.
          tempDirName: join(work, "sandbox"),
          cleanTempDir: "always",
          concurrency: 2,
          logLevel: "error",
          fileLogLevel: "off",
        }),
      );
      const timeoutMs = envTimeoutMs("LOKI_MUTATION_TIMEOUT_MS", DEFAULT_TIMEOUT_MS);
      const path = projectPath(subject.root);
      const result = await run(await projectArgv({ confine }, [stryker(subject.root), "run", config], subject.root), {
        cwd: subject.root,
        timeoutMs,
        env: { PATH: path, CI: "true" },
        signal,
      });
      const details = { ranges, command: shownCommand(command), exit_code: result.exitCode };
      if (result.timedOut)
        return inconclusive(`mutation testing timed out after ${Math.round(timeoutMs / 1000)}s (raise LOKI_MUTATION_TIMEOUT_MS)`, details);
      if (!existsSync(report))
        return inconclusive(`StrykerJS wrote no report: ${result.digest.split("\n")[0] ?? `exit ${result.exitCode}`}`, details);
      return grade(JSON.parse(readFileSync(report, "utf8")) as StrykerReport, details);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
};

/** Killed (and timed-out) mutants over all that tests could reach; survivors and uncovered ones count against. */
function grade(report: StrykerReport, details: Record<string, unknown>): GateOutcome {
  const mutants = Object.entries(report.files).flatMap(([file, f]) => f.mutants.map((m) => ({ ...m, file })));
  const caught = mutants.filter((m) => m.status === "Killed" || m.status === "Timeout");
  const missed = mutants.filter((m) => m.status === "Survived" || m.status === "NoCoverage");
  const graded = caught.length + missed.length;
  if (graded === 0) return inconclusive("StrykerJS made no mutant of the changed lines", details);
  const score = caught.length / graded;
  const summary = `mutation score ${Math.round(score * 100)}%: ${caught.length} of ${graded} mutants of the changed lines caught`;
  const scored = { ...details, mutation_score: Number(score.toFixed(3)), killed: caught.length, survived: missed.length };
  if (score >= MIN_SCORE) return { status: "pass", reason: summary, findings: [], details: scored };
  const findings = missed.slice(0, 10).map((m) => ({
    severity: "medium" as const,
    file: m.file,
    line: m.location.start.line,
    rule: "mutant-survived",
    message: `the tests still pass when ${m.mutatorName} changes this line${m.replacement ? ` to \`${m.replacement.split("\n")[0]}\`` : ""}`,
    fingerprint: fingerprint("mutant-survived", m.file, `${m.mutatorName}\0${m.replacement ?? ""}`),
  }));
  return { status: "fail", reason: `${summary} (below ${MIN_SCORE * 100}%)`, findings, details: scored };
}
