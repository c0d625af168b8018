// Gate "tamper": a diff that makes the tests easier to pass instead of the code right blocks
// (DESIGN §5): deleted or renamed-away test files, added skip/only markers, fewer or weaker assertions
// in a changed test, runner config that excludes tests. Reads the subject (and a config file's text) only.
import { basename } from "node:path";
import type { Finding } from "../core/schema.ts";
import { COMMENT_LINE, countAssertions, familyOf, findWeakening } from "./assertions.ts";
import { readSubjectFiles } from "./diff.ts";
import { removedLines } from "./diff-lines.ts";
import { fingerprint, type ChangedFile, type Gate } from "./gate.ts";
import { inString } from "./source-text.ts";
import { isTestPath } from "./test-paths.ts";

const MARKERS: Record<string, RegExp> = {
  js: /\b(?:it|test|describe|context|suite|specify|bench)(?:\.\w+)*\.(?:skip|only|todo|skipIf|runIf)\b|\b(?:xit|xdescribe|xtest|xcontext|xspecify|fit|fdescribe)\s*\(/,
  python: /@pytest\.mark\.(?:skip|skipif|xfail)\b|@unittest\.(?:skip\w*|expectedFailure)\b|\bpytest\.skip\s*\(|\.skipTest\s*\(/,
  go: /\b[tb]\.Skip(?:Now|f)?\s*\(/,
  rust: /#\[ignore\b/,
  java: /@(?:Disabled|Ignore)\b/,
  ruby: /^\s*(?:skip|pending)\b|\bx(?:it|describe|context|specify)\b/,
};
const CONFIG_NAME =
  /^(?:(?:jest|vitest|vite|playwright|karma|cypress|ava|wdio)\.(?:config|workspace)\.[cm]?[jt]s(?:on)?|\.mocharc(?:\.\w+)?|mocha\.opts|bunfig\.toml|pytest\.ini|tox\.ini|setup\.cfg|pyproject\.toml|conftest\.py|package\.json|(?:GNU)?[Mm]akefile|[\w.-]+\.mk)$/;
// Case-sensitive on purpose: `coveragePathIgnorePatterns` holds "Ignore", never a bare `ignore`.
const EXCLUSION =
  /\b(?:testPathIgnorePatterns|testIgnore|exclude|ignore|skip|norecursedirs|collect_ignore(?:_glob)?|deselect)\b|-k["',\s=]*not\b/;
const EXCLUSION_KEY = /^(?:testPathIgnorePatterns|testIgnore|exclude|ignore|norecursedirs|collect_ignore(?:_glob)?|deselect)$/;
const NOT_TESTS = /coverage|nyc|^c8$|istanbul/i;

export const tamperGate: Gate = {
  id: "tamper",
  title: "Test tampering",
  when: () => true,
  run: async ({ subject }) => {
    const tests = subject.files.filter((f) => isTestPath(f.path) || (f.oldPath !== undefined && isTestPath(f.oldPath)));
    const configs = subject.files.filter((f) => f.status !== "deleted" && f.added.length > 0 && CONFIG_NAME.test(basename(f.path)));
    // Keys and sections decide what an `exclude` excludes, so config files are read at the subject.
    const texts = await readSubjectFiles(
      subject,
      configs.map((f) => f.path),
    );
    const findings = [...tests.flatMap(testFindings), ...configs.flatMap((f, i) => configFindings(f, texts[i] ?? null))];
    const details = { test_files: tests.length, config_files: configs.length };
    const first = findings[0];
    if (first === undefined) {
      const reason =
        tests.length === 0 ? "no test files changed" : `${tests.length} test file${tests.length === 1 ? "" : "s"} changed, no tampering`;
      return { status: "pass", reason, findings: [], details };
    }
    const more = findings.length > 1 ? ` (+${findings.length - 1} more)` : "";
    return { status: "fail", reason: `test tampering: ${first.message}${more}`, findings, details };
  },
};

function finding(
  rule: string,
  file: string,
  line: number,
  message: string,
  identity: string,
  severity: Finding["severity"] = "high",
): Finding {
  return { severity, file, line, message, rule, fingerprint: fingerprint(rule, file, identity) };
}

// A condition (platform, privileges, an installed tool) is a reason a test cannot run here, not a
// way to hide a failure: a conditional skip is a concern to read, an unconditional one blocks.
const CONDITIONAL = /\.(?:skipIf|runIf)\b|@pytest\.mark\.skipif\b/;

function testFindings(file: ChangedFile): Finding[] {
  if (file.status === "deleted") return [finding("test-deleted", file.path, 1, `test file deleted: ${file.path}`, file.path)];
  const out: Finding[] = [];
  const addedLines = file.added.lines();
  const dropped = removedLines(file);
  if (file.oldPath !== undefined && isTestPath(file.oldPath) && !isTestPath(file.path)) {
    out.push(
      finding(
        "test-renamed-away",
        file.path,
        addedLines[0]?.line ?? 1,
        `test file ${file.oldPath} renamed to a non-test path: ${file.path}`,
        file.oldPath,
      ),
    );
  }
  const family = familyOf(file.path);
  const marker = MARKERS[family];
  // A line that was already there (moved, re-indented) adds no marker.
  const before = new Set(dropped.map((r) => r.text.trim()));
  for (const { line, text } of marker ? addedLines : []) {
    const hit = marker?.exec(text);
    if (hit && !COMMENT_LINE.test(text) && !inString(text, hit.index) && !before.has(text.trim())) {
      const conditional = CONDITIONAL.test(hit[0]);
      out.push(
        finding(
          conditional ? "conditional-skip" : "skip-marker",
          file.path,
          line,
          `${conditional ? "conditional skip" : "skip/only marker"} added in ${file.path}:${line}: ${hit[0].trim()}`,
          text,
          conditional ? "medium" : "high",
        ),
      );
    }
  }
  const removed = countAssertions(dropped.map((r) => r.text));
  const added = countAssertions(addedLines.map((a) => a.text));
  if (removed > added) {
    out.push(
      finding(
        "fewer-assertions",
        file.path,
        addedLines[0]?.line ?? 1,
        `fewer assertions in ${file.path}: ${removed} removed, ${added} added`,
        "fewer assertions",
      ),
    );
  }
  // Same count, less checked: `toBe(42)` → `typeof … === "number"`. A new file replaces nothing.
  const weaker = file.status === "added" ? null : findWeakening(file, family);
  if (weaker !== null) {
    const { line, text, replaced } = weaker;
    const clip = (t: string) => (t.length > 80 ? `${t.slice(0, 77)}...` : t);
    out.push(
      finding(
        "assertion-weakened",
        file.path,
        line,
        `weaker assertion in ${file.path}:${line}: \`${clip(text)}\` in place of \`${clip(replaced.text)}\` (was line ${replaced.line}; ${weaker.removedStrong} value-checking assertion${weaker.removedStrong === 1 ? "" : "s"} removed, ${weaker.addedStrong} added)`,
        text,
      ),
    );
  }
  return out;
}

type Style = "braces" | "sections" | "lines";

function styleOf(name: string): Style {
  if (/\.(?:toml|ini|cfg)$/.test(name)) return "sections";
  return /\.(?:json|[cm]?[jt]s)$|^\.mocharc$/.test(name) ? "braces" : "lines";
}

/** An unreadable config is judged line by line: stricter, never silent. */
function configFindings(file: ChangedFile, text: string | null): Finding[] {
  const name = basename(file.path);
  const style = text === null ? "lines" : styleOf(name);
  const lines = (text ?? "").split("\n");
  const out: Finding[] = [];
  for (const { line, text: added } of file.added.lines()) {
    if (COMMENT_LINE.test(added)) continue;
    const hit = EXCLUSION.exec(added);
    const fires = style === "lines" ? firesOnLine(name, added, hit) : firesInStructure(name, style, lines, line, added, hit);
    if (fires)
      out.push(
        finding(
          "test-config-exclusion",
          file.path,
          line,
          `test-runner config excludes tests in ${file.path}:${line}: ${added.trim().slice(0, 120)}`,
          added,
        ),
      );
  }
  return out;
}

function firesOnLine(name: string, added: string, hit: RegExpExecArray | null): boolean {
  // Makefiles run anything; only a line that runs a test runner can exclude tests.
  if (/^(?:GNU)?[Mm]akefile$|\.mk$/.test(name) && !/\bgo\s+test\b|pytest|jest|vitest|mocha|bun\s+test/.test(added)) return false;
  const fires = hit !== null || (/\bgo\s+test\b/.test(added) && /\s-run[\s=]/.test(added));
  return fires && !NOT_TESTS.test(added.slice(0, hit?.index ?? 0));
}

const LINE_KEY = /(?:^\s*|[{,]\s*)["']?([A-Za-z_$][\w$.-]*)["']?\s*[:=](?!:)/g;
const OPTION_KEY = /^(?:addopts|commands?|args|opts|test)$/;

/**
 * In JSON/JS/TOML/INI a word matters by the key it sits under: `exclude` under `test` fires,
 * under `coverage` or `optimizeDeps` it does not, and "deselect" in a `markers` string is prose.
 */
function firesInStructure(name: string, style: Style, lines: string[], line: number, added: string, hit: RegExpExecArray | null): boolean {
  const onLine = [...added.slice(0, hit?.index ?? added.length).matchAll(LINE_KEY)].map((m) => m[1] ?? "").reverse();
  const above = enclosingKeys(lines, line, "");
  if (style === "sections" && above.length === 0 && onLine.length === 0) above.push(previousKey(lines, line));
  const keys = [...onLine, ...above]; // innermost first
  const owner = keys[0] ?? "";
  const hitIsKey = hit !== null && EXCLUSION_KEY.test(hit[0]) && /^["']?\s*[:=]/.test(added.slice(hit.index + hit[0].length));
  const optionValue = hit !== null && (owner === "" || OPTION_KEY.test(owner) || keys.slice(1).includes("scripts"));
  if (!(hitIsKey || EXCLUSION_KEY.test(owner) || optionValue) || keys.some((k) => NOT_TESTS.test(k))) return false;
  if (style === "sections") return /pytest|testenv|^tox|(?:^|\.)test$/.test(sectionAt(lines, line));
  const required = /^vite|^vitest/.test(name) ? /^test$/ : name === "package.json" ? /^(?:jest|mocha|ava|vitest|scripts)$/ : null;
  return required === null || keys.some((k) => required.test(k));
}

/** Keys of the objects/arrays enclosing `prefix` on `line` (1-based), innermost first. */
export function enclosingKeys(lines: readonly string[], line: number, prefix: string): string[] {
  const before = `${lines.slice(0, line - 1).join("\n")}\n${prefix}`;
  const keys: string[] = [];
  let depth = 0;
  for (let i = before.length - 1; i >= 0; i--) {
    const c = before[i];
    if (c === "}" || c === "]") depth++;
    else if (c === "{" || c === "[") {
      if (depth > 0) {
        depth--;
        continue;
      }
      const head = before.slice(before.lastIndexOf("\n", i - 1) + 1, i);
      const key = /["']?([\w$.-]+)["']?\s*[:=]\s*(?:[\w.]+\s*\(\s*)?$/.exec(head)?.[1];
      if (key !== undefined) keys.push(key);
    }
  }
  return keys;
}

/** INI continuation lines belong to the last `key =` above them in their section. */
function previousKey(lines: readonly string[], line: number): string {
  for (let i = Math.min(line, lines.length) - 2; i >= 0; i--) {
    const text = lines[i] ?? "";
    if (/^\s*\[/.test(text)) return "";
    const key = /^([A-Za-z_][\w.-]*)\s*[=:]/.exec(text)?.[1];
    if (key !== undefined) return key;
  }
  return "";
}

function sectionAt(lines: readonly string[], line: number): string {
  for (let i = Math.min(line, lines.length) - 1; i >= 0; i--) {
    const header = /^\s*\[+([^\]]+)\]+\s*$/.exec(lines[i] ?? "");
    if (header?.[1] !== undefined) return header[1].trim();
  }
  return "";
}
