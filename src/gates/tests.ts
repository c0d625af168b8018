// Gate "tests": runs the project's (frozen) test command with each runner writing a report into a
// directory loki creates outside the repository, and grades what the reports say. Red is fail; a
// test process that exits before its tests finished is fail; no runner, an unreadable runner, no
// test executed, a timeout, a runner that cannot start, or a working tree that is not the graded
// commit are inconclusive — never a pass (DESIGN §5).
import { mkdtempSync, rmSync } from "node:fs";
import { tempOutside } from "../core/workspace.ts";
import { join } from "node:path";
import { run } from "../core/exec.ts";
import { filtersOff, git } from "../core/git.ts";
import { familyOf } from "./assertions.ts";
import { envTimeoutMs, shownCommand } from "./command-run.ts";
import { fingerprint, type Gate, type GateOutcome, type Subject, inconclusive, projectArgv } from "./gate.ts";
import { planTestRun, readReport, type ReportReading, reportMtimes } from "./runners/plan.ts";
import { isTestPath } from "./test-paths.ts";
import { listSubjectFiles } from "./diff.ts";

export type TestCounts = { passed: number; failed: number; skipped?: number; runner: string };

const NO_RUNNER = "no test runner found (set verify.test in loki.yaml)";
const UNREADABLE = "loki cannot read this runner's results; set verify.test_report in loki.yaml to the JUnit XML file it writes";
const EARLY_EXIT = "the test process exited before its tests finished";
const DEFAULT_TIMEOUT_MS = 10 * 60_000;
// Verbose suites print a lot; a cut-off log must not turn a green run red (see `truncated`).
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export const testsGate: Gate = {
  id: "tests",
  title: "Tests pass",
  when: () => true,
  run: async ({ subject, project, config, frozen, acceptConfigChange, signal, confine }) => {
    const command = project.test;
    if (command === null) return inconclusive(NO_RUNNER);
    const drift = await worktreeDrift(subject);
    if (drift !== null) return inconclusive(drift);
    // What really runs: a package script's (frozen) shell text, not the `npm test` that names it.
    const shown = `\`${shownCommand(command)}\``;
    const timeoutMs = envTimeoutMs("LOKI_TEST_TIMEOUT_MS", DEFAULT_TIMEOUT_MS);
    const declared = frozen !== undefined && acceptConfigChange !== true ? frozen.verify : config.verify;
    const configuredReport = declared.test_report?.trim() || undefined;
    // Reports go where the tests cannot guess: a fresh private directory with no telltale name
    // (tests can list the temp dir), removed once read — never inside the repository (a TMPDIR there, as
    // an agent CLI's scratch dir is, puts the report among the files the runner collects: node --test exits 7).
    const reportDir = mkdtempSync(join(tempOutside(subject.root), "t"));
    let reading: ReportReading;
    let plan: ReturnType<typeof planTestRun>;
    let result: Awaited<ReturnType<typeof run>>;
    try {
      plan = planTestRun(command, { root: subject.root, reportDir, ...(configuredReport ? { configuredReport } : {}) });
      const before = reportMtimes(plan);
      result = await run(await projectArgv({ confine }, plan.argv, subject.root), {
        cwd: subject.root,
        timeoutMs,
        env: plan.env,
        signal,
        maxOutputBytes: MAX_OUTPUT_BYTES,
      });
      reading = readReport(plan, { root: subject.root, before });
    } finally {
      rmSync(reportDir, { recursive: true, force: true });
    }
    const runner = plan.runners.join(" + ") || "unknown";
    const counts: TestCounts = { ...reading.counts, runner };
    const details = { ...counts, command: shownCommand(command), source: command.source, exit_code: result.exitCode };
    const output = `${result.stdout}\n${result.stderr}`;
    if (signal?.aborted) return inconclusive("cancelled while the tests ran", details);
    if (result.spawnError !== null) return inconclusive(`could not start ${shown}: ${result.spawnError}`, details);
    if (result.timedOut)
      return inconclusive(`tests timed out after ${formatDuration(timeoutMs)} (${shown}; raise LOKI_TEST_TIMEOUT_MS)`, details);
    if (result.truncated) return inconclusive(`${shown} printed more than ${MAX_OUTPUT_BYTES >> 20} MiB; output cut off`, details);
    // The shell's "command not found" and a missing pytest are a missing runner, not a red suite.
    if (result.exitCode === 127 || (result.exitCode !== 0 && /No module named pytest/.test(output)))
      return inconclusive(`${shown} could not find its test runner: ${result.digest.split("\n")[0] ?? ""}`, details);
    // A runner that says it found no test exits non-zero where node --test exits 0: the same "no
    // tests" either way, and only believed when no test file exists (else a test could print the line).
    const none = reading.results.length === 0 && result.signal === null ? saidNoTests(plan, result.exitCode, output) : null;
    if (none !== null && !(await holdsTestFile(subject)))
      return inconclusive(`the test command ran no tests (${shown}; ${none} found no test file, and the repository has none)`, details);
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
    const exit = result.signal ? `killed by ${result.signal}` : `exit code ${result.exitCode}`;
    if (plan.reports.length === 0) return result.exitCode === 0 ? inconclusive(`${UNREADABLE} (${shown})`, details) : failed(exit);
    if (reading.problem !== undefined)
      return result.exitCode === 0 ? failed(`${EARLY_EXIT} (${reading.problem})`) : failed(`${exit} (${reading.problem})`);
    const early = reading.ranNothing[0];
    if (early !== undefined) return failed(`${EARLY_EXIT}: ${early.group} declares ${early.declared} test(s) and ran none`);
    if (counts.failed > 0)
      return failed(result.exitCode === 0 ? `${formatCounts(counts)} (though ${shown} exited 0)` : formatCounts(counts));
    if (result.exitCode !== 0) return failed(`${exit} after ${formatCounts(counts)}`);
    if (counts.passed === 0) return inconclusive(`the test command ran no tests (${shown})`, details);
    return { status: "pass", reason: `${formatCounts(counts)} — ${command.source}`, findings: [], details };
  },
};

/** The runner whose "no test found" exit and line this run shows, or null. */
function saidNoTests(plan: ReturnType<typeof planTestRun>, exitCode: number | null, output: string): string | null {
  const said = plan.reports.find((r) => r.noTests !== undefined && r.noTests.exitCode === exitCode && r.noTests.output.test(output));
  return said === undefined ? null : said.runner;
}

/** Whether the graded tree holds a test file by loki's own rule (tamper.ts isTestPath). */
async function holdsTestFile(subject: Subject): Promise<boolean> {
  const files = await listSubjectFiles(subject);
  // Unlistable: assume tests exist, so the exit code stays a red suite.
  return typeof files === "string" || files.some(isTestPath);
}

/**
 * Why the checkout on disk is not the commit being graded (null when it is, or when the working tree
 * is graded too): commands run on disk, so edits no diff showed would run ungraded. Untracked files
 * count when they are code or tests (loki's own reports, baselines and `.loki/` are neither).
 */
export async function worktreeDrift(subject: Subject): Promise<string | null> {
  if (subject.includesWorktree) return null;
  const opts = { cwd: subject.root, timeoutMs: 60_000 };
  const [tracked, untracked] = await Promise.all([
    // Comparing files on disk runs clean filters: none of the repository's own (core/git.ts filtersOff).
    filtersOff(subject.root).then((off) => git([...off, "diff", "--name-only", "-z", "--no-renames", subject.head, "--"], opts)),
    git(["ls-files", "-z", "--others", "--exclude-standard"], opts),
  ]);
  if (!tracked.ok || !untracked.ok)
    return `cannot compare the working tree with the graded commit: ${(tracked.ok ? untracked : tracked).digest}`;
  const runnable = untracked.stdout.split("\0").filter((p) => familyOf(p) !== "" || isTestPath(p));
  const paths = [...new Set([...tracked.stdout.split("\0"), ...runnable])].filter((p) => p !== "" && !p.startsWith(".loki/"));
  if (paths.length === 0) return null;
  const example = paths.slice(0, 3).join(", ") + (paths.length > 3 ? ", …" : "");
  const count = `${paths.length} file${paths.length === 1 ? "" : "s"}`;
  return `the working tree differs from the graded commit (${count}, e.g. ${example}): commit or stash them, or pass --uncommitted`;
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000 || ms % 60_000 !== 0) return `${Math.round(ms / 1000)}s`;
  return `${ms / 60_000} min`;
}

function formatCounts(c: TestCounts): string {
  const parts = c.failed > 0 ? [`${c.failed} failed`, `${c.passed} passed`] : [`${c.passed} passed`];
  if (c.skipped) parts.push(`${c.skipped} skipped`);
  return parts.join(", ");
}
