// Baselines (gitleaks-style: only findings not in the baseline count) and scope filtering of gate
// results. Reading or writing a baseline file is the only I/O here; the filters are pure.
// Only scanners' located findings are baselinable: a red suite, a tampered test or spec drift is
// the state of this change, never legacy debt.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { usageError, workspaceError } from "../core/errors.ts";
import { SCHEMA_VERSION, type GateResult } from "../core/schema.ts";
import { writeFileAtomic } from "../core/workspace.ts";
import type { Subject } from "../gates/gate.ts";
import type { Scope } from "./evidence.ts";
import { SUPPRESSED_KEY } from "./report/findings.ts";
import { CONTENT_GATES } from "./scope.ts";
import { lazySchema } from "../core/lazy-schema.ts";

/** Gates that scan code for known kinds of problems: their findings can be legacy debt. */
export const BASELINE_GATES: ReadonlySet<string> = new Set(["secrets", "static", "deps"]);
const baselinable = (gate: GateResult, f: GateResult["findings"][number]) => BASELINE_GATES.has(gate.id) && f.file !== undefined;

export const Baseline = lazySchema(() => z.object({ schema_version: z.literal(SCHEMA_VERSION), fingerprints: z.array(z.string()) }));
export type Baseline = z.infer<typeof Baseline>;

const HINT = "write one with: loki verify <base> --scope repo --write-baseline .loki-baseline.json";

/** `shown` is the path as the user wrote it, for messages. */
export function readBaseline(path: string, shown: string = path): Set<string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    throw usageError(missing ? `baseline ${shown} does not exist` : `cannot read baseline ${shown}`, { cause: error, hint: HINT });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw workspaceError(`baseline ${shown} is not valid JSON`, { hint: HINT });
  }
  const parsed = Baseline.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw workspaceError(`baseline ${shown} does not match its format at ${issue?.path.join(".") || "(root)"}: ${issue?.message}`, {
      hint: `expected {"schema_version": 1, "fingerprints": ["…"]}; ${HINT}`,
    });
  }
  return new Set(parsed.data.fingerprints);
}

/** Every located finding's fingerprint, sorted and unique, as a baseline file. Returns the count. */
export function writeBaseline(path: string, results: readonly GateResult[]): number {
  const fingerprints = [...new Set(results.flatMap((g) => g.findings.filter((f) => baselinable(g, f)).map((f) => f.fingerprint)))].sort();
  const baseline: Baseline = { schema_version: SCHEMA_VERSION, fingerprints };
  writeFileAtomic(path, `${JSON.stringify(baseline, null, 2)}\n`, 0o644);
  return fingerprints.length;
}

/**
 * Drops the findings the baseline knows. A failing gate left with no findings passes; one that
 * failed without any finding (a red suite) stays failed. The dropped ones go to details.
 */
export function applyBaseline(results: readonly GateResult[], known: ReadonlySet<string>): { results: GateResult[]; suppressed: number } {
  let suppressed = 0;
  const out = results.map((gate) => {
    const dropped = gate.findings.filter((f) => baselinable(gate, f) && known.has(f.fingerprint));
    if (dropped.length === 0) return gate;
    suppressed += dropped.length;
    const findings = gate.findings.filter((f) => !dropped.includes(f));
    const details = {
      ...gate.details,
      [SUPPRESSED_KEY]: dropped.map(({ file, line, rule, fingerprint }) => ({ file, line, rule, fingerprint })),
    };
    const note = `${dropped.length} known finding(s) suppressed by the baseline`;
    if (gate.status === "fail" && findings.length === 0)
      return { ...gate, status: "pass" as const, reason: `${note}; nothing new`, findings, details };
    return { ...gate, reason: `${gate.reason} (${note})`, findings, details };
  });
  return { results: out, suppressed };
}

/**
 * Content gates under `diff` and `files`: findings must point into a file the change touched (one
 * elsewhere is not this change's); `repo`: everything counts. Line precision is each gate's job.
 */
export function applyScope(results: readonly GateResult[], subject: Subject, scope: Scope): GateResult[] {
  if (scope === "repo") return [...results];
  const touched = new Set(subject.files.flatMap((f) => (f.oldPath ? [f.path, f.oldPath] : [f.path])));
  return results.map((gate) => {
    if (!CONTENT_GATES.has(gate.id)) return gate;
    const findings = gate.findings.filter((f) => f.file === undefined || touched.has(f.file));
    const outside = gate.findings.length - findings.length;
    if (outside === 0) return gate;
    const note = `${outside} finding(s) outside the changed files ignored (scope ${scope})`;
    const details = { ...gate.details, out_of_scope: outside };
    if (gate.status === "fail" && findings.length === 0)
      return { ...gate, status: "pass" as const, reason: `${note}; nothing in scope`, findings, details };
    return { ...gate, reason: `${gate.reason} (${note})`, findings, details };
  });
}
