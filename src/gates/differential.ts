// Gate "differential": green tests must tell the new code from the old. The diff's new and changed
// test files run, with the frozen test command, on two throwaway copies outside the repository: the
// change's own tree and the base's tree with those test files on top. Only a test that passes on the
// change's copy and fails (or cannot load) on the base's tells the change apart; when none does, a
// finding (high in a run whose spec asks for new behaviour). Results come from the runner's report.
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, extname, join } from "node:path";
import { type ExecResult, run } from "../core/exec.ts";
import { filtersOff, git } from "../core/git.ts";
import { envTimeoutMs, shownCommand } from "./command-run.ts";
import type { Command } from "./detect.ts";
import {
  type ChangedFile,
  fingerprint,
  type Gate,
  type GateContext,
  type GateOutcome,
  type Subject,
  inconclusive,
  projectArgv,
} from "./gate.ts";
import { planTestRun, type ReportReading, readReport, reportMtimes } from "./runners/plan.ts";
import type { TestResult } from "./runners/report.ts";
import { isTestPath } from "./test-paths.ts";
import { tempOutside } from "../core/workspace.ts";

const CODE = new Set(".js .jsx .mjs .cjs .ts .tsx .mts .cts .py .go .rs .rb .java .kt .cs .php .swift .c .cc .cpp .h".split(" "));
/** Where an empty file is a valid module, the base copy holds the change's new modules empty. */
const EMPTY_IS_MODULE = new Set(".js .jsx .mjs .cjs .ts .tsx .mts .cts .py".split(" "));
const DEFAULT_TIMEOUT_MS = 10 * 60_000;
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
/** How many of the tests that tell the change apart the details name. */
const NAMED = 20;

const isCode = (f: ChangedFile) => f.status !== "deleted" && !isTestPath(f.path) && CODE.has(extname(f.path));
const isNewTest = (f: ChangedFile) => f.status !== "deleted" && isTestPath(f.path) && (f.status !== "modified" || f.added.length > 0);

type Side = { result: ExecResult; reading: ReportReading; results: TestResult[] };
type Copy = (dir: string) => Promise<string | null>;

export const differentialGate: Gate = {
  id: "differential",
  title: "New tests fail on the old code",
  when: ({ subject, project }) => {
    if (project.test === null) return "no test command";
    if (!subject.files.some(isCode)) return "no source code changed";
    if (!subject.files.some(isNewTest)) return "no test file added or changed";
    return true;
  },
  run: async ({ subject, project, signal, expectsNewBehaviour, confine }) => {
    const command = project.test;
    if (command === null) return { status: "skipped", reason: "no test command", findings: [] };
    const tests = subject.files.filter(isNewTest);
    const paths = tests.map((f) => f.path);
    const scratch: string[] = [];
    try {
      const [base, head] = await Promise.all([
        runOn(command, paths, scratch, { signal, confine, root: subject.root }, (dir) => baseWithHeadTests(subject, tests, dir)),
        runOn(command, paths, scratch, { signal, confine, root: subject.root }, (dir) => headTree(subject, dir)),
      ]);
      if (typeof head === "string") return inconclusive(head);
      if (typeof base === "string") return inconclusive(base);
      const details: Record<string, unknown> = {
        command: shownCommand(command),
        base: subject.base,
        head: subject.includesWorktree ? "working tree" : subject.head,
        tests: paths,
        onHead: { ...head.reading.counts, ...(head.reading.problem ? { problem: head.reading.problem } : {}) },
        onBase: { ...base.reading.counts, ...(base.reading.problem ? { problem: base.reading.problem } : {}) },
      };
      if (signal?.aborted) return inconclusive("cancelled while the tests ran", details);
      for (const [side, where] of [
        [head, "a copy of the change"],
        [base, "the base code"],
      ] as const) {
        const broke =
          side.result.spawnError ?? (side.result.timedOut ? "timed out" : side.result.exitCode === 127 ? "runner not found" : null);
        if (broke !== null) return inconclusive(`the tests could not run on ${where}: ${broke}`, details);
      }
      const files = `${tests.length} new or changed test file${tests.length === 1 ? "" : "s"}`;
      const { passed, failed } = head.reading.counts;
      // The tests gate grades the real run; a copy where nothing passes says nothing about the change.
      if (passed === 0) {
        const why = failed > 0 ? `${plural(failed, "test")} ${verb(failed, "fails", "fail")} there` : (head.reading.problem ?? "none ran");
        return inconclusive(`no test in ${files} passes on a copy of the change (${why})`, details);
      }
      // A base run that reported nothing and failed: the test files cannot even load on the old code.
      const baseBroke = base.result.exitCode !== 0 && base.results.length === 0;
      if (base.results.length === 0 && !baseBroke)
        return inconclusive(`${files} ran no test on the base code${base.reading.problem ? ` (${base.reading.problem})` : ""}`, details);
      const told = distinguishing(head.results, base.results, baseBroke);
      details.distinguishing = told.slice(0, NAMED).map((t) => (t.file ? `${t.file}: ${t.name}` : t.name));
      if (told.length > 0) {
        const unloaded = told.filter((t) => !base.results.some((r) => key(r) === key(t))).length;
        const note = unloaded > 0 ? ` (${unloaded} cannot even load there)` : "";
        const at = `the base code (${subject.base.slice(0, 12)})${note}`;
        const reason = `${told.length} of ${plural(passed, "test")} in ${files} ${verb(told.length, "fails", "fail")} on ${at}: they tell the change apart`;
        return { status: "pass", reason, findings: [], details };
      }
      const all = passed === 1 ? `the 1 test in ${files}` : `all ${passed} tests in ${files}`;
      const what =
        failed === 0
          ? `${all} ${verb(passed, "passes", "pass")}`
          : `${all} that ${verb(passed, "passes", "pass")} on a copy of the change (${failed} more ${verb(failed, "fails", "fail")} there) ${verb(passed, "passes", "pass")}`;
      return indistinct(what, tests, subject.base, expectsNewBehaviour === true, details);
    } finally {
      for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
    }
  },
};

/** Builds a copy with `copy`, runs the selected test files in it; its results with the copy's path taken out, or why not. */
async function runOn(
  command: Command,
  files: string[],
  scratch: string[],
  { signal, confine, root }: Pick<GateContext, "signal" | "confine"> & { root: string },
  copy: Copy,
): Promise<Side | string> {
  // Both copies look alike from inside (random names, same layout): a test cannot tell which one it is in.
  // Outside the repository: its .loki/ is hidden from the project's commands (a TMPDIR may lie there).
  const dir = mkdtempSync(join(tempOutside(root), "loki-differential-"));
  const reportDir = mkdtempSync(join(tempOutside(root), "t"));
  scratch.push(dir, reportDir);
  const built = await copy(dir);
  if (built !== null) return built;
  const plan = planTestRun(command, { root: dir, reportDir, files });
  if (plan.reports.length === 0) return `loki cannot run single test files with \`${shownCommand(command)}\` (no runner it knows)`;
  const timeoutMs = envTimeoutMs("LOKI_TEST_TIMEOUT_MS", DEFAULT_TIMEOUT_MS);
  const before = reportMtimes(plan);
  const result = await run(await projectArgv({ confine }, plan.argv, dir), {
    cwd: dir,
    timeoutMs,
    env: plan.env,
    signal,
    maxOutputBytes: MAX_OUTPUT_BYTES,
  });
  const reading = readReport(plan, { root: dir, before });
  const roots = [...new Set([dir, realpathSync(dir)])].map((r) => `${r}/`);
  const strip = (text: string) => roots.reduce((t, r) => t.split(r).join(""), text);
  const results = reading.results.map((r) => ({ ...r, name: strip(r.name), ...(r.file ? { file: strip(r.file) } : {}) }));
  return { result, reading, results };
}

const key = (r: TestResult) => `${r.file ?? ""}\0${r.name}`;

/**
 * The tests that pass on the change's copy and fail on the base's, or are missing there because their
 * file failed to load: a failure the change's copy does not have (a file-level failure), or no report at all.
 */
function distinguishing(head: TestResult[], base: TestResult[], baseBroke: boolean): TestResult[] {
  const onBase = new Map(base.map((r) => [key(r), r.status]));
  const onHead = new Set(head.map(key));
  const unloaded = base.filter((r) => r.status === "failed" && !onHead.has(key(r)));
  return head.filter((t) => {
    if (t.status !== "passed") return false;
    const there = onBase.get(key(t));
    if (there !== undefined) return there === "failed";
    return baseBroke || unloaded.some((u) => u.file === undefined || t.file === undefined || u.file === t.file);
  });
}

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

/** The base's tree in `dir`, the change's new modules empty, the head's versions of `tests` on top; null, or why not. */
async function baseWithHeadTests(subject: Subject, tests: ChangedFile[], dir: string): Promise<string | null> {
  const unpacked = await unpack(subject, subject.base, dir);
  if (unpacked !== null) return unpacked;
  // A test that loads only because a file now exists (an empty new module) does not test the change.
  for (const file of subject.files) {
    if (file.status !== "added" || !isCode(file) || !EMPTY_IS_MODULE.has(extname(file.path))) continue;
    mkdirSync(dirname(join(dir, file.path)), { recursive: true });
    writeFileSync(join(dir, file.path), "");
  }
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
  return linkModules(subject, dir);
}

/** The change's tree in `dir`: the head commit, or the working tree's tracked and unignored files. */
async function headTree(subject: Subject, dir: string): Promise<string | null> {
  if (!subject.includesWorktree) {
    const unpacked = await unpack(subject, subject.head, dir);
    return unpacked ?? linkModules(subject, dir);
  }
  const listed = await git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: subject.root, timeoutMs: 120_000 });
  if (listed.exitCode !== 0) return `git ls-files failed: ${listed.stderr.trim()}`;
  for (const path of new Set(listed.stdout.split("\0").filter((p) => p !== ""))) {
    const source = join(subject.root, path);
    const stat = lstatSync(source, { throwIfNoEntry: false });
    if (stat === undefined || !(stat.isFile() || stat.isSymbolicLink())) continue; // deleted, or a submodule
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    if (stat.isSymbolicLink()) symlinkSync(readlinkSync(source), join(dir, path));
    else copyFileSync(source, join(dir, path));
  }
  return linkModules(subject, dir);
}

async function unpack(subject: Subject, rev: string, dir: string): Promise<string | null> {
  const tar = join(dir, ".loki-copy.tar");
  // archive runs smudge filters: none of the repository's own (core/git.ts filtersOff).
  const off = await filtersOff(subject.root);
  const archived = await git([...off, "archive", "--format=tar", `--output=${tar}`, rev], { cwd: subject.root, timeoutMs: 120_000 });
  if (archived.exitCode !== 0) return `git archive of ${rev.slice(0, 12)} failed: ${archived.stderr.trim()}`;
  const unpacked = await run(["tar", "-xf", tar, "-C", dir], { timeoutMs: 120_000 });
  rmSync(tar, { force: true });
  return unpacked.exitCode === 0 ? null : `could not unpack ${rev.slice(0, 12)}: ${unpacked.stderr.trim()}`;
}

/** Installed dependencies are not in git: each copy uses the checkout's (read as they are). */
function linkModules(subject: Subject, dir: string): null {
  const modules = join(subject.root, "node_modules");
  if (existsSync(modules) && !existsSync(join(dir, "node_modules"))) symlinkSync(modules, join(dir, "node_modules"));
  return null;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function verb(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}
