// The test runners loki can read results from: one record each — how to recognise it in a command,
// which flags make it write a machine-readable report to a file loki chooses, how to run only some
// test files, and what a test declaration looks like in its source. Pure data and small functions.
import { basename } from "./shell.ts";

export type ReportFormat = "junit" | "jest-json" | "go-json" | "cargo-json";
export type RunnerId = "node-test" | "vitest" | "jest" | "mocha" | "bun-test" | "pytest" | "go-test" | "cargo-test";

export type Runner = {
  id: RunnerId;
  /** How reports name it: the command a user would recognise. */
  title: string;
  /** Given the words from the command on, how many words name the runner (0: not this runner). */
  match: (words: string[]) => number;
  format: ReportFormat;
  /** Words placed right after the runner's name so it writes its report to `report`. */
  flags: (report: string) => string[];
  /** Words for the test binary, after `--` (libtest). */
  tail?: string[];
  /** The runner's stdout is the report (go test -json, libtest json): loki redirects it to the file. */
  stdoutIsReport?: boolean;
  env?: Record<string, string>;
  /** Arguments that run only these files (paths relative to the root). */
  select: (files: string[]) => string[];
  /** A test declaration in a test file (counted to tell a file that ran nothing from one that has nothing). */
  declares: RegExp;
  /** How the runner says it found no test at all: its exit code and the line it prints (node --test,
   *  go test and cargo test exit 0 then; these exit non-zero, which alone would read as a red suite). */
  noTests?: { exitCode: number; output: RegExp };
};

const named =
  (...names: string[]) =>
  (w: string[]) =>
    names.includes(basename(w[0] ?? "")) ? 1 : 0;
const sub = (name: string, verb: string) => (w: string[]) => (basename(w[0] ?? "") === name && w[1] === verb ? 2 : 0);
const JS_TEST = /^\s*(?:test|it)(?:\.(?:each\([^)]*\)|concurrent|sequential|todo|fails))?\s*\(/gm;
const asPaths = (files: string[]) => files.map((f) => (f.startsWith("/") || f.startsWith(".") ? f : `./${f}`));

export const RUNNERS: readonly Runner[] = [
  {
    id: "node-test",
    title: "node --test",
    // `node --test`, also with other node flags before --test.
    match: (w) => (basename(w[0] ?? "") === "node" && w.slice(1).some((a) => a === "--test") ? 1 : 0),
    format: "junit",
    // Node pairs each reporter with the destination that follows it: the human one to stdout.
    flags: (report) => [
      "--test-reporter=spec",
      "--test-reporter-destination=stdout",
      "--test-reporter=junit",
      `--test-reporter-destination=${report}`,
    ],
    select: (files) => files,
    declares: /^\s*(?:test|it)(?:\.(?:skip|todo|only))?\s*\(/gm,
  },
  {
    id: "vitest",
    title: "vitest",
    match: named("vitest"),
    format: "junit",
    flags: (report) => ["--reporter=default", "--reporter=junit", `--outputFile.junit=${report}`],
    select: (files) => files,
    declares: JS_TEST,
    noTests: { exitCode: 1, output: /^No test files found, exiting with code 1$/m },
  },
  {
    id: "jest",
    title: "jest",
    match: named("jest"),
    format: "jest-json",
    flags: (report) => ["--json", `--outputFile=${report}`],
    select: (files) => ["--runTestsByPath", ...files],
    declares: JS_TEST,
    noTests: { exitCode: 1, output: /^No tests found, exiting with code 1$/m },
  },
  {
    id: "mocha",
    title: "mocha",
    match: named("mocha", "_mocha"),
    format: "junit",
    // Mocha takes one reporter: the xunit file is the evidence, nothing human goes to stdout.
    flags: (report) => ["--reporter=xunit", `--reporter-option=output=${report}`],
    select: (files) => files,
    declares: /^\s*(?:it|specify|test)\s*\(/gm,
    noTests: { exitCode: 1, output: /^Error: No test files found\b/m },
  },
  {
    id: "bun-test",
    title: "bun test",
    match: sub("bun", "test"),
    format: "junit",
    flags: (report) => ["--reporter=junit", `--reporter-outfile=${report}`],
    select: asPaths,
    declares: JS_TEST,
    noTests: { exitCode: 1, output: /^No tests found!$/m },
  },
  {
    id: "pytest",
    title: "pytest",
    match: named("pytest", "py.test"),
    format: "junit",
    flags: (report) => [`--junitxml=${report}`, "-p", "no:cacheprovider"],
    select: (files) => files,
    declares: /^\s*(?:async\s+)?def test_\w*\s*\(/gm,
    // pytest's documented exit code 5: no tests were collected.
    noTests: { exitCode: 5, output: /^(?:=+ )?no tests ran\b/m },
  },
  {
    id: "go-test",
    title: "go test",
    match: sub("go", "test"),
    format: "go-json",
    // go test -json turns the test binary's output into events (test2json); a failing test stays a
    // failing event. Before Go 1.20 (no framing) a test printing `--- PASS:` lines could add passes.
    flags: () => ["-json"],
    stdoutIsReport: true,
    select: (files) => [...new Set(files.map((f) => (f.includes("/") ? `./${f.slice(0, f.lastIndexOf("/"))}` : ".")))],
    declares: /^func Test[A-Z_0-9]\w*\s*\(\s*\w+\s+\*testing\.T\s*\)/gm,
  },
  {
    id: "cargo-test",
    title: "cargo test",
    match: sub("cargo", "test"),
    format: "cargo-json",
    // Stable libtest has no machine-readable output; its json formatter is unstable and needs
    // RUSTC_BOOTSTRAP=1 with `-Z unstable-options`. It prints to stdout, where a test writing to the
    // raw stdout handle (not print!, which libtest captures) could add events: parseCargo checks that
    // every suite that started also finished, which catches an early exit but not such a forgery.
    flags: () => [],
    tail: ["-Z", "unstable-options", "--format", "json", "--report-time"],
    stdoutIsReport: true,
    env: { RUSTC_BOOTSTRAP: "1" },
    select: (files) => {
      const targets = files.map((f) => /^tests\/([^/]+)\.rs$/.exec(f)?.[1]);
      return [...new Set(targets.flatMap((t) => (t ? ["--test", t] : ["--lib"])))];
    },
    declares: /^\s*#\[(?:tokio::)?test\]/gm,
  },
];

/** The runner a segment's words run, with the index of the runner's first word and its length. */
export function matchRunner(words: string[], from: number): { runner: Runner; at: number; length: number } | null {
  const rest = words.slice(from);
  for (const runner of RUNNERS) {
    const length = runner.match(rest);
    if (length > 0) return { runner, at: from, length };
  }
  return null;
}
