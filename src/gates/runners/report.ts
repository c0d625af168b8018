// Reading a runner's report: JUnit XML (via fast-xml-parser), jest's --json, go test -json and
// libtest's json events, each into per-test results. Pure: text in, results out. A report that is
// empty, cut off or not of its format is `complete: false` — never a count of zero.
import type { ReportFormat } from "./table.ts";

export type TestStatus = "passed" | "failed" | "skipped";
export type TestResult = { file?: string; name: string; status: TestStatus };
/** `groups`: files (node) or packages (go) the report shows with no test in them, for the declared check. */
export type ParsedReport = { complete: boolean; problem?: string; results: TestResult[]; emptyGroups: string[] };

const broken = (problem: string): ParsedReport => ({ complete: false, problem, results: [], emptyGroups: [] });

export function parseReport(format: ReportFormat, text: string): ParsedReport {
  if (text.trim() === "") return broken("the report is empty");
  if (format === "junit") return parseJunit(text);
  if (format === "jest-json") return parseJest(text);
  if (format === "go-json") return parseGo(text);
  return parseCargo(text);
}

type Node = Record<string, unknown>;
const asNodes = (v: unknown): Node[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is Node => typeof x === "object" && x !== null);
const str = (v: unknown): string | undefined => (typeof v === "string" || typeof v === "number" ? String(v) : undefined);

function parseJunit(text: string): ParsedReport {
  // Loaded when a JUnit report is read, not with every verify.
  const { XMLParser, XMLValidator } = require("fast-xml-parser") as typeof import("fast-xml-parser");
  if (XMLValidator.validate(text) !== true) return broken("the JUnit report is not well-formed XML (cut off?)");
  const doc: unknown = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "@",
    isArray: (name) => name === "testsuite" || name === "testcase",
  }).parse(text);
  const root = typeof doc === "object" && doc !== null ? (doc as Node) : {};
  if (root.testsuites === undefined && root.testsuite === undefined) return broken("the report has no <testsuites> or <testsuite>");
  const results: TestResult[] = [];
  const walk = (node: Node, file: string | undefined) => {
    for (const suite of asNodes(node.testsuite)) walk(suite, str(suite["@file"]) ?? file);
    for (const c of asNodes(node.testcase)) {
      const status: TestStatus =
        c.failure !== undefined || c.error !== undefined ? "failed" : c.skipped !== undefined ? "skipped" : "passed";
      const caseFile = str(c["@file"]) ?? file;
      results.push({ name: str(c["@name"]) ?? "(unnamed)", status, ...(caseFile ? { file: caseFile } : {}) });
    }
  };
  for (const top of asNodes(root.testsuites)) walk(top, undefined);
  walk(root, undefined);
  return { complete: true, results, emptyGroups: [] };
}

function parseJest(text: string): ParsedReport {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return broken("jest's JSON report does not parse (cut off?)");
  }
  const suites = asNodes((doc as Node | null)?.testResults);
  if (!Array.isArray((doc as Node | null)?.testResults)) return broken("jest's JSON report has no testResults");
  const results: TestResult[] = [];
  for (const suite of suites) {
    const file = str(suite.name);
    const cases = asNodes(suite.assertionResults);
    for (const c of cases) {
      const s = str(c.status);
      const status: TestStatus = s === "passed" ? "passed" : s === "failed" ? "failed" : "skipped";
      results.push({ name: str(c.fullName) ?? str(c.title) ?? "(unnamed)", status, ...(file ? { file } : {}) });
    }
    // A file that failed to load (syntax error, a throw at import) has no assertions, only a status.
    if (str(suite.status) === "failed" && !cases.some((c) => c.status === "failed"))
      results.push({ name: `${file ?? "a test file"} failed to run`, status: "failed", ...(file ? { file } : {}) });
  }
  return { complete: true, results, emptyGroups: [] };
}

function jsonLines(text: string): Node[] {
  return text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .flatMap((l) => {
      try {
        const v: unknown = JSON.parse(l);
        return typeof v === "object" && v !== null ? [v as Node] : [];
      } catch {
        return [];
      }
    });
}

function parseGo(text: string): ParsedReport {
  const events = jsonLines(text);
  if (events.length === 0) return broken("go test printed no JSON events");
  const results: TestResult[] = [];
  const packages = new Map<string, { done?: string; tests: number; noFiles: boolean }>();
  for (const e of events) {
    const pkg = str(e.Package) ?? "";
    const entry = packages.get(pkg) ?? { tests: 0, noFiles: false };
    packages.set(pkg, entry);
    const action = str(e.Action);
    const test = str(e.Test);
    if (action === "output" && test === undefined && /\[no test files\]/.test(str(e.Output) ?? "")) entry.noFiles = true;
    if (action !== "pass" && action !== "fail" && action !== "skip") continue;
    const status: TestStatus = action === "pass" ? "passed" : action === "fail" ? "failed" : "skipped";
    if (test !== undefined) {
      entry.tests++;
      results.push({ file: pkg, name: test, status });
    } else entry.done = action;
  }
  const unfinished = [...packages].filter(([, p]) => p.done === undefined).map(([name]) => name);
  if (unfinished.length > 0) return broken(`go test stopped before package ${unfinished[0]} finished`);
  const emptyGroups: string[] = [];
  for (const [name, p] of packages) {
    // A package that failed with no failing test did not build or crashed outside a test.
    if (p.done === "fail" && !results.some((r) => r.file === name && r.status === "failed"))
      results.push({ file: name, name: `package ${name} failed`, status: "failed" });
    if (p.tests === 0 && !p.noFiles) emptyGroups.push(name);
  }
  return { complete: true, results, emptyGroups };
}

function parseCargo(text: string): ParsedReport {
  const events = jsonLines(text);
  let open = 0;
  let suites = 0;
  const results: TestResult[] = [];
  for (const e of events) {
    const event = str(e.event);
    if (e.type === "suite") {
      if (event === "started") {
        open++;
        suites++;
      } else if (event === "ok" || event === "failed") open--;
    } else if (e.type === "test" && (event === "ok" || event === "failed" || event === "ignored")) {
      const status: TestStatus = event === "ok" ? "passed" : event === "failed" ? "failed" : "skipped";
      results.push({ name: str(e.name) ?? "(unnamed)", status });
    }
  }
  if (suites === 0) return broken("cargo test printed no libtest JSON events");
  if (open !== 0) return broken("a test binary stopped before its suite finished");
  return { complete: true, results, emptyGroups: [] };
}
