// Gate "tests": runs the project's test command and grades it. Red is fail; no runner, no tests
// executed, a timeout or a runner that cannot start are inconclusive — never a pass (DESIGN §5).
// parseTestCounts is pure: it reads counts from what common runners print, and guesses nothing else.
import { run } from "../core/exec.ts";
import { commandArgv } from "./command-run.ts";
import { fingerprint, type Gate, type GateOutcome } from "./gate.ts";

export type TestCounts = { passed: number; failed: number; skipped?: number; runner: string };

const NO_RUNNER = "no test runner found (set verify.test in loki.yaml)";
const DEFAULT_TIMEOUT_MS = 10 * 60_000;
// Verbose suites print a lot; a cut-off log must not turn a green run red (see `truncated`).
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export const testsGate: Gate = {
  id: "tests",
  title: "Tests pass",
  when: () => true,
  run: async ({ subject, project, signal }) => {
    const command = project.test;
    if (command === null) return inconclusive(NO_RUNNER);
    const shown = `\`${command.argv.join(" ")}\``;
    const timeoutMs = testTimeoutMs(process.env.LOKI_TEST_TIMEOUT_MS);
    const { argv, env } = commandArgv(command, subject.root);
    const result = await run(argv, { cwd: subject.root, timeoutMs, env: { ...env, CI: "true" }, signal, maxOutputBytes: MAX_OUTPUT_BYTES });
    const output = `${result.stdout}\n${result.stderr}`;
    const counts = parseTestCounts(output);
    const details = {
      ...(counts ?? { runner: "unknown" }),
      command: command.argv.join(" "),
      source: command.source,
      exit_code: result.exitCode,
    };
    if (signal?.aborted) return inconclusive("cancelled while the tests ran", details);
    if (result.spawnError !== null) return inconclusive(`could not start ${shown}: ${result.spawnError}`, details);
    if (result.timedOut)
      return inconclusive(`tests timed out after ${formatDuration(timeoutMs)} (${shown}; raise LOKI_TEST_TIMEOUT_MS)`, details);
    if (result.truncated) return inconclusive(`${shown} printed more than ${MAX_OUTPUT_BYTES >> 20} MiB; output cut off`, details);
    // The shell's "command not found" and a missing pytest are a missing runner, not a red suite.
    if (result.exitCode === 127 || (result.exitCode !== 0 && /No module named pytest/.test(output)))
      return inconclusive(`${shown} could not find its test runner: ${result.digest.split("\n")[0] ?? ""}`, details);
    const failed = (why: string): GateOutcome => {
      const message = `tests failed: ${why}`;
      const finding = {
        severity: "high" as const,
        message,
        rule: "tests-failed",
        fingerprint: fingerprint("tests-failed", undefined, command.argv.join(" ")),
      };
      return { status: "fail", reason: message, findings: [finding], digest: result.digest, details };
    };
    if (result.exitCode !== 0)
      return failed(counts ? formatCounts(counts) : result.signal ? `killed by ${result.signal}` : `exit code ${result.exitCode}`);
    if (counts && counts.failed > 0) return failed(`${formatCounts(counts)} (though ${shown} exited 0)`);
    if (counts && counts.passed === 0) return inconclusive(`the test command ran no tests (${shown})`, details);
    const summary = counts ? formatCounts(counts) : `${shown} exited 0 (no test counts printed)`;
    return { status: "pass", reason: `${summary} — ${command.source}`, findings: [], details };
  },
};

function inconclusive(reason: string, details?: Record<string, unknown>): GateOutcome {
  return { status: "inconclusive", reason, findings: [], ...(details ? { details } : {}) };
}

function testTimeoutMs(raw: string | undefined): number {
  const value = Number(raw);
  return raw !== undefined && Number.isFinite(value) && value > 0 ? value : DEFAULT_TIMEOUT_MS;
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000 || ms % 60_000 !== 0) return `${Math.round(ms / 1000)}s`;
  return `${ms / 60_000} min`;
}

function formatCounts(c: TestCounts): string {
  // go test reports packages, not tests.
  const [ok, bad] = c.runner === "go test" ? ["packages ok", "packages failed"] : ["passed", "failed"];
  const parts = c.failed > 0 ? [`${c.failed} ${bad}`, `${c.passed} ${ok}`] : [`${c.passed} ${ok}`];
  if (c.skipped) parts.push(`${c.skipped} skipped`);
  return parts.join(", ");
}

type Counts = Omit<TestCounts, "runner">;
type Parser = { runner: string; parse: (lines: string[]) => Counts | null };

/** Sums every line matching `pattern`, so a script that runs its runner twice counts both. */
function sumLines(lines: string[], pattern: RegExp, read: (m: RegExpExecArray) => Counts): Counts | null {
  const total: Counts = { passed: 0, failed: 0, skipped: 0 };
  let found = false;
  for (const line of lines) {
    const m = pattern.exec(line);
    if (!m) continue;
    const c = read(m);
    found = true;
    total.passed += c.passed;
    total.failed += c.failed;
    total.skipped = (total.skipped ?? 0) + (c.skipped ?? 0);
  }
  return found ? total : null;
}

/** "1 failed, 3 passed, 2 skipped" (any order, any separator) → counts by word. */
function byWord(text: string, words: Record<string, keyof Counts>): Counts {
  const c: Counts = { passed: 0, failed: 0, skipped: 0 };
  for (const [, n, word] of text.matchAll(/(\d+) ([a-z]+)/g)) {
    const key = words[word ?? ""];
    if (key) c[key] = (c[key] ?? 0) + Number(n);
  }
  return c;
}

const n = (m: RegExpExecArray, i: number) => Number(m[i] ?? 0);

/** Most specific formats first: the first runner whose summary appears wins. */
const PARSERS: Parser[] = [
  {
    runner: "bun",
    parse: (lines) =>
      lines.some((l) => /^Ran \d+ tests? across \d+ files?\./.test(l))
        ? sumLines(lines, /^\s*(\d+) (pass|fail|skip|todo)$/, (m) =>
            byWord(`${m[1]} ${m[2]}`, { pass: "passed", fail: "failed", skip: "skipped", todo: "skipped" }),
          )
        : null,
  },
  {
    runner: "jest",
    parse: (lines) =>
      sumLines(lines, /^Tests:\s+(.*?)\d+ total/, (m) =>
        byWord(m[1] ?? "", { passed: "passed", failed: "failed", skipped: "skipped", todo: "skipped" }),
      ),
  },
  {
    runner: "vitest",
    parse: (lines) =>
      sumLines(lines, /^\s*Tests\s{2,}(.*)\(\d+\)\s*$/, (m) =>
        byWord(m[1] ?? "", { passed: "passed", failed: "failed", skipped: "skipped", todo: "skipped" }),
      ),
  },
  {
    runner: "cargo",
    parse: (lines) =>
      sumLines(lines, /^test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored/, (m) => ({
        passed: n(m, 1),
        failed: n(m, 2),
        skipped: n(m, 3),
      })),
  },
  {
    runner: "pytest",
    parse: (lines) =>
      sumLines(lines, /^=*\s*((?:\d+ \w+(?:, )?)+|no tests ran) in [\d.]+s\b/, (m) =>
        byWord(m[1] ?? "", {
          passed: "passed",
          failed: "failed",
          error: "failed",
          errors: "failed",
          skipped: "skipped",
          xfailed: "skipped",
        }),
      ),
  },
  {
    runner: "mocha",
    parse: (lines) =>
      lines.some((l) => /^\s*\d+ passing\b/.test(l))
        ? sumLines(lines, /^\s*(\d+) (passing|failing|pending)\b/, (m) =>
            byWord(`${m[1]} ${m[2]}`, { passing: "passed", failing: "failed", pending: "skipped" }),
          )
        : null,
  },
  { runner: "node --test", parse: (lines) => (lines.some((l) => /^(#|ℹ) duration_ms /.test(l)) ? tapSummary(lines) : null) },
  { runner: "tap", parse: tapSummary },
  {
    runner: "rspec",
    parse: (lines) =>
      sumLines(lines, /^(\d+) examples?, (\d+) failures?(?:, (\d+) pending)?/, (m) => ({
        passed: n(m, 1) - n(m, 2) - n(m, 3),
        failed: n(m, 2),
        skipped: n(m, 3),
      })),
  },
  {
    runner: "minitest",
    parse: (lines) =>
      sumLines(lines, /^(\d+) runs, \d+ assertions, (\d+) failures, (\d+) errors, (\d+) skips/, (m) => ({
        passed: n(m, 1) - n(m, 2) - n(m, 3) - n(m, 4),
        failed: n(m, 2) + n(m, 3),
        skipped: n(m, 4),
      })),
  },
  // Surefire prints a line per class (with "Time elapsed") and a total per module (without).
  {
    runner: "maven",
    parse: (lines) =>
      sumLines(lines, /Tests run: (\d+), Failures: (\d+), Errors: (\d+), Skipped: (\d+)(?!, Time elapsed)$/, (m) => ({
        passed: n(m, 1) - n(m, 2) - n(m, 3) - n(m, 4),
        failed: n(m, 2) + n(m, 3),
        skipped: n(m, 4),
      })),
  },
  { runner: "go test", parse: goPackages },
  { runner: "tap", parse: tapLines },
];

/** node --test and tape: "# pass N" (node's spec reporter: "ℹ pass N"). Cancelled counts as failed. */
function tapSummary(lines: string[]): Counts | null {
  if (!lines.some((l) => /^(#|ℹ) (tests|pass)\s+\d+\s*$/.test(l))) return null;
  return sumLines(lines, /^(?:#|ℹ) (pass|fail|cancelled|skipped|todo)\s+(\d+)\s*$/, (m) =>
    byWord(`${m[2]} ${m[1]}`, { pass: "passed", fail: "failed", cancelled: "failed", skipped: "skipped", todo: "skipped" }),
  );
}

/** Bare TAP without a summary: top-level "ok N" / "not ok N" lines, with SKIP/TODO directives. */
function tapLines(lines: string[]): Counts | null {
  return sumLines(lines, /^(not )?ok \d+\b(.*)$/, (m) =>
    /#\s*(SKIP|TODO)/i.test(m[2] ?? "") ? { passed: 0, failed: 0, skipped: 1 } : m[1] ? { passed: 0, failed: 1 } : { passed: 1, failed: 0 },
  );
}

/** go test prints one line per package: ok, FAIL, or "?" / "[no tests to run]" for none. */
function goPackages(lines: string[]): Counts | null {
  return sumLines(lines, /^(ok|FAIL|\?)\s+\S+\s+(\(cached\)|[\d.]+s|\[[a-z ]+\])(.*)$/, (m) => {
    const none = m[1] === "?" || /\[no tests to run\]/.test(m[3] ?? "");
    return { passed: !none && m[1] === "ok" ? 1 : 0, failed: m[1] === "FAIL" ? 1 : 0 };
  });
}

/** Pass/fail counts from a test run's output, or null when no known runner summary is there. */
export function parseTestCounts(output: string): TestCounts | null {
  // Runners that ignore NO_COLOR still print escapes around the very words we match.
  const lines = output.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").split(/\r?\n/);
  for (const parser of PARSERS) {
    const counts = parser.parse(lines);
    if (counts === null) continue;
    const { skipped, ...rest } = counts;
    return { ...rest, ...(skipped ? { skipped } : {}), runner: parser.runner };
  }
  return null;
}
