// SARIF 2.1.0 from an evidence record: one run per gate (tool "loki-<gate>"), a described rule per
// rule id, a result per located finding. Pure; tests validate it against the official 2.1.0 schema
// and GitHub's ingestion rules (SARIF Multitool). Findings without a file (a red suite) become run
// notifications: code scanning needs a location.
import type { Evidence } from "../../core/evidence-schema.ts";
import type { GateResult, Severity } from "../../core/schema.ts";
import { describeRule, PROJECT_URL, type RuleDescription } from "./sarif-rules.ts";

type Level = "error" | "warning" | "note";
type Finding = GateResult["findings"][number];
type SarifRule = RuleDescription & {
  id: string;
  defaultConfiguration: { level: Level };
  properties?: Record<string, unknown>;
};

export const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";
export const FINGERPRINT_KEY = "lokiFingerprint/v1";

const LEVELS: Record<Severity, Level> = { critical: "error", high: "error", medium: "warning", low: "note", info: "note" };
/** GitHub ranks security alerts by this (0–10); only gates whose findings are security issues carry it. */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: "9.5", high: "8.0", medium: "5.5", low: "3.0", info: "1.0" };
const SECURITY_GATES = new Set(["secrets", "deps"]);

export function levelOf(severity: Severity): Level {
  return LEVELS[severity];
}

/** A repo-relative path as a URI reference: every segment percent-encoded, `/` kept. */
export function pathToUri(path: string): string {
  return path
    .replace(/\\/g, "/")
    .split("/")
    .map((segment) => encodeURIComponent(segment))
    .join("/");
}

export function toSarif(evidence: Evidence): Record<string, unknown> {
  return { $schema: SARIF_SCHEMA, version: "2.1.0", runs: evidence.gates.map((gate) => gateRun(gate, evidence)) };
}

function ruleIdOf(gate: GateResult, finding: Finding): string {
  return finding.rule ?? gate.id;
}

function gateRun(gate: GateResult, evidence: Evidence): Record<string, unknown> {
  const rules: SarifRule[] = [];
  const ruleIndex = new Map<string, number>();
  const results: Record<string, unknown>[] = [];
  const notifications: Record<string, unknown>[] = [];
  for (const finding of gate.findings) {
    const id = ruleIdOf(gate, finding);
    if (!ruleIndex.has(id)) {
      ruleIndex.set(id, rules.length);
      const rule: SarifRule = {
        id,
        ...describeRule(gate.id, gate.title, id, evidence.tool.version),
        defaultConfiguration: { level: levelOf(finding.severity) },
      };
      if (SECURITY_GATES.has(gate.id)) rule.properties = { tags: ["security"], "security-severity": SECURITY_SEVERITY[finding.severity] };
      rules.push(rule);
    }
    if (finding.file === undefined) {
      notifications.push({
        level: levelOf(finding.severity),
        message: { text: finding.message },
        associatedRule: { id, index: ruleIndex.get(id) },
        properties: { severity: finding.severity, fingerprint: finding.fingerprint },
      });
      continue;
    }
    // A finding about a whole file (no line) points at its first line: code scanning needs a region.
    const physicalLocation = {
      artifactLocation: { uri: pathToUri(finding.file), uriBaseId: "%SRCROOT%" },
      region: { startLine: finding.line ?? 1 },
    };
    results.push({
      ruleId: id,
      ruleIndex: ruleIndex.get(id),
      level: levelOf(finding.severity),
      message: { text: finding.message },
      locations: [{ physicalLocation }],
      partialFingerprints: { [FINGERPRINT_KEY]: finding.fingerprint },
      properties: { severity: finding.severity },
    });
  }
  const invocation: Record<string, unknown> = { executionSuccessful: gate.status !== "inconclusive" };
  if (notifications.length > 0) invocation.toolExecutionNotifications = notifications;
  if (gate.status === "inconclusive" || gate.status === "skipped") {
    invocation.toolConfigurationNotifications = [
      { level: gate.status === "inconclusive" ? "warning" : "note", message: { text: `${gate.status}: ${gate.reason}` } },
    ];
  }
  return {
    tool: {
      driver: {
        name: `loki-${gate.id}`,
        fullName: `loki ${gate.title}`,
        informationUri: PROJECT_URL,
        version: evidence.tool.version,
        semanticVersion: evidence.tool.version,
        rules,
      },
    },
    // A category per gate: code scanning keeps each gate's alerts apart across uploads.
    automationDetails: { id: `loki/${gate.id}/` },
    invocations: [invocation],
    results,
    columnKind: "unicodeCodePoints",
    properties: {
      status: gate.status,
      reason: gate.reason,
      duration_ms: gate.duration_ms,
      verdict: evidence.verdict,
      head: evidence.repo.head,
      base: evidence.repo.base,
    },
  };
}
