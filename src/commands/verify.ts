// `loki verify [base]`: parse flags → verifyRepo → print (gates, findings, verdict; or --json).
// Exit 0 VERIFIED, 1 CONCERNS, 2 BLOCKED; errors become exit 3 in program.ts. In GitHub Actions it
// also prints annotations and appends a job summary. --quiet prints the verdict line alone, --verbose
// every finding and the commands grading ran. No verification logic lives here.
import { appendFileSync } from "node:fs";
import { relative } from "node:path";
import type { Detection, Evidence } from "../core/evidence-schema.ts";
import { color, out, warn } from "../core/log.ts";
import type { GateStatus } from "../core/schema.ts";
import { annotations } from "../verify/report/github.ts";
import { allFindings, locationOf } from "../verify/report/findings.ts";
import { formatMs } from "../verify/report/markdown.ts";
import { ALL_GATES } from "../gates/all.ts";
import { parseBlockOn, parseScope, parseSecretScanner, selectGates, verifyRepo, type VerifyOutcome } from "../verify/verify.ts";
import { COMMAND_EXIT, VERIFY_EXIT, type ExitCode } from "../core/exit-codes.ts";
import { verbosity } from "../core/verbosity.ts";
import { writeErr, writeOut } from "../core/stdio.ts";

export type VerifyFlags = {
  uncommitted?: boolean;
  masked?: string[];
  scope?: string;
  only?: string;
  skip?: string;
  blockOn?: string;
  baseline?: string;
  writeBaseline?: string;
  sarif?: string;
  junit?: string;
  json?: boolean;
  acceptConfigChange?: boolean;
  secretScanner?: string;
};

export async function runVerify(base: string | undefined, flags: VerifyFlags): Promise<ExitCode> {
  const cwd = process.cwd();
  const outcome = await verifyRepo({
    cwd,
    base,
    uncommitted: flags.uncommitted === true,
    ...(flags.masked ? { masked: flags.masked } : {}),
    scope: parseScope(flags.scope),
    gates: selectGates(ALL_GATES, flags.only, flags.skip),
    blockOn: parseBlockOn(flags.blockOn),
    baseline: flags.baseline,
    writeBaseline: flags.writeBaseline,
    sarif: flags.sarif,
    junit: flags.junit,
    acceptConfigChange: flags.acceptConfigChange === true,
    secretScanner: parseSecretScanner(flags.secretScanner),
  });
  for (const line of outcome.warnings) warn(line);
  const { evidence } = outcome;
  // The same rendering as .loki/verify/evidence.json: one JSON render per verify.
  const level = verbosity();
  if (flags.json) writeOut(outcome.reports("json"));
  else if (level === "quiet") out(resultLine(outcome, cwd));
  else printHuman(outcome, cwd, level === "verbose");
  if (process.env.GITHUB_ACTIONS === "true" && outcome.written.baseline === undefined) {
    // stdout carries the JSON with --json; the runner reads workflow commands from stderr too.
    const emit = flags.json ? (line: string) => writeErr(`${line}\n`) : out;
    for (const line of annotations(evidence)) emit(line);
    const summary = process.env.GITHUB_STEP_SUMMARY;
    if (summary) appendFileSync(summary, outcome.reports("github-summary"));
  }
  return outcome.written.baseline ? COMMAND_EXIT.ok : VERIFY_EXIT[evidence.verdict];
}

const STATUS: Record<GateStatus, (text: string) => string> = {
  pass: (t) => color.green(t),
  fail: (t) => color.red(t),
  inconclusive: (t) => color.yellow(t),
  skipped: (t) => color.dim(t),
};
const VERDICT: Record<Evidence["verdict"], (text: string) => string> = {
  VERIFIED: (t) => color.green(t),
  CONCERNS: (t) => color.yellow(t),
  BLOCKED: (t) => color.red(t),
};
const MAX_PRINTED_FINDINGS = 200;

/** One gate as `loki verify` prints it (and `loki review`): status, id, duration, reason. */
export function gateLine(gate: Evidence["gates"][number], idWidth: number): string {
  return `  ${STATUS[gate.status](gate.status.padEnd(12))} ${gate.id.padEnd(idWidth)} ${formatMs(gate.duration_ms).padStart(8)}  ${gate.reason}`;
}

function printHuman(outcome: VerifyOutcome, cwd: string, verbose: boolean): void {
  const { evidence, base, written } = outcome;
  const { subject } = evidence;
  const worktree = subject.includes_worktree ? " + working tree" : "";
  out(
    `loki verify: ${base.ref} (${base.how}, merge base ${evidence.repo.base.slice(0, 7)})${worktree}: ${subject.files} file${subject.files === 1 ? "" : "s"}, +${subject.insertions} −${subject.deletions}, scope ${subject.scope}`,
  );
  const idWidth = Math.max(...evidence.gates.map((g) => g.id.length));
  for (const gate of evidence.gates) out(gateLine(gate, idWidth));
  if (verbose) for (const d of evidence.detection ?? []) out(`grading ran ${describeDetection(d)}`);
  const findings = allFindings(evidence);
  const shown = verbose ? findings : findings.slice(0, MAX_PRINTED_FINDINGS);
  if (findings.length > 0) {
    out(`findings (${findings.length}):`);
    for (const f of shown) out(`  ${locationOf(f)}  ${f.severity}  ${f.gate}${f.rule ? `/${f.rule}` : ""}  ${f.message}`);
    if (findings.length > shown.length) out(`  … and ${findings.length - shown.length} more in the report (--verbose lists them all)`);
  }
  if (evidence.baseline) out(`baseline ${evidence.baseline.path}: ${evidence.baseline.suppressed} known finding(s) suppressed`);
  out(resultLine(outcome, cwd));
  if (written.baseline) return;
  const rel = (path: string) => relative(cwd, path) || path;
  const files = [written.evidence, written.report, written.sarif, written.junit].filter((p): p is string => p !== undefined).map(rel);
  out(`evidence: ${files.join(", ")}`);
}

/** The verdict and why (or what --write-baseline wrote): the last line, and the only one under --quiet. */
function resultLine(outcome: VerifyOutcome, cwd: string): string {
  const { evidence, written } = outcome;
  if (written.baseline)
    return `wrote ${written.baseline.fingerprints} fingerprint(s) to ${relative(cwd, written.baseline.path) || written.baseline.path} (verdict without it: ${evidence.verdict})`;
  const why = evidence.gates.filter((g) => g.status === "fail" || g.status === "inconclusive").map((g) => `${g.id} ${g.status}`);
  if (why.length === 0 && evidence.verdict !== "VERIFIED") why.push(...evidence.reasons.slice(0, 1));
  return `${VERDICT[evidence.verdict](evidence.verdict)} (exit ${outcome.exitCode})${why.length > 0 ? `: ${why.join(", ")}` : ""}`;
}

function describeDetection(d: Detection): string {
  const part = (role: string, c: Detection["test"]) => `${role} ${c ? `\`${c.command}\` (${c.source})` : "(none)"}`;
  return [part("test", d.test), part("build", d.build), part("lint", d.lint)].join(", ");
}
