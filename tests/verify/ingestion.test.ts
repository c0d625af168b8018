// What CI systems ingest, checked by their own rules on a real `loki verify`: the SARIF passes
// GitHub's ingestion rules (Microsoft's SARIF Multitool) with no error and no warning, and the
// JUnit validates against Jenkins' JUnit schema (xmllint) — each validator also shown to refuse.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Evidence } from "../../src/core/evidence-schema.ts";
import { VERIFY_ANCHORS } from "../../src/verify/report/rule-texts.ts";
import { loki } from "../helpers/cli.ts";
import { headingAnchors, JENKINS_JUNIT_XSD, multitoolIssues, xmllint } from "../helpers/ingest.ts";
import { FAKE_AWS_KEY, NODE_BREAK, NODE_PROJECT, verifyRepo, type VerifyRepo } from "../helpers/verify-repo.ts";

// A real verify (real test suites) and the Multitool, a self-contained .NET binary that starts slowly.
setDefaultTimeout(120_000);

const OTHER_TEST = (marker: string) =>
  `const test = require("node:test");\nconst assert = require("node:assert");\ntest${marker}("other", () => assert.equal(1 + 1, 2));\n`;
/** A build tool that is not installed (inconclusive), and a second test file for the change to skip. */
const BASE = { ...NODE_PROJECT, "loki.yaml": "verify:\n  build: loki-no-such-build-tool\n", "test/other.test.js": OTHER_TEST("") };
/** Red tests, a skip marker, a new test that reaches nothing changed (a whole-file finding), a leaked
 *  key and a file that does not parse: findings of several gates. */
const CHANGE = {
  ...NODE_BREAK,
  "test/other.test.js": OTHER_TEST(".skip"),
  "test/extra.test.js": OTHER_TEST(""),
  "src/config.js": `module.exports = {\n  awsKey: "${FAKE_AWS_KEY}",\n};\n`,
  "src/settings.json": '{ "retries": 3,, }\n',
};

type Rule = {
  id: string;
  name: string;
  fullDescription?: { text: string };
  help?: { text: string; markdown: string };
  helpUri?: string;
};
type SarifLog = {
  runs: {
    tool: { driver: { name: string; informationUri?: string; rules: Rule[] } };
    results: { ruleId: string }[];
    invocations: { toolExecutionNotifications?: unknown[] }[];
  }[];
};

let repo: VerifyRepo;
let evidence: Evidence;
const sarifPath = () => join(repo.path, "out", "loki.sarif");
const junitPath = () => join(repo.path, "out", "junit.xml");

beforeAll(async () => {
  repo = await verifyRepo(BASE, CHANGE);
  const result = await loki(["verify", "--json", "--sarif", "out/loki.sarif", "--junit", "out/junit.xml"], { cwd: repo.path });
  expect(result.code).toBe(2);
  evidence = Evidence.parse(result.json());
});
afterAll(async () => {
  await repo[Symbol.asyncDispose]();
});

describe("SARIF for GitHub code scanning", () => {
  test("the run has findings of several gates, located and not", () => {
    const failed = evidence.gates.filter((g) => g.status === "fail").map((g) => g.id);
    expect(failed).toEqual(expect.arrayContaining(["tests", "differential", "static", "secrets", "tamper", "test_imports"]));
    const log = JSON.parse(readFileSync(sarifPath(), "utf8")) as SarifLog;
    const located = log.runs.filter((r) => r.results.length > 0).map((r) => r.tool.driver.name);
    expect(located).toEqual(
      expect.arrayContaining(["loki-differential", "loki-static", "loki-secrets", "loki-tamper", "loki-test_imports"]),
    );
    const tests = log.runs.find((r) => r.tool.driver.name === "loki-tests");
    expect(tests?.invocations[0]?.toolExecutionNotifications?.length).toBeGreaterThan(0);
  });

  test("passes the Multitool's GitHub and SARIF rules with no error and no warning; a bare log does not", async () => {
    // The control: the same log without what GitHub requires of a rule and a tool.
    const bare = JSON.parse(readFileSync(sarifPath(), "utf8")) as SarifLog;
    for (const run of bare.runs) {
      delete run.tool.driver.informationUri;
      run.tool.driver.rules = run.tool.driver.rules.map(({ id }) => ({ id, name: id }));
    }
    const barePath = join(repo.root, "bare.sarif");
    writeFileSync(barePath, JSON.stringify(bare, null, 2));
    const issues = await multitoolIssues([sarifPath(), barePath], "Ghas;Sarif");
    const of = (path: string) => issues.filter((i) => resolve(i.file) === resolve(path));
    expect(of(sarifPath())).toEqual([]);
    const caught = new Set(of(barePath).map((i) => i.rule));
    // GH2012: a rule without fullDescription or help; SARIF1001: name equal to id; SARIF2005: no informationUri.
    expect([...caught].sort()).toEqual(["GH2012", "SARIF1001", "SARIF2005"]);
    expect(issues.length).toBe(of(barePath).length);
  });

  test("every rule has a human name, a full description, help, and a link to a section of docs/verify.md", () => {
    const log = JSON.parse(readFileSync(sarifPath(), "utf8")) as SarifLog;
    const anchors = headingAnchors(readFileSync(resolve(import.meta.dir, "..", "..", "docs", "verify.md"), "utf8"));
    for (const anchor of VERIFY_ANCHORS) expect(anchors).toContain(anchor);
    const rules = log.runs.flatMap((r) => r.tool.driver.rules);
    expect(rules.length).toBeGreaterThanOrEqual(6);
    for (const rule of rules) {
      expect(rule.name).toMatch(/^[A-Z][A-Za-z0-9]+$/);
      expect(rule.name).not.toBe(rule.id);
      expect(rule.fullDescription?.text.length).toBeGreaterThan(20);
      expect(rule.help?.markdown).toContain("**How to fix:**");
      const uri = new URL(rule.helpUri ?? "");
      expect(uri.pathname).toBe(`/loki-cli@${evidence.tool.version}/docs/verify.md`);
      expect(anchors).toContain(uri.hash.slice(1));
    }
    expect(rules.find((r) => r.id === "skip-marker")?.name).toBe("SkipMarkerAdded");
    // Secret rule ids are an open set: named by their gate and id.
    const secret = log.runs.find((r) => r.tool.driver.name === "loki-secrets")?.tool.driver.rules[0];
    expect(secret?.name).toMatch(/^Secrets[A-Z]/);
  });
});

describe("JUnit for Jenkins", () => {
  test("has passing, failing, inconclusive and skipped gates, and validates against Jenkins' schema", async () => {
    const statuses = new Set(evidence.gates.map((g) => g.status));
    expect([...statuses].sort()).toEqual(["fail", "inconclusive", "pass", "skipped"]);
    const result = await xmllint(JENKINS_JUNIT_XSD, junitPath());
    expect(result).toEqual({ code: 0, output: `${junitPath()} validates\n` });
  });

  test("the schema refuses what loki wrote before: `skipped` on <testsuites>", async () => {
    const old = readFileSync(junitPath(), "utf8").replace('<testsuites name="loki" ', '<testsuites name="loki" skipped="9" ');
    const path = join(repo.root, "old-junit.xml");
    writeFileSync(path, old);
    const result = await xmllint(JENKINS_JUNIT_XSD, path);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain("Element 'testsuites', attribute 'skipped': The attribute 'skipped' is not allowed.");
  });
});
