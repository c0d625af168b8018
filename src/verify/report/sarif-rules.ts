// A SARIF rule's description as GitHub code scanning requires it of every rule it ingests: a human
// name distinct from the id, short and full descriptions, help text and markdown, and a help link
// into docs/verify.md. Fixed rule ids have their own words (rule-texts.ts); open sets (secret and
// linter rule ids) are described by their gate. Pure.
import { FALLBACK_GATE_TEXT, GATE_TEXTS, RULE_TEXTS, type RuleText, type VerifyAnchor } from "./rule-texts.ts";

/** The project's page: the published package, whose README leads to the docs. */
export const PROJECT_URL = "https://www.npmjs.com/package/loki-cli";

/** docs/verify.md as published with this version of loki (the package ships docs/). */
export function helpUri(version: string, anchor: VerifyAnchor): string {
  return `https://unpkg.com/loki-cli@${encodeURIComponent(version)}/docs/verify.md#${anchor}`;
}

/** Words of an id in PascalCase: `aws-access-key-id` → `AwsAccessKeyId`. */
function pascal(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== "")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

export type RuleDescription = {
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string; markdown: string };
  helpUri: string;
};

/** The description of rule `ruleId` of gate `gateId`, for the SARIF of loki `version`. */
export function describeRule(gateId: string, gateTitle: string, ruleId: string, version: string): RuleDescription {
  const gate = GATE_TEXTS[gateId] ?? FALLBACK_GATE_TEXT;
  const known = Object.hasOwn(RULE_TEXTS, ruleId) ? RULE_TEXTS[ruleId] : undefined;
  const text: RuleText = known ?? {
    // An open set (a secret or linter rule id) or the gate itself: named by gate and id, never equal to the id.
    name: `${pascal(gateId)}${ruleId === gateId ? "" : pascal(ruleId)}` || "LokiFinding",
    short: ruleId === gateId ? gate.problem : `${gate.problem}: ${ruleId}`,
    full: gate.checks,
  };
  const fix = text.fix ?? gate.fix;
  const uri = helpUri(version, text.anchor ?? gate.anchor);
  const full = known ? `${text.full} ${gate.checks}` : text.full;
  return {
    name: text.name,
    shortDescription: { text: text.short },
    fullDescription: { text: full },
    help: {
      text: `${full}\n\nHow to fix: ${fix}\n\nGate: ${gateId} (${gateTitle}). Documentation: ${uri}`,
      markdown: `${full}\n\n**How to fix:** ${fix}\n\nGate \`${gateId}\` (${gateTitle}) — [documentation](${uri})`,
    },
    helpUri: uri,
  };
}
