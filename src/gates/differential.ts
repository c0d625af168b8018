// Gate "differential": green tests must tell the new code from the old. Only the diff's new and
// changed test files run against the base's source (a throwaway copy of the base tree, outside the
// repository) with the frozen test command, results read from the runner's report; when code
// changed and every one of them passes there too, they do not distinguish the change — a finding
// (high in a run whose spec asks for new behaviour).
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, extname, join } from "node:path";
import { run } from "../core/exec.ts";
import { git } from "../core/git.ts";
import { shownCommand } from "./command-run.ts";
import { fingerprint, type ChangedFile, type Gate, type GateOutcome, type Subject } from "./gate.ts";
import { planTestRun, readReport, reportMtimes } from "./runners/plan.ts";
import { isTestPath } from "./tamper.ts";

const CODE = new Set([
  ".js",
  ".jsx",
  ".mjs",
  ".cjs",
  ".ts",
  ".tsx",
  ".mts",
  ".cts",
  ".py",
  ".go",
  ".rs",
  ".rb",
  ".java",
  ".kt",
  ".cs",
  ".php",
  ".swift",
  ".c",
  ".cc",
  ".cpp",
  ".h",
]);
const DEFAULT_TIMEOUT_MS = 10 * 60_000;
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

const isCode = (f: ChangedFile) => f.status !== "deleted" && !isTestPath(f.path) && CODE.has(extname(f.path));
const isNewTest = (f: ChangedFile) => f.status !== "deleted" && isTestPath(f.path) && (f.status !== "modified" || f.added.length > 0);

export const differentialGate: Gate = {
  id: "differential",
  title: "New tests fail on the old code",
  when: ({ subject, project }) => {
    if (project.test === null) return "no test command";
    if (!subject.files.some(isCode)) return "no source code changed";
    if (!subject.files.some(isNewTest)) return "no test file added or changed";
    return true;
  },
  run: async ({ subject, project, signal, expectsNewBehaviour }) => {
    const command = project.test;
    if (command === null) return { status: "skipped", reason: "no test command", findings: [] };
    const tests = subject.files.filter(isNewTest);
    const dir = mkdtempSync(join(tmpdir(), "loki-differential-"));
    const reportDir = mkdtempSync(join(tmpdir(), "t"));
    try {
      const copied = await baseWithHeadTests(subject, tests, dir);
      if (copied !== null) return inconclusive(copied);
      const plan = planTestRun(command, { root: dir, reportDir, files: tests.map((f) => f.path) });
      if (plan.reports.length === 0)
        return inconclusive(`loki cannot run single test files with \`${shownCommand(command)}\` (no runner it knows)`);
      const timeoutMs = Number(process.env.LOKI_TEST_TIMEOUT_MS) > 0 ? Number(process.env.LOKI_TEST_TIMEOUT_MS) : DEFAULT_TIMEOUT_MS;
      const before = reportMtimes(plan);
      const result = await run(plan.argv, { cwd: dir, timeoutMs, env: plan.env, signal, maxOutputBytes: MAX_OUTPUT_BYTES });
      const reading = readReport(plan, { root: dir, before });
      const details = { command: shownCommand(command), base: subject.base, tests: tests.map((f) => f.path), ...reading.counts };
      if (signal?.aborted) return inconclusive("cancelled while the tests ran on the base", details);
      if (result.spawnError !== null || result.timedOut || result.exitCode === 127)
        return inconclusive(
          `the tests could not run on the base code: ${result.spawnError ?? (result.timedOut ? "timed out" : "runner not found")}`,
          details,
        );
      const files = `${tests.length} new or changed test file${tests.length === 1 ? "" : "s"}`;
      // A test file that cannot even load on the base (it imports what the change adds) tells it apart.
      const at = `the base code (${subject.base.slice(0, 12)})`;
      const { passed, failed } = reading.counts;
      if (failed > 0 || (result.exitCode !== 0 && passed === 0)) {
        const which =
          failed > 0
            ? `${failed} of ${plural(passed + failed, "test")} in ${files} ${failed === 1 ? "fails" : "fail"} on ${at}`
            : `${files} cannot run on ${at}`;
        return { status: "pass", reason: `${which}: they tell the change apart`, findings: [], details };
      }
      if (reading.counts.passed === 0)
        return inconclusive(`${files} ran no test on the base code${reading.problem ? ` (${reading.problem})` : ""}`, details);
      const all = passed === 1 ? `the 1 test in ${files} passes` : `all ${passed} tests in ${files} pass`;
      return indistinct(all, tests, subject.base, expectsNewBehaviour === true, details);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(reportDir, { recursive: true, force: true });
    }
  },
};

function indistinct(what: string, tests: ChangedFile[], base: string, high: boolean, details: Record<string, unknown>): GateOutcome {
  const message = `${what} on the code before this change too (${base.slice(0, 12)}): they do not tell the new code from the old (${tests.map((f) => f.path).join(", ")})`;
  return {
    status: "fail",
    reason: message,
    findings: [
      {
        severity: high ? "high" : "medium",
        rule: "tests-do-not-distinguish",
        message,
        ...(tests[0] ? { file: tests[0].path } : {}),
        fingerprint: fingerprint("tests-do-not-distinguish", undefined, tests.map((f) => f.path).join("\n")),
      },
    ],
    details,
  };
}

/** The base's tree in `dir` with the head's versions of `tests` on top; null, or why it could not be built. */
async function baseWithHeadTests(subject: Subject, tests: ChangedFile[], dir: string): Promise<string | null> {
  const tar = join(dir, ".loki-base.tar");
  const archived = await git(["archive", "--format=tar", `--output=${tar}`, subject.base], { cwd: subject.root, timeoutMs: 120_000 });
  if (archived.exitCode !== 0) return `git archive of the base failed: ${archived.stderr.trim()}`;
  const unpacked = await run(["tar", "-xf", tar, "-C", dir], { timeoutMs: 120_000 });
  rmSync(tar, { force: true });
  if (unpacked.exitCode !== 0) return `could not unpack the base: ${unpacked.stderr.trim()}`;
  for (const file of tests) {
    const target = join(dir, file.path);
    mkdirSync(dirname(target), { recursive: true });
    if (subject.includesWorktree) copyFileSync(join(subject.root, file.path), target);
    else {
      const blob = await git(["cat-file", "blob", `${subject.head}:${file.path}`], { cwd: subject.root, timeoutMs: 30_000 });
      if (blob.exitCode !== 0) return `could not read ${file.path} at the head`;
      writeFileSync(target, blob.stdout);
    }
  }
  // Installed dependencies are not in git: the base copy uses the checkout's (read as they are).
  const modules = join(subject.root, "node_modules");
  if (existsSync(modules) && !existsSync(join(dir, "node_modules"))) symlinkSync(modules, join(dir, "node_modules"));
  return null;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function inconclusive(reason: string, details?: Record<string, unknown>): GateOutcome {
  return { status: "inconclusive", reason, findings: [], ...(details ? { details } : {}) };
}
