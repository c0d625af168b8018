// How loki runs a project's tests so that the results come from the runner, not from what the
// command prints: planTestRun rewrites the (frozen) shell text so every runner segment writes a
// report into loki's own directory; readReport reads those reports back into per-test results.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { projectPath } from "../command-run.ts";
import type { Command } from "../detect.ts";
import { parseReport, type TestResult } from "./report.ts";
import { applyEdits, commandIndex, type Edit, insertAt, shellQuote, splitSegments } from "./shell.ts";
import { matchRunner, type ReportFormat, type Runner, type RunnerId } from "./table.ts";

export type PlannedReport = {
  runner: RunnerId | "configured";
  format: ReportFormat;
  file: string;
  declares?: RegExp;
  noTests?: Runner["noTests"];
};
export type TestPlan = { argv: string[]; env: Record<string, string>; reports: PlannedReport[]; runners: string[] };
export type PlanOptions = { root: string; reportDir: string; files?: string[]; configuredReport?: string };

/** Positional words that narrow what a runner runs (paths, globs, go's ./...): replaced when files are selected. */
const BOOLEAN_FLAGS = new Set(["--test", "-q", "-v", "--ci", "--verbose", "--recursive", "-x", "run", "--run", "--passWithNoTests"]);

export function planTestRun(command: Command, options: PlanOptions): TestPlan {
  const shell = command.shell ?? command.argv.map(shellQuote).join(" ");
  const env: Record<string, string> = {
    CI: "true",
    // What `npm run` does: the project's own binaries first.
    PATH: projectPath(options.root),
  };
  if (options.configuredReport !== undefined) {
    const file = isAbsolute(options.configuredReport) ? options.configuredReport : resolve(options.root, options.configuredReport);
    return { argv: ["sh", "-c", shell], env, reports: [{ runner: "configured", format: "junit", file }], runners: ["configured report"] };
  }
  const edits: Edit[] = [];
  const reports: PlannedReport[] = [];
  for (const segment of splitSegments(shell)) {
    const texts = segment.words.map((w) => w.text);
    const found = matchRunner(texts, commandIndex(texts));
    if (found === null) continue;
    const { runner, at, length } = found;
    // A random name: a test that finds the directory still cannot know the file before the runner writes it.
    const file = join(options.reportDir, `${crypto.randomUUID()}.${runner.format === "junit" ? "xml" : "json"}`);
    reports.push({ runner: runner.id, format: runner.format, file, declares: runner.declares, noTests: runner.noTests });
    Object.assign(env, runner.env);
    const nameEnd = segment.words[at + length - 1]?.end ?? segment.start;
    const extra = options.files ? runner.select(options.files) : [];
    edits.push(insertAt(nameEnd, [...runner.flags(file), ...extra]));
    if (options.files) edits.push(...dropPositionals(segment.words.slice(at + length), options.root));
    edits.push(...tailEdits(runner, segment.words, at + length, file));
  }
  return { argv: ["sh", "-c", applyEdits(shell, edits)], env, reports, runners: reports.map((r) => r.runner) };
}

/** libtest's flags after `--` (adding one when there is none) and the stdout redirect into the report. */
function tailEdits(runner: Runner, words: { text: string; start: number; end: number }[], from: number, file: string): Edit[] {
  const last = words[words.length - 1]?.end ?? 0;
  const redirect = runner.stdoutIsReport ? ` >${shellQuote(file)}` : "";
  if (runner.tail === undefined) return [{ start: last, end: last, text: redirect }];
  const dd = words.find((w, i) => i >= from && w.text === "--");
  if (dd !== undefined) return [insertAt(dd.end, runner.tail), { start: last, end: last, text: redirect }];
  return [{ start: last, end: last, text: `${insertAt(last, ["--", ...runner.tail]).text}${redirect}` }];
}

function dropPositionals(words: { text: string; start: number; end: number }[], root: string): Edit[] {
  const edits: Edit[] = [];
  for (const [i, w] of words.entries()) {
    if (w.text === "--") break;
    const prev = words[i - 1]?.text ?? "";
    const isValue = prev.startsWith("-") && !prev.includes("=") && !BOOLEAN_FLAGS.has(prev);
    const looksLikePath = /[*?]|\.\.\.$/.test(w.text) || existsSync(resolve(root, w.text));
    if (!w.text.startsWith("-") && !isValue && looksLikePath) edits.push({ start: w.start, end: w.end, text: "" });
  }
  return edits;
}

export type ReportReading = {
  /** Why the evidence is missing or cut off; undefined when every report was read whole. */
  problem?: string;
  results: TestResult[];
  counts: { passed: number; failed: number; skipped: number };
  /** Files (or go packages) that declare tests in their source but ran none: an early exit. */
  ranNothing: { group: string; declared: number }[];
};

/** When each report file was last modified before the run (null: absent), to reject one it did not write. */
export function reportMtimes(plan: TestPlan): Map<string, number | null> {
  return new Map(plan.reports.map((r) => [r.file, mtimeOf(r.file)]));
}

/** Reads every planned report; a report unchanged since `before` (reportMtimes) was not written by the run. */
export function readReport(plan: TestPlan, options: { root: string; before: Map<string, number | null> }): ReportReading {
  const results: TestResult[] = [];
  const ranNothing: ReportReading["ranNothing"] = [];
  let problem: string | undefined;
  for (const report of plan.reports) {
    const before = options.before.get(report.file) ?? null;
    const text = before !== null && mtimeOf(report.file) === before ? null : readText(report.file);
    const parsed = text === null ? null : parseReport(report.format, text);
    if (parsed === null || !parsed.complete) {
      problem ??= `${report.runner}: ${parsed?.problem ?? "no report was written"}`;
      continue;
    }
    let own = parsed.results;
    let empty = parsed.emptyGroups;
    // node --test shows a file that ran no test as one passing "test" named after the file.
    if (report.runner === "node-test") {
      const isFile = (r: TestResult) =>
        r.status === "passed" && /\.[cm]?[jt]sx?$/.test(r.name) && existsSync(resolve(options.root, r.name));
      empty = own.filter(isFile).map((r) => r.name);
      own = own.filter((r) => !isFile(r));
    }
    results.push(...own);
    for (const group of empty) {
      const declared = countDeclared(report, group, options.root);
      if (declared > 0) ranNothing.push({ group, declared });
    }
  }
  const count = (s: TestResult["status"]) => results.filter((r) => r.status === s).length;
  return {
    ...(problem ? { problem } : {}),
    results,
    counts: { passed: count("passed"), failed: count("failed"), skipped: count("skipped") },
    ranNothing,
  };
}

function mtimeOf(file: string): number | null {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

/** Static count of test declarations in a file, or in a go package's _test.go files. */
function countDeclared(report: PlannedReport, group: string, root: string): number {
  if (report.declares === undefined) return 0;
  const count = (file: string) => {
    try {
      return [...readFileSync(file, "utf8").matchAll(report.declares ?? /$^/g)].length;
    } catch {
      return 0;
    }
  };
  if (report.runner !== "go-test") return count(resolve(root, group));
  const module = /^module\s+(\S+)/m.exec(readText(join(root, "go.mod")) ?? "")?.[1] ?? "";
  const dir = join(root, group === module ? "." : group.startsWith(`${module}/`) ? group.slice(module.length + 1) : group);
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith("_test.go"))
      .reduce((n, f) => n + count(join(dir, f)), 0);
  } catch {
    return 0;
  }
}
