// Gate "test_imports": new tests must exercise the change (DESIGN §5). Every test file the diff adds
// must import, or run by path, at least one changed source module — itself or through one other
// module of the repository. Static, per language (imports.ts); a miss is a medium finding (CONCERNS).
import type { Finding } from "../core/schema.ts";
import { familyOf } from "./assertions.ts";
import { listSubjectFiles, readSubjectFiles } from "./diff.ts";
import { fingerprint, type Gate, type Subject } from "./gate.ts";
import { isTestFile, readPackage, referencesOf, type Reference, type RepoIndex } from "./imports.ts";
import { isTestPath } from "./test-paths.ts";

const SOURCE =
  /\.(?:[cm]?[jt]sx?|vue|svelte|py|go|rs|rb|java|kts?|scala|groovy|php|cs|swift|c|cc|cpp|h|hpp|m|sh|bash|zsh|ex|exs|lua|pl|r|R|jl|dart)$/;
/** The languages whose imports this gate reads; a new test in another is counted, not judged. */
const READ = new Set(["js", "python", "go"]);
/** Helper modules read per test for the one hop (test → helper → changed module). */
const MAX_HOPS = 25;
const RULE = "test-not-exercising-change";

const changedModules = (subject: Subject) =>
  subject.files.filter((f) => f.status !== "deleted" && !f.binary && SOURCE.test(f.path) && !isTestPath(f.path)).map((f) => f.path);
const newTestFiles = (subject: Subject) =>
  subject.files.filter((f) => f.status === "added" && !f.binary && SOURCE.test(f.path) && isTestPath(f.path)).map((f) => f.path);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const listed = (paths: readonly string[], max = 5) =>
  paths.length > max ? `${paths.slice(0, max).join(", ")} (+${paths.length - max} more)` : paths.join(", ");

export const testImportsGate: Gate = {
  id: "test_imports",
  title: "New tests exercise the changed code",
  when: ({ subject }) => {
    if (changedModules(subject).length === 0) return "no source file changed (tests only, or no code)";
    const added = newTestFiles(subject);
    if (added.length === 0) return "no test file added";
    if (!added.some((path) => READ.has(familyOf(path))))
      return `${plural(added.length, "new test file")} in languages this gate does not read (it reads JS/TS, Python, Go)`;
    return true;
  },
  run: async ({ subject }) => {
    const changed = changedModules(subject);
    const candidates = newTestFiles(subject).filter((path) => READ.has(familyOf(path)));
    const unread = newTestFiles(subject).filter((path) => !READ.has(familyOf(path)));
    const repo = await indexRepo(subject);
    if (typeof repo === "string") return { status: "inconclusive", reason: repo, findings: [] };
    const texts = await readSubjectFiles(subject, candidates);
    const missing = candidates.filter((_, i) => texts[i] === null);
    if (missing.length > 0) return { status: "inconclusive", reason: `cannot read the new test file ${missing[0]}`, findings: [] };
    const tests = candidates.flatMap((path, i) => {
      const text = texts[i] ?? "";
      return isTestFile(path, text, familyOf(path)) ? [{ path, text }] : [];
    });
    if (tests.length === 0)
      return {
        status: "skipped",
        reason: `no test file added (${plural(candidates.length, "new file")} under test paths declare no tests)`,
        findings: [],
      };
    const reach = await reachOf(subject, tests, new Set(changed), repo);
    const misses = tests.filter((t) => reach.get(t.path) === undefined).map((t) => t.path);
    const details = {
      changed_modules: changed.length,
      new_tests: tests.length,
      reached: Object.fromEntries(reach),
      not_read: unread,
    };
    const notRead = unread.length > 0 ? `; ${plural(unread.length, "test file")} in other languages not read` : "";
    if (misses.length === 0) {
      return {
        status: "pass",
        reason: `${plural(tests.length, "new test file")} import or run the changed code${notRead}`,
        findings: [],
        details,
      };
    }
    const findings: Finding[] = misses.map((path) => ({
      severity: "medium",
      file: path,
      line: 1,
      rule: RULE,
      message: `new test ${path} neither imports nor runs any changed module (changed: ${listed(changed)})`,
      fingerprint: fingerprint(RULE, path, "reaches no changed module"),
    }));
    const reason = `${misses.length} of ${plural(tests.length, "new test file")} reach no changed module: ${listed(misses, 3)} (changed: ${listed(changed, 3)})`;
    return { status: "fail", reason, findings, details };
  },
};

/** For each test that reaches the change: how ("src/a.ts", or "src/a.ts via tests/helper.ts"). */
async function reachOf(
  subject: Subject,
  tests: readonly { path: string; text: string }[],
  changed: ReadonlySet<string>,
  repo: RepoIndex,
): Promise<Map<string, string>> {
  const changesJs = [...changed].some((c) => familyOf(c) === "js");
  const hit = (refs: readonly Reference[]) => {
    const ref = refs.find((r) => changed.has(r.path) || (r.how === "package" && changesJs));
    return ref === undefined ? undefined : ref.how === "package" ? "the package itself" : ref.path;
  };
  const reach = new Map<string, string>();
  const helpersOf = new Map<string, string[]>();
  for (const test of tests) {
    const refs = referencesOf(test.path, test.text, familyOf(test.path), repo);
    const direct = hit(refs);
    if (direct !== undefined) reach.set(test.path, direct);
    else helpersOf.set(test.path, [...new Set(refs.filter((r) => r.how === "import").map((r) => r.path))].slice(0, MAX_HOPS));
  }
  // One hop, read in one batch: a helper module the test imports that imports the change.
  const helpers = [...new Set([...helpersOf.values()].flat())];
  const texts = await readSubjectFiles(subject, helpers);
  const via = new Map(helpers.map((path, i) => [path, hit(referencesOf(path, texts[i] ?? "", familyOf(path), repo))]));
  for (const [test, list] of helpersOf) {
    const helper = list.find((h) => via.get(h) !== undefined);
    if (helper !== undefined) reach.set(test, `${via.get(helper)} via ${helper}`);
  }
  return reach;
}

/** The tree's file list (one git spawn) and its package.json/go.mod facts; a string says why not. */
async function indexRepo(subject: Subject): Promise<RepoIndex | string> {
  const files = await listSubjectFiles(subject);
  if (typeof files === "string") return files;
  const [pkg, mod] = await readSubjectFiles(subject, ["package.json", "go.mod"]);
  const goModule = /^module\s+(\S+)/m.exec(mod ?? "")?.[1] ?? null;
  return { files: new Set(files), pkg: readPackage(pkg ?? null), goModule };
}
