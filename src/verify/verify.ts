// `loki verify` as a function: resolve the base → read the diff → check spec drift → run the gates
// concurrently → scope and baseline filters → verdict → evidence, each report format rendered once
// (.loki/verify/ + --sarif/--junit). Prints nothing; every user error is a LokiError (exit 3 in program.ts).
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { loadConfig, type Config, type SecretScanner } from "../core/config.ts";
import { configError, gitError, messageOf, usageError } from "../core/errors.ts";
import { whichBinary } from "../core/exec.ts";
import { HeldoutResult, type Evidence } from "../core/evidence-schema.ts";
import { currentBranch } from "../core/git.ts";
import { gradingRevisions, headBranchOf, ownWorkTree, repoHead } from "../core/git-repo.ts";
import { Severity, type GateResult } from "../core/schema.ts";
import { absent, readJson, workspaceAt, writeFileAtomic } from "../core/workspace.ts";
import { ALL_GATES } from "../gates/all.ts";
import { describeProject } from "../gates/command-run.ts";
import { detectProject } from "../gates/detect.ts";
import { freezeGrader, gradingProject } from "../gates/grader.ts";
import { commitTree } from "../gates/tree.ts";
import { readSubject } from "../gates/diff.ts";
import { runGates, verdictOf, type Confine, type Gate, type GateContext, type HeldoutSummary } from "../gates/gate.ts";
import { gateConfinement } from "../sandbox/confine.ts";
import { detectSandbox } from "../sandbox/detect.ts";
import { checkDrift } from "../spec/drift.ts";
import { resolveBase, type ResolvedBase } from "./base.ts";
import { applyBaseline, applyScope, readBaseline, writeBaseline } from "./baseline.ts";
import { buildEvidence, writeEvidence, type Scope } from "./evidence.ts";
import { syncOwed } from "../core/durable.ts";
import { COMMAND_EXIT, VERIFY_EXIT } from "../core/exit-codes.ts";
import { reportsOf, type Renderers, type Reports } from "./report/formats.ts";
import { CONTENT_GATES, scopeNote, widenSubject } from "./scope.ts";
import { specPaths } from "../sandbox/spec-paths.ts";

export type VerifyOptions = {
  cwd: string;
  base?: string;
  uncommitted?: boolean;
  /** Repository paths a sandbox masks (`--masked`, from mcp.children): left out of an uncommitted diff when not a file. */
  masked?: string[];
  scope?: Scope;
  /** Default: every gate (ALL_GATES), narrowed by selectGates. */
  gates?: readonly Gate[];
  blockOn?: Severity[];
  baseline?: string;
  writeBaseline?: string;
  sarif?: string;
  junit?: string;
  /** The environment an issue-sourced spec is re-fetched with (tracker tokens). Default: process.env. */
  env?: Record<string, string | undefined>;
  /** Grade with the diff's own grading configuration (--accept-config-change); recorded in the evidence. */
  acceptConfigChange?: boolean;
  /** --secret-scanner: which scanners the secrets gate runs, over loki.yaml's verify.secret_scanner. */
  secretScanner?: SecretScanner;
  /** The report renderers; default report/formats.ts's table (tests count calls through it). */
  renderers?: Renderers;
  now?: () => Date;
};

export type VerifyOutcome = {
  evidence: Evidence;
  exitCode: number;
  base: ResolvedBase;
  warnings: string[];
  /** The evidence's reports, each rendered at most once (shared with --json and the job summary). */
  reports: Reports;
  /** Files written: .loki/verify/* (not in --write-baseline mode), --sarif, --junit, the baseline. */
  written: { evidence?: string; report?: string; sarif?: string; junit?: string; baseline?: { path: string; fingerprints: number } };
};

export const DEFAULT_BLOCK_ON: Severity[] = ["critical", "high"];
const SCOPES: readonly Scope[] = ["diff", "files", "repo"];
const SECRET_SCANNERS: readonly SecretScanner[] = ["auto", "builtin", "gitleaks"];
const GITLEAKS_HINT = "install gitleaks (https://github.com/gitleaks/gitleaks#installing) on PATH, or use --secret-scanner auto|builtin";

/** "a, b" → ["a", "b"], every id checked against `valid`. */
export function parseList(flag: string, value: string, valid: readonly string[]): string[] {
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const unknown = items.filter((s) => !valid.includes(s));
  if (unknown.length > 0 || items.length === 0) {
    throw usageError(
      `${flag}: ${unknown.length > 0 ? `unknown value${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}` : "empty list"}`,
      { hint: `valid values: ${valid.join(", ")}` },
    );
  }
  return [...new Set(items)];
}

export function parseScope(value: string | undefined): Scope {
  if (value === undefined) return "diff";
  const scope = SCOPES.find((s) => s === value);
  if (scope === undefined) throw usageError(`--scope: unknown scope "${value}"`, { hint: `valid values: ${SCOPES.join(", ")}` });
  return scope;
}

export function parseSecretScanner(value: string | undefined): SecretScanner | undefined {
  if (value === undefined) return undefined;
  const scanner = SECRET_SCANNERS.find((s) => s === value);
  if (scanner === undefined)
    throw usageError(`--secret-scanner: unknown scanner "${value}"`, { hint: `valid values: ${SECRET_SCANNERS.join(", ")}` });
  return scanner;
}

/** The scanner choice in force (the flag over loki.yaml); gitleaks chosen but not installed cannot verify. */
function withSecretScanner(config: Config, flag: SecretScanner | undefined, gates: readonly Gate[]): Config {
  const chosen = flag === undefined ? config : { ...config, verify: { ...config.verify, secret_scanner: flag } };
  if (chosen.verify.secret_scanner === "gitleaks" && gates.some((g) => g.id === "secrets") && whichBinary("gitleaks") === null) {
    const message = "gitleaks is not installed (not on PATH)";
    throw flag === undefined
      ? configError(`loki.yaml verify.secret_scanner is gitleaks, but ${message}`, { hint: GITLEAKS_HINT })
      : usageError(`--secret-scanner gitleaks: ${message}`, { hint: GITLEAKS_HINT });
  }
  return chosen;
}

export function parseBlockOn(value: string | undefined): Severity[] {
  return value === undefined ? DEFAULT_BLOCK_ON : (parseList("--block-on", value, Severity.options) as Severity[]);
}

export function selectGates(all: readonly Gate[], only: string | undefined, skip: string | undefined): Gate[] {
  const ids = all.map((g) => g.id);
  const keep = only === undefined ? ids : parseList("--only", only, ids);
  const drop = skip === undefined ? [] : parseList("--skip", skip, ids);
  const selected = all.filter((g) => keep.includes(g.id) && !drop.includes(g.id));
  if (selected.length === 0) throw usageError("--only/--skip leave no gate to run", { hint: `gates: ${ids.join(", ")}` });
  return selected;
}

export async function verifyRepo(options: VerifyOptions): Promise<VerifyOutcome> {
  const now = options.now ?? (() => new Date());
  const scope = options.scope ?? "diff";
  const blockOn = options.blockOn ?? DEFAULT_BLOCK_ON;
  const gates = options.gates ?? ALL_GATES;
  // Independent git reads run side by side (a named base resolves while HEAD and the branch are read);
  // their errors are thrown in the order the checks read: repository, first commit, baseline, base.
  // A named base is read with the repository and HEAD, in one git process (each on its own if that fails).
  const both = options.base === undefined ? Promise.resolve(null) : gradingRevisions(options.cwd, options.base);
  const repo = both.then((read) =>
    read ? { root: read.top, head: read.head, gitDir: read.dirs.gitDir, infoAttributes: read.infoAttributes } : repoHead(options.cwd),
  );
  // The branch from the HEAD file of the git directory rev-parse names; git is asked only when it is not plain.
  const branchRead = repo.then((r) => {
    const branch = r.head === null ? undefined : headBranchOf(r.gitDir);
    return branch === undefined ? currentBranch(options.cwd) : branch;
  });
  const baseRead = resolveBase(
    options.cwd,
    options.base,
    branchRead,
    both.then((read) => read?.baseSha ?? null),
  );
  baseRead.catch(() => undefined);
  branchRead.catch(() => undefined);
  const repository = await repo;
  const { root, head } = repository;
  if (head === null)
    throw gitError(`${root} has no commits yet`, { hint: "commit something first, then verify the branch against its base" });
  const { gitDir, infoAttributes } = repository;
  // A `core.worktree` the repository's config sets (an agent can write .git/config) would grade
  // another directory, even another repository; a GIT_WORK_TREE or GIT_DIR the user set is theirs.
  const chosen = process.env.GIT_WORK_TREE !== undefined || process.env.GIT_DIR !== undefined;
  if (!chosen && !ownWorkTree(root, gitDir))
    throw gitError(`git's work tree here is ${root}, which is not ${gitDir}'s own: core.worktree in its config points elsewhere`, {
      hint: `verify from a checkout of its own, or remove the setting: git config --unset core.worktree`,
    });
  // The configuration is read while git resolves the base and diffs (CPU work that would otherwise wait
  // for them); an error it raises is thrown where it always was, once the diff is read.
  const loading = settled(() => loadConfig(root));
  // Read before any gate runs: a bad baseline must fail fast, not after a ten-minute test suite.
  const known = options.baseline === undefined ? null : readBaseline(resolve(options.cwd, options.baseline), options.baseline);
  const branch = await branchRead;
  const base = await baseRead;
  // The grader's configuration is the merge base's: a pull request cannot switch off what grades it.
  // Its tree is listed while the diff is read.
  const baseTree = commitTree(root, base.mergeBase);
  baseTree.catch(() => undefined);
  // The gates need the parsed files only: the diff's text is not kept (a large one would be held whole).
  const subject = await readSubject(root, base.mergeBase, {
    text: false,
    includeWorktree: options.uncommitted === true,
    ...(options.masked ? { masked: options.masked } : {}),
    revisions: { top: root, head, infoAttributes },
  });
  const loaded = loading();
  const accepted = options.acceptConfigChange === true;
  const tree = await baseTree;
  const baseConfig = frozenConfig(root, tree.read("loki.yaml"), loaded.config);
  const frozen = { ...(await freezeGrader(tree, baseConfig)), origin: `merge base ${base.mergeBase.slice(0, 12)}` };
  const config = withSecretScanner(accepted ? loaded.config : baseConfig, options.secretScanner, gates);
  const ws = workspaceAt(root);
  // Gates whose input could not be had are graded here, without running: never a crash, never a pass.
  const preset = new Map<string, { status: "inconclusive" | "skipped"; reason: string }>();
  // One-shot, so an issue-sourced spec is fetched again (the loop does not, every iteration);
  // not at all when spec_drift is not selected (no network for a gate that will not run).
  const drift = gates.some((g) => g.id === "spec_drift")
    ? await checkDrift(root, loaded.config, options.env ?? process.env, { refetchIssue: true })
    : undefined;
  const heldout = await readHeldout(ws, (status, reason) => preset.set("heldout", { status, reason }));
  const runSpec = absent(ws.runSpec) ? null : (await import("../core/run-spec.ts")).resumableRunSpec(root);
  const project = gradingProject(frozen, detectProject(root, loaded.config), accepted);
  const ctx: GateContext = {
    subject,
    project,
    config,
    frozen,
    acceptConfigChange: accepted,
    drift,
    heldout,
    gitSnapshot: undefined,
    // The project's code (a run's agent may have written it) sees no ~/.loki, no .loki/ and not the spec of
    // a run here that can still resume (stopped, capped, crashed): it goes on with the held-out items it names.
    confine: { probe: confinementProbe(root, specPaths(runSpec ?? undefined, [root])) },
  };

  const runnable = gates.filter((g) => !preset.has(g.id));
  const content = runnable.filter((g) => CONTENT_GATES.has(g.id));
  // Widening (a `git grep` under --scope files|repo) overlaps the other gates instead of delaying them.
  const [plain, scanned] = await Promise.all([
    runGates(
      runnable.filter((g) => !CONTENT_GATES.has(g.id)),
      ctx,
    ),
    content.length === 0 ? [] : widenSubject(subject, scope).then((wide) => runGates(content, { ...ctx, subject: wide })),
  ]);
  const byId = new Map([...plain, ...scanned].map((r) => [r.id, r]));
  const raw: GateResult[] = gates.map((g) => {
    const result = byId.get(g.id) ?? {
      id: g.id,
      title: g.title,
      status: "inconclusive" as const,
      reason: "did not run",
      ...preset.get(g.id),
      duration_ms: 0,
      findings: [],
    };
    const note = scopeNote(g.id, scope);
    return note && result.status !== "skipped" ? { ...result, reason: `${result.reason} (${note})` } : result;
  });

  const scoped = applyScope(raw, subject, scope);
  const filtered = known === null ? { results: scoped, suppressed: 0 } : applyBaseline(scoped, known);
  const verdict = verdictOf(filtered.results, blockOn);
  const evidence = buildEvidence({
    source: "verify",
    runId: heldout?.run_id ?? null,
    subject,
    baseRef: base.ref,
    branch,
    scope,
    gates: filtered.results,
    verdict,
    blockOn,
    baseline: options.baseline === undefined ? null : { path: options.baseline, suppressed: filtered.suppressed },
    grading: { frozen_at: frozen.origin, config_change_accepted: accepted },
    detection: [{ iteration: null, at: now().toISOString(), ...describeProject(project) }],
    now: now(),
  });
  const reports = reportsOf(evidence, options.renderers);
  const written: VerifyOutcome["written"] = {};
  if (options.writeBaseline !== undefined) {
    const path = resolve(options.cwd, options.writeBaseline);
    written.baseline = { path, fingerprints: writeBaseline(path, scoped) };
    return { evidence, exitCode: COMMAND_EXIT.ok, base, warnings: loaded.warnings, reports, written };
  }
  // Each file's bytes are synced before its rename, never torn; their one directory is synced once for all four.
  const paths = writeEvidence(ws, evidence, { reports, durability: "boundary" });
  syncOwed();
  written.evidence = paths.evidence;
  written.report = paths.report;
  if (options.sarif !== undefined) writeFileAtomic((written.sarif = resolve(options.cwd, options.sarif)), reports("sarif"), 0o644);
  if (options.junit !== undefined) writeFileAtomic((written.junit = resolve(options.cwd, options.junit)), reports("junit"), 0o644);
  return { evidence, exitCode: VERIFY_EXIT[evidence.verdict], base, warnings: loaded.warnings, reports, written };
}

/**
 * With bwrap here, the project's code the gates run (tests, build, lint, mutation) sees no ~/.loki
 * (keys, held-out stores) and no .loki/. Probed once, when a gate first runs such a command: a
 * verify whose gates run none (no runner, or `--only` the diff's own checks) starts no sandbox.
 */
function confinementProbe(root: string, spec: readonly string[]): () => Promise<Confine | undefined> {
  let probed: Promise<Confine | undefined> | undefined;
  return () =>
    (probed ??= detectSandbox().then(
      (s) =>
        gateConfinement(
          s.available && s.kind === "bwrap" ? s.path : null,
          root,
          undefined,
          spec.filter((path) => existsSync(path)),
        ).confine,
    ));
}

/** `compute()` run now; the function returned gives its value, or throws what it threw. */
function settled<T>(compute: () => T): () => T {
  try {
    const value = compute();
    return () => value;
  } catch (error) {
    return () => {
      throw error;
    };
  }
}

/** The configuration as the base's loki.yaml declares it; a base whose loki.yaml is unreadable freezes today's. */
function frozenConfig(root: string, lokiYaml: string | null, current: Config): Config {
  try {
    return loadConfig(root, process.env, {}, { lokiYaml }).config;
  } catch {
    return current;
  }
}

/**
 * The current run's held-out evaluation; undefined (the gate's "no loki run") without a run. A run
 * with no result for it yet, or unreadable run state, is graded through `preset` instead. The run
 * schemas load only when there is a run's state to read: they are a fifth of verify's start-up.
 */
async function readHeldout(
  ws: ReturnType<typeof workspaceAt>,
  preset: (status: "inconclusive" | "skipped", reason: string) => void,
): Promise<HeldoutSummary | undefined> {
  if (absent(ws.orchestrator)) return undefined;
  try {
    const { OrchestratorState } = await import("../core/run-schema.ts");
    const state = readJson(ws.orchestrator, OrchestratorState);
    if (!state) return undefined;
    const result = readJson(ws.heldoutResult, HeldoutResult);
    if (result && result.run_id === state.run_id)
      return { run_id: result.run_id, passed: result.passed, failed: result.failed, unknown: result.unknown };
    preset("skipped", `run ${state.run_id} has no held-out result yet (its ship gate has not evaluated the held-out items)`);
  } catch (error) {
    preset("inconclusive", `the run's held-out result could not be read: ${messageOf(error)}`);
  }
  return undefined;
}
