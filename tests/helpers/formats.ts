// Checkers for the report formats: SARIF against the OFFICIAL 2.1.0 schema (shipped by Microsoft's
// @microsoft/jest-sarif; draft-04, hence ajv-draft-04, with formats on), JUnit through a strict
// XML 1.0 parser (saxes), and a synthetic evidence record covering every status and severity.
import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";
import { SaxesParser } from "saxes";
import schema from "@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json" with { type: "json" };
import { Evidence } from "../../src/core/evidence-schema.ts";
import type { GateResult } from "../../src/core/schema.ts";

// The schema's patterns are ECMA-262 without the u flag; strict mode rejects its draft-04 idioms.
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(schema);

/** Schema violations as "path: message" lines; empty when the log is valid SARIF 2.1.0. */
export function sarifErrors(log: unknown): string[] {
  if (validate(log)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "(root)"}: ${e.message ?? e.keyword}`);
}

export type XmlNode = { name: string; attributes: Record<string, string>; children: XmlNode[]; text: string };

/** Parses XML strictly (well-formedness and XML 1.0 characters); throws on the first error. */
export function parseXml(xml: string): XmlNode {
  const parser = new SaxesParser();
  const stack: XmlNode[] = [{ name: "#document", attributes: {}, children: [], text: "" }];
  parser.on("error", (error) => {
    throw error;
  });
  parser.on("opentag", (tag) => {
    // Without xmlns the parser gives plain string attributes.
    const attributes = { ...(tag.attributes as Record<string, string>) };
    const node: XmlNode = { name: tag.name, attributes, children: [], text: "" };
    stack.at(-1)?.children.push(node);
    stack.push(node);
  });
  parser.on("text", (text) => {
    const top = stack.at(-1);
    if (top) top.text += text;
  });
  parser.on("closetag", () => {
    stack.pop();
  });
  parser.write(xml).close();
  const root = stack[0]?.children[0];
  if (root === undefined) throw new Error("no root element");
  return root;
}

export function descendants(node: XmlNode, name: string): XmlNode[] {
  return node.children.flatMap((child) => [...(child.name === name ? [child] : []), ...descendants(child, name)]);
}

const fp = (n: number) => `fp${String(n).padStart(14, "0")}`;

/** Evidence with a gate of every status and findings of every severity and location shape. */
export function sampleEvidence(overrides: Partial<Evidence> = {}): Evidence {
  const gate = (
    id: string,
    status: GateResult["status"],
    reason: string,
    findings: GateResult["findings"] = [],
    extra: Partial<GateResult> = {},
  ): GateResult => ({ id, title: `${id} gate`, status, reason, duration_ms: 12, findings, ...extra });
  return Evidence.parse({
    schema_version: 1,
    generated_at: "2026-01-02T03:04:05.678Z",
    tool: { name: "loki", version: "0.1.0" },
    source: "verify",
    run_id: null,
    repo: { root: "/repo", head: "b".repeat(40), base: "a".repeat(40), base_ref: "origin/main", branch: "feature" },
    subject: { files: 3, insertions: 10, deletions: 2, includes_worktree: false, scope: "diff" },
    verdict: "BLOCKED",
    exit_code: 2,
    reasons: ["secrets: fail — 2 secrets", "tests: fail — tests failed: 1 failed"],
    block_on: ["critical", "high"],
    baseline: null,
    gates: [
      gate("diff", "pass", "3 files changed, +10 −2"),
      gate("secrets", "fail", "2 secrets", [
        {
          severity: "critical",
          file: "src/config 1.ts",
          line: 3,
          message: 'AWS access key <AKIA…> & "quoted"',
          rule: "aws-access-key",
          fingerprint: fp(1),
        },
        {
          severity: "high",
          file: "déjà vu/%odd:name,x.env",
          line: 1,
          message: "a private key\nsecond line",
          rule: "private-key",
          fingerprint: fp(2),
        },
      ]),
      gate("static", "fail", "1 warning", [
        { severity: "medium", file: "src/a.ts", line: 7, message: "unused variable", rule: "unused", fingerprint: fp(3) },
        { severity: "low", file: "src/a.ts", message: "file-level note", rule: "style", fingerprint: fp(4) },
        { severity: "info", file: "src/b.ts", line: 1, message: "info", fingerprint: fp(5) },
      ]),
      gate(
        "tests",
        "fail",
        "tests failed: 1 failed",
        [{ severity: "high", message: "tests failed: 1 failed", rule: "tests-failed", fingerprint: fp(6) }],
        { digest: "\u001b[31mnot ok 1 - adds\u001b[0m\n  expected: 5\u0000" },
      ),
      gate("build", "inconclusive", "could not start `make`: ENOENT <oops>"),
      gate("heldout", "skipped", "no loki run in this repository"),
    ],
    stages: [],
    ...overrides,
  });
}
