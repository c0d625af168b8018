// The pure report writers on a synthetic evidence record: SARIF valid against the official 2.1.0
// schema, JUnit well-formed with one testcase per gate, GitHub commands escaped, report.md complete.
import { describe, expect, test } from "bun:test";
import { annotations, escapeData, escapeProperty, stepSummary } from "../../src/verify/report/github.ts";
import { toJunit, xmlEscape } from "../../src/verify/report/junit.ts";
import { renderReport } from "../../src/verify/report/markdown.ts";
import { pathToUri, toSarif } from "../../src/verify/report/sarif.ts";
import { describeRule, PROJECT_URL } from "../../src/verify/report/sarif-rules.ts";
import { descendants, parseXml, sampleEvidence, sarifErrors } from "../helpers/formats.ts";

type Run = {
  tool: { driver: { name: string; rules: { id: string }[] } };
  results: {
    ruleId: string;
    level: string;
    locations: { physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } } }[];
    partialFingerprints: Record<string, string>;
  }[];
  invocations: { executionSuccessful: boolean; toolExecutionNotifications?: { message: { text: string } }[] }[];
};

describe("SARIF", () => {
  const log = toSarif(sampleEvidence()) as { version: string; runs: Run[] };

  test("is valid against the official SARIF 2.1.0 schema", () => {
    expect(sarifErrors(log)).toEqual([]);
  });

  test("the validator is not a rubber stamp", () => {
    expect(sarifErrors({ version: "2.1.0", runs: [{ tool: { driver: {} } }] })).toContain(
      "/runs/0/tool/driver: must have required property 'name'",
    );
    const badUri = {
      version: "2.1.0",
      runs: [
        {
          tool: { driver: { name: "x" } },
          results: [{ message: { text: "m" }, locations: [{ physicalLocation: { artifactLocation: { uri: "a b.ts" } } }] }],
        },
      ],
    };
    expect(sarifErrors(badUri).join("\n")).toContain('must match format "uri-reference"');
  });

  test("one run per gate, named loki-<gate>, with rules from the findings' rule ids", () => {
    expect(log.runs.map((r) => r.tool.driver.name)).toEqual([
      "loki-diff",
      "loki-secrets",
      "loki-static",
      "loki-tests",
      "loki-build",
      "loki-heldout",
    ]);
    expect(log.runs[1]?.tool.driver.rules.map((r) => r.id)).toEqual(["aws-access-key", "private-key"]);
    expect(log.runs[2]?.tool.driver.rules.map((r) => r.id)).toEqual(["unused", "style", "static"]);
  });

  test("levels from severity, repo-relative encoded URIs, start lines and fingerprints", () => {
    const results = log.runs.flatMap((r) => r.results);
    expect(results.map((r) => r.level)).toEqual(["error", "error", "warning", "note", "note"]);
    const first = results[0];
    expect(first?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: "src/config%201.ts", uriBaseId: "%SRCROOT%" },
      region: { startLine: 3 },
    } as never);
    expect(first?.partialFingerprints).toEqual({ "lokiFingerprint/v1": "fp00000000000001" });
    // A finding about a whole file points at its first line: GitHub needs a region on every result.
    expect(results[3]?.locations[0]?.physicalLocation.region).toEqual({ startLine: 1 });
    expect(pathToUri("déjà vu/%odd:name,x.env")).toBe("d%C3%A9j%C3%A0%20vu/%25odd%3Aname%2Cx.env");
  });

  test("findings without a file are notifications; inconclusive gates did not execute successfully", () => {
    const tests = log.runs[3];
    expect(tests?.results).toEqual([]);
    expect(tests?.invocations[0]?.toolExecutionNotifications?.[0]?.message.text).toBe("tests failed: 1 failed");
    expect(log.runs[4]?.invocations[0]?.executionSuccessful).toBe(false);
    expect(log.runs[0]?.invocations[0]?.executionSuccessful).toBe(true);
    expect(log.runs[3]?.invocations[0]?.toolExecutionNotifications?.[0]).toMatchObject({
      associatedRule: { id: "tests-failed", index: 0 },
    });
  });

  test("every rule is described as GitHub requires: a name that is not its id, descriptions, help, a help link", () => {
    const drivers = (log as unknown as { runs: { tool: { driver: Record<string, unknown> } }[] }).runs.map((r) => r.tool.driver);
    expect(new Set(drivers.map((d) => d.informationUri))).toEqual(new Set([PROJECT_URL]));
    const rules = drivers.flatMap((d) => d.rules as Record<string, { text?: string } | string>[]);
    expect(rules.map((r) => [r.id, r.name])).toEqual([
      ["aws-access-key", "SecretsAwsAccessKey"],
      ["private-key", "SecretsPrivateKey"],
      ["unused", "StaticUnused"],
      ["style", "StaticStyle"],
      ["static", "Static"],
      ["tests-failed", "TestsFailed"],
    ]);
    for (const rule of rules) {
      expect(rule).toMatchObject({
        shortDescription: { text: expect.any(String) },
        fullDescription: { text: expect.any(String) },
        help: { text: expect.stringContaining("How to fix: "), markdown: expect.stringContaining("**How to fix:**") },
        helpUri: expect.stringMatching(/^https:\/\/unpkg\.com\/loki-cli@0\.1\.0\/docs\/verify\.md#[a-z-]+$/),
      });
    }
    expect(describeRule("secrets", "No secrets", "aws-access-key", "0.1.0").helpUri).toEndWith("#secrets-binary-files-and-suppressions");
    expect(describeRule("tamper", "Test tampering", "assertion-weakened", "0.1.0").helpUri).toEndWith("#weaker-assertions");
    expect(describeRule("static", "Static checks", "TS2304", "0.1.0").name).toBe("StaticTS2304");
  });
});

describe("JUnit", () => {
  const xml = toJunit(sampleEvidence());
  const root = parseXml(xml);

  test("is well-formed XML with one testsuite and one testcase per gate", () => {
    expect(root.name).toBe("testsuites");
    const suites = descendants(root, "testsuite");
    expect(suites).toHaveLength(1);
    expect(suites[0]?.attributes).toMatchObject({ name: "loki verify", tests: "6", failures: "3", errors: "1", skipped: "1" });
    // Jenkins' schema has no `skipped` on <testsuites>: the count is on the suite only.
    expect(root.attributes).toEqual({ name: "loki", tests: "6", failures: "3", errors: "1", time: "0.012" });
    const cases = descendants(root, "testcase");
    expect(cases.map((c) => c.attributes.name)).toEqual(["diff", "secrets", "static", "tests", "build", "heldout"]);
    expect(cases.every((c) => c.attributes.classname === "loki" && c.attributes.time === "0.012")).toBe(true);
  });

  test("fail → <failure>, inconclusive → <error>, skipped → <skipped>, pass → empty", () => {
    const cases = descendants(root, "testcase");
    const kinds = cases.map((c) => c.children.map((child) => child.name).join(","));
    expect(kinds).toEqual(["", "failure", "failure", "failure", "error", "skipped"]);
    const secrets = cases[1]?.children[0];
    expect(secrets?.attributes).toEqual({ message: "2 secrets", type: "aws-access-key" });
    expect(secrets?.text).toContain('src/config 1.ts:3 critical [aws-access-key] AWS access key <AKIA…> & "quoted"');
    expect(cases[3]?.children[0]?.text).toContain("not ok 1 - adds\n  expected: 5");
    expect(cases[4]?.children[0]?.attributes.message).toBe("could not start `make`: ENOENT <oops>");
    expect(cases[5]?.children[0]?.attributes.message).toBe("no loki run in this repository");
  });

  test("escapes markup and drops what XML 1.0 cannot carry", () => {
    expect(xmlEscape(`<a href="x">&'</a>\u0000\u001b[1mbold\u001b[0m\u0007`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;bold");
    expect(() => parseXml(`<x a="${xmlEscape("\u0001\uFFFE\uD800")}">${xmlEscape("\u000B")}</x>`)).not.toThrow();
  });
});

describe("GitHub Actions", () => {
  test("escapes data and properties like the actions toolkit", () => {
    expect(escapeData("50% done\r\nnext")).toBe("50%25 done%0D%0Anext");
    expect(escapeProperty("a:b,c%\n")).toBe("a%3Ab%2Cc%25%0A");
  });

  test("one annotation per finding (most severe first) and per inconclusive gate", () => {
    const lines = annotations(sampleEvidence());
    expect(lines[0]).toBe(
      '::error file=src/config 1.ts,line=3,title=loki secrets%3A aws-access-key (critical)::AWS access key <AKIA…> & "quoted"',
    );
    expect(lines[1]).toBe(
      "::error file=déjà vu/%25odd%3Aname%2Cx.env,line=1,title=loki secrets%3A private-key (high)::a private key%0Asecond line",
    );
    expect(lines).toContain("::error title=loki tests%3A tests-failed (high)::tests failed: 1 failed");
    expect(lines).toContain("::warning file=src/a.ts,line=7,title=loki static%3A unused (medium)::unused variable");
    expect(lines).toContain("::notice file=src/a.ts,title=loki static%3A style (low)::file-level note");
    expect(lines.at(-1)).toBe("::warning title=loki build%3A inconclusive::could not start `make`: ENOENT <oops>");
  });

  test("a flood of findings is capped with a pointer to the rest", () => {
    const many = sampleEvidence();
    const secrets = many.gates[1];
    if (!secrets) throw new Error("fixture");
    secrets.findings = Array.from({ length: 300 }, (_, i) => ({
      severity: "high" as const,
      file: `f${i}.ts`,
      line: 1,
      message: "m",
      fingerprint: `x${i}`,
    }));
    const lines = annotations(many);
    expect(lines).toHaveLength(50);
    expect(lines.at(-1)).toMatch(/^::notice title=loki verify::\d+ more findings are in the job summary/);
  });

  test("the step summary has the verdict, the gate table and the findings", () => {
    const md = stepSummary(sampleEvidence());
    expect(md).toMatch(/^## ⛔ loki verify: BLOCKED\n/);
    expect(md).toContain("| secrets | fail | 12 ms | 2 | 2 secrets |");
    expect(md).toContain('| critical | `src/config 1.ts:3` | secrets | aws-access-key | AWS access key <AKIA…> & "quoted" |');
  });
});

describe("report.md", () => {
  test("verdict, reasons, gates with duration and reason, findings with file:line, the baseline", () => {
    const evidence = sampleEvidence({ baseline: { path: ".loki-baseline.json", suppressed: 1 } });
    const secrets = evidence.gates[1];
    if (!secrets) throw new Error("fixture");
    secrets.details = { baseline_suppressed: [{ file: "old.ts", line: 4, rule: "aws-access-key", fingerprint: "fp-old" }] };
    const md = renderReport(evidence);
    expect(md).toMatch(/^# loki verify: BLOCKED \(exit 2\)\n/);
    expect(md).toContain("- secrets: fail — 2 secrets");
    expect(md).toContain("| build | inconclusive | 12 ms | 0 | could not start `make`: ENOENT <oops> |");
    expect(md).toContain("| high | `(no file)` | tests | tests-failed | tests failed: 1 failed |");
    expect(md).toContain("| high | `déjà vu/%odd:name,x.env:1` | secrets | private-key | a private key second line |");
    expect(md).toContain("- baseline: `.loki-baseline.json` suppressed 1 finding(s)");
    expect(md).toContain("## Suppressed by the baseline\n\n- secrets: `old.ts:4` aws-access-key (fp-old)");
  });
});
