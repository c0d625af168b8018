// Which paths are tests, and which files' removed lines a parsed diff keeps for the gates that read them:
// tests (tamper weighs removed against added assertions) and runner configuration (the grader names what
// such a file stopped saying). Pure; every other file's removed lines are only counted.
import { isRunnerConfigName } from "./grader-inputs.ts";

/** `src/test/` is covered by `test/`: any directory named test, tests, __tests__ or spec. */
export function isTestPath(path: string): boolean {
  return (
    /(?:^|\/)(?:test|tests|__tests__|spec)\//.test(path) || /\.(?:test|spec)\.[^/.]+$|_test\.(?:go|py)$|(?:^|\/)test_[^/]*\.py$/.test(path)
  );
}

/**
 * Whether the parse keeps a file's removed lines: every file a gate reads them of (tamper's test files,
 * either side of a rename; runner configuration). A gate that needs them of another kind of file is
 * listed here first.
 */
export function keepsRemovedLines(path: string, oldPath: string | undefined): boolean {
  return isTestPath(path) || (oldPath !== undefined && isTestPath(oldPath)) || isRunnerConfigName(path.split("/").pop() ?? "");
}
