// JUnit XML from an evidence record: one <testsuite name="loki verify"> with one <testcase> per
// gate — pass: empty; fail: <failure>; inconclusive: <error> (the check could not conclude);
// skipped: <skipped>. Valid against Jenkins' JUnit schema (tests check it with xmllint). Pure;
// escapes everything and drops characters XML 1.0 cannot carry.
import type { Evidence } from "../../core/evidence-schema.ts";
import type { GateResult } from "../../core/schema.ts";

/** Characters XML 1.0 forbids even escaped (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/F). */
const INVALID_XML =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** Text or attribute content, escaped; ANSI colour codes removed, forbidden characters dropped. */
export function xmlEscape(text: string): string {
  return text
    .replace(ANSI, "")
    .replace(INVALID_XML, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** Attribute values also keep their line breaks and tabs (parsers normalize raw ones to spaces). */
function attr(text: string): string {
  return xmlEscape(text).replace(/\n/g, "&#10;").replace(/\r/g, "&#13;").replace(/\t/g, "&#9;");
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);
const MAX_FINDINGS = 200;

function findingLines(gate: GateResult): string {
  const lines = gate.findings.slice(0, MAX_FINDINGS).map((f) => {
    const where = f.file === undefined ? "" : `${f.file}${f.line === undefined ? "" : `:${f.line}`} `;
    return `${where}${f.severity}${f.rule ? ` [${f.rule}]` : ""} ${f.message}`;
  });
  if (gate.findings.length > MAX_FINDINGS) lines.push(`… and ${gate.findings.length - MAX_FINDINGS} more`);
  if (gate.digest) lines.push("", gate.digest);
  return lines.join("\n");
}

function testcase(gate: GateResult): string {
  const open = `    <testcase classname="loki" name="${attr(gate.id)}" time="${seconds(gate.duration_ms)}">`;
  const body = (tag: string, type: string, text: string) =>
    `      <${tag} message="${attr(gate.reason)}" type="${attr(type)}">${xmlEscape(text)}</${tag}>`;
  switch (gate.status) {
    case "pass":
      return `    <testcase classname="loki" name="${attr(gate.id)}" time="${seconds(gate.duration_ms)}"/>`;
    case "skipped":
      return [open, `      <skipped message="${attr(gate.reason)}"/>`, "    </testcase>"].join("\n");
    case "fail":
      return [open, body("failure", gate.findings[0]?.rule ?? gate.id, findingLines(gate)), "    </testcase>"].join("\n");
    case "inconclusive":
      return [open, body("error", "inconclusive", gate.digest ?? gate.reason), "    </testcase>"].join("\n");
  }
}

export function toJunit(evidence: Evidence): string {
  const gates = evidence.gates;
  const count = (status: GateResult["status"]) => gates.filter((g) => g.status === status).length;
  const time = seconds(gates.reduce((max, g) => Math.max(max, g.duration_ms), 0));
  // Jenkins' JUnit schema (xunit plugin junit-10.xsd) allows `skipped` on <testsuite> only.
  const totals = `tests="${gates.length}" failures="${count("fail")}" errors="${count("inconclusive")}"`;
  const properties = [
    ["verdict", evidence.verdict],
    ["exit_code", String(evidence.exit_code)],
    ["base", evidence.repo.base],
    ["head", evidence.repo.head],
    ["scope", evidence.subject.scope],
  ].map(([name, value]) => `      <property name="${attr(name ?? "")}" value="${attr(value ?? "")}"/>`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="loki" ${totals} time="${time}">`,
    `  <testsuite name="loki verify" ${totals} skipped="${count("skipped")}" time="${time}" timestamp="${evidence.generated_at.replace(/\.\d+Z$/, "")}">`,
    "    <properties>",
    ...properties,
    "    </properties>",
    ...gates.map(testcase),
    "  </testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}
