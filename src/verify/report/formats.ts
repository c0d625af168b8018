// The one table of report formats: format → renderer (evidence → text). Every file loki writes
// from an evidence record — .loki/verify/*, --sarif, --junit, --json, the GitHub job summary — is
// rendered through it, and reportsOf renders each format at most once however often it is written.
import type { Evidence } from "../../core/evidence-schema.ts";
import { checkEvidence } from "../../core/record-check.ts";
import { stepSummary } from "./github.ts";
import { toJunit } from "./junit.ts";
import { renderReport } from "./markdown.ts";
import { toSarif } from "./sarif.ts";

export type ReportFormat = "json" | "markdown" | "sarif" | "junit" | "github-summary";
export type Renderer = (evidence: Evidence) => string;
export type Renderers = Readonly<Record<ReportFormat, Renderer>>;

export const RENDERERS: Renderers = {
  // Validated on the way out, as every JSON file under .loki/ is: by the schema's rules (core/record-check.ts).
  json: (evidence) => `${JSON.stringify(checkEvidence(evidence), null, 2)}\n`,
  markdown: renderReport,
  sarif: (evidence) => `${JSON.stringify(toSarif(evidence), null, 2)}\n`,
  junit: toJunit,
  "github-summary": stepSummary,
};

/** One evidence record's reports: a format's text, rendered on first use and reused after. */
export type Reports = (format: ReportFormat) => string;

export function reportsOf(evidence: Evidence, renderers: Renderers = RENDERERS): Reports {
  const rendered = new Map<ReportFormat, string>();
  return (format) => {
    const done = rendered.get(format);
    if (done !== undefined) return done;
    const text = renderers[format](evidence);
    rendered.set(format, text);
    return text;
  };
}
