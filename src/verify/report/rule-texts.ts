// What each gate and each fixed rule id a gate emits means, in words a reader of a report needs:
// what was checked, what the finding is, how to fix it, and which section of docs/verify.md says
// more. Data only; sarif-rules.ts turns it into SARIF rule metadata.

/** Headings of docs/verify.md, as GitHub slugs them (a test checks each one exists). */
export const VERIFY_ANCHORS = [
  "the-gates",
  "what-counts-as-evidence-that-tests-ran",
  "secrets-binary-files-and-suppressions",
  "weaker-assertions",
  "new-tests-must-reach-the-change",
  "baselines",
] as const;
export type VerifyAnchor = (typeof VERIFY_ANCHORS)[number];

export type GateText = { problem: string; checks: string; fix: string; anchor: VerifyAnchor };
export type RuleText = { name: string; short: string; full: string; fix?: string; anchor?: VerifyAnchor };

export const GATE_TEXTS: Readonly<Record<string, GateText>> = {
  diff: {
    problem: "Empty change",
    checks: "The diff against the base must not be empty: an empty change has nothing to verify.",
    fix: "Commit the change on this branch, or name the right base (`loki verify <base>`).",
    anchor: "the-gates",
  },
  build: {
    problem: "Build failure",
    checks: "The build command frozen at the base must exit 0.",
    fix: "Run the build locally and fix the errors it prints.",
    anchor: "the-gates",
  },
  tests: {
    problem: "Test failure",
    checks: "The test command frozen at the base must pass, counted from the test runner's own machine-readable report.",
    fix: "Run the tests locally and fix the code under test; never skip or delete a failing test.",
    anchor: "what-counts-as-evidence-that-tests-ran",
  },
  differential: {
    problem: "Tests do not tell the change apart",
    checks: "The new and changed tests must include one that passes on the change and fails on the base code.",
    fix: "Add a test that fails without this change and passes with it.",
    anchor: "the-gates",
  },
  mutation: {
    problem: "Changed line not checked by tests",
    checks: "Mutants of the changed lines must be killed by the tests: a surviving mutant is a change no test notices.",
    fix: "Add an assertion that fails when the changed line is altered.",
    anchor: "the-gates",
  },
  static: {
    problem: "Static check finding",
    checks: "The project's linters, or loki's built-in syntax check of changed JS/TS/JSON/YAML files, must report nothing in the change.",
    fix: "Fix the reported problem at the line shown; run the linter locally to see all of them.",
    anchor: "the-gates",
  },
  secrets: {
    problem: "Possible secret in the change",
    checks: "Added lines (and new printable runs in binary files) must not contain credentials: cloud keys, tokens, private keys.",
    fix: "Remove the secret from the change and rotate it: once pushed, it is exposed. Read it from the environment or a secret store instead. A false positive is suppressed by the base's `.lokiignore` or an allow marker the base already has.",
    anchor: "secrets-binary-files-and-suppressions",
  },
  deps: {
    problem: "Vulnerable dependency",
    checks:
      "The dependencies at HEAD must have no known vulnerability at or above the blocking severity (npm/bun audit, pip-audit, cargo-audit, osv-scanner).",
    fix: "Upgrade the affected package to a fixed version and update the lockfile.",
    anchor: "the-gates",
  },
  tamper: {
    problem: "Test tampering",
    checks:
      "The change must not weaken the tests: no deleted or renamed-away test files, added skip/only markers, fewer or weaker assertions, or runner configuration that excludes tests.",
    fix: "Restore the test or its assertions and fix the code instead.",
    anchor: "the-gates",
  },
  test_imports: {
    problem: "New test does not reach the change",
    checks: "Every test file the change adds must load at least one changed source module, directly or through one other module.",
    fix: "Import the changed module in the new test, or test it through a module that does.",
    anchor: "new-tests-must-reach-the-change",
  },
  grader_config: {
    problem: "Grading configuration changed",
    checks:
      "The change must not alter how it is graded: test/build/lint commands and the scripts they run, runner settings, `.lokiignore`, loki.yaml `verify:`.",
    fix: "Move the grading change into its own reviewed change, or accept it explicitly with `loki verify --accept-config-change`.",
    anchor: "the-gates",
  },
  git_integrity: {
    problem: "Git internals redefined",
    checks:
      "During a run, git as loki reads it must stay as it was at run start: `.git/config`, hooks, `info/attributes`, replace refs, the start commit's tree.",
    fix: "Treat the run as untrusted: restore the git internals named and re-run.",
    anchor: "the-gates",
  },
  spec_drift: {
    problem: "Spec drift",
    checks: "The spec must still match its lock (`loki spec lock`).",
    fix: "Review the spec change; if it is intended, lock the spec again with `loki spec lock`.",
    anchor: "the-gates",
  },
  heldout: {
    problem: "Held-out item failed",
    checks: "The run's held-out acceptance items, judged at the ship gate, must pass.",
    fix: "Read the failed item in the run's proof and implement it.",
    anchor: "the-gates",
  },
};

/** For a gate this table does not know (a newer gate): described by its finding alone. */
export const FALLBACK_GATE_TEXT: GateText = {
  problem: "loki finding",
  checks: "A loki gate reported this finding.",
  fix: "Read the message and the gate's documentation.",
  anchor: "the-gates",
};

const rule = (name: string, short: string, full: string, extra: Partial<RuleText> = {}): RuleText => ({ name, short, full, ...extra });

export const RULE_TEXTS: Readonly<Record<string, RuleText>> = {
  "empty-diff": rule("EmptyDiff", "The change is empty", "There is no difference between the base and HEAD to verify."),
  "build-failed": rule("BuildFailed", "The build failed", "The build command exited non-zero."),
  "tests-failed": rule(
    "TestsFailed",
    "Tests failed",
    "A test failed, the test command exited non-zero, or the test process ended before its tests finished.",
  ),
  "tests-do-not-distinguish": rule(
    "TestsDoNotDistinguishChange",
    "The new tests pass on the old code too",
    "Every new or changed test also passes on the base code, so none of them shows that the change does what it claims.",
  ),
  "mutant-survived": rule("MutantSurvived", "A mutant of a changed line survived", "Altering a changed line did not make any test fail."),
  syntax: rule(
    "SyntaxError",
    "A changed file does not parse",
    "loki's built-in syntax check could not parse a changed JS/TS/JSON/YAML file.",
  ),
  "vulnerable-dependency": rule(
    "VulnerableDependency",
    "A dependency has a known vulnerability",
    "The audit tool reports a known vulnerability in a dependency at HEAD.",
  ),
  "text-to-binary": rule(
    "TextFileTurnedBinary",
    "A text file became binary",
    "A file that was text at the base now contains a NUL byte, so no diff shows its lines any more.",
  ),
  "unscanned-binary": rule(
    "UnscannedBinaryFile",
    "A binary file too large to scan for secrets",
    "A binary file over 64 MiB was not scanned for secrets.",
  ),
  "test-deleted": rule("TestFileDeleted", "A test file was deleted", "The change deletes a test file."),
  "test-renamed-away": rule(
    "TestFileRenamedAway",
    "A test file was renamed out of the tests",
    "The change renames a test file to a path that is not a test path, so it no longer runs as a test.",
  ),
  "skip-marker": rule(
    "SkipMarkerAdded",
    "A skip or only marker was added",
    "The change adds a skip or only marker (`it.skip`, `xit`, `@pytest.mark.skip`, `t.Skip`, `#[ignore]`…) to a test.",
  ),
  "conditional-skip": rule(
    "ConditionalSkipAdded",
    "A conditional skip was added",
    "The change adds a skip that runs only under a condition.",
  ),
  "fewer-assertions": rule(
    "FewerAssertions",
    "A changed test has fewer assertions",
    "A changed test file has fewer assertions than at the base.",
  ),
  "assertion-weakened": rule(
    "AssertionWeakened",
    "An assertion was weakened",
    "A changed test loses strong assertions (that pin a value) and gains weak ones (truthiness, type, length).",
    { anchor: "weaker-assertions" },
  ),
  "test-config-exclusion": rule(
    "TestConfigExcludesTests",
    "Runner configuration excludes tests",
    "The change edits the test runner's configuration so that tests are excluded.",
  ),
  "test-not-exercising-change": rule(
    "TestNotExercisingChange",
    "A new test loads no changed module",
    "A test file the change adds reaches none of the changed source modules.",
  ),
  grader_config_changed: rule(
    "GraderConfigChanged",
    "The change alters its own grading",
    "The change edits the configuration that grades it (commands, scripts, runner settings, ignore files, loki.yaml `verify:`).",
  ),
  "shadowed-system-tool": rule(
    "ShadowedSystemTool",
    "A local binary shadows a system tool",
    "An entry in `node_modules/.bin` has the name of a system tool the grading runs.",
  ),
  "git-hook": rule(
    "GitHookChanged",
    "A git hook changed during the run",
    "A file under `.git/hooks/` was added, changed or removed during the run.",
  ),
  "git-config": rule(
    "GitConfigChanged",
    "Git configuration changed during the run",
    "`.git/config` or `config.worktree` changed during the run.",
  ),
  "git-info-attributes": rule(
    "GitInfoAttributesChanged",
    "`.git/info/attributes` changed during the run",
    "`.git/info/attributes` changed during the run, which can hide lines from diffs.",
  ),
  "git-info-exclude": rule(
    "GitInfoExcludeChanged",
    "`.git/info/exclude` changed during the run",
    "`.git/info/exclude` changed during the run, which can hide new files from every diff while the tests still read them.",
  ),
  "git-hidden-change": rule(
    "GitHiddenChange",
    "A change git is told not to see",
    "A file differs from what git records while the index marks it assume-unchanged or skip-worktree: `git add`, `git status` and `git diff` skip it, but commands still run it.",
    { fix: "`git update-index --no-assume-unchanged --no-skip-worktree -- <file>`, then commit or revert the change." },
  ),
  "ignored-runner-config": rule(
    "IgnoredRunnerConfig",
    "Test-runner configuration git ignores",
    "A runner configuration file (`bunfig.toml`, `jest.config.*`, `pytest.ini`…) is ignored by git: no diff shows it, but the tests read it.",
    { fix: "Commit the file, or remove it." },
  ),
  "ignored-test-file": rule(
    "IgnoredTestFile",
    "A test file git ignores",
    "A test file is ignored by git: no diff shows it, but the runner still collects it and it runs with the others (it can patch what they use).",
    { fix: "Commit the file, or remove it." },
  ),
  "git-replace-ref": rule(
    "GitReplaceRefChanged",
    "A git replace ref changed during the run",
    "A `refs/replace/*` ref was added, changed or removed during the run: a replace ref makes git show one object in place of another.",
  ),
  "git-start-tree": rule(
    "GitStartTreeChanged",
    "The run's start commit shows another tree",
    "The run's start commit no longer resolves to the tree recorded at run start.",
  ),
  "spec-item-added": rule("SpecItemAdded", "A spec item was added since the lock", "The spec has an item its lock does not."),
  "spec-item-removed": rule("SpecItemRemoved", "A spec item was removed since the lock", "The lock has an item the spec no longer has."),
  "spec-item-changed": rule(
    "SpecItemChanged",
    "A spec item changed since the lock",
    "A spec item's text or verification differs from its lock.",
  ),
  "spec-changed": rule("SpecChanged", "The spec changed since the lock", "The spec source differs from the locked one."),
  "heldout-failed": rule("HeldOutItemFailed", "A held-out item failed", "A hidden acceptance item was judged failed at the ship gate."),
};
