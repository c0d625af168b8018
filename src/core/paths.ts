// The map of loki's paths — the repository's .loki/ and the user's private ~/.loki — and how the repository
// root is found (existence checks only: no spawn, nothing created), light enough for the entry to answer
// `loki status --json` with it before any schema loads. core/workspace.ts re-exports it.
import { existsSync, statSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";

export type Workspace = ReturnType<typeof workspaceAt>;

/** Path map of `.loki/` in the repo at `root`. Pure: creates nothing. */
export function workspaceAt(root: string) {
  const dir = join(root, ".loki");
  const p = (...parts: string[]) => join(dir, ...parts);
  return {
    root,
    dir,
    session: p("session.json"),
    config: p("config.yaml"),
    orchestrator: p("state", "orchestrator.json"),
    integrity: p("state", "integrity.json"),
    runSpec: p("state", "run-spec.json"),
    delivery: p("state", "delivery.json"),
    completion: p("state", "completion.json"),
    completionText: p("COMPLETION.txt"),
    provider: p("state", "provider.json"),
    children: p("state", "children.json"),
    spec: p("spec", "spec.json"),
    specLock: p("spec", "spec.lock"),
    driftReport: p("spec", "drift-report.json"),
    checklist: p("checklist", "checklist.json"),
    heldOut: p("checklist", "held-out.json"),
    heldoutResult: p("state", "heldout-result.json"),
    verifyDir: p("verify"),
    report: p("verify", "report.md"),
    sarif: p("verify", "results.sarif"),
    junit: p("verify", "junit.xml"),
    events: p("events.jsonl"),
    iteration: (n: number) => p("iterations", String(n)),
    evidence: p("verify", "evidence.json"),
    council: (round: number) => p("council", `round-${round}.json`),
    proof: (runId: string) => p("proofs", runId),
    costLedger: p("metrics", "cost.jsonl"),
    trustEvents: p("metrics", "trust-events.jsonl"),
    /** What `loki trust`, `cost` and `proof list` folded of the history so far (core/jsonl.ts); rebuilt when stale. */
    summary: (name: "trust-events" | "cost" | "proofs") => p("summaries", `${name}.json`),
    episodes: p("memory", "episodes.jsonl"),
    learnings: p("memory", "learnings.jsonl"),
    /** The memories iteration n's build prompt was given (memory/recall.ts), verbatim. */
    memoriesGiven: (n: number) => p("iterations", String(n), "memories.json"),
    /** The planner's task queue (core/queue.ts): one file per list, and the plan's record. */
    queueDir: p("queue"),
    queueList: (list: "pending" | "current" | "done" | "dead-letter") => p("queue", `${list}.json`),
    queuePlan: p("queue", "plan.json"),
    /** The planning pass's transcripts and prompt (its own directory: it runs before iteration 1). */
    planningDir: p("planning"),
    pause: p("PAUSE"),
    stop: p("STOP"),
    /** Requests for the run in progress (dashboard, `loki` commands), applied at its next iteration boundary. */
    modelRequest: p("control", "model.json"),
    budgetRequest: p("control", "budget.json"),
    humanInput: p("HUMAN_INPUT.md"),
    continuity: p("CONTINUITY.md"),
    scratch: (runId: string) => p("tmp", runId),
    runLog: (runId: string) => p("logs", `run-${runId}.log`),
    /** The run lock: one run per repository (core/run-lock.ts); names the run, its pid and process start. */
    runLock: p("run.lock"),
    logs: p("logs"),
    logFile: p("logs", "loki.log"),
    worktrees: p("worktrees"),
    reviewCopies: p("tmp", "review"),
    /** The app runner (Live App Preview): why this command, what runs and where, health history, redacted log. */
    appDir: p("app"),
    appDetection: p("app", "detection.json"),
    appState: p("app", "state.json"),
    appHealth: p("app", "health.jsonl"),
    appLog: p("app", "app.log"),
    /** A restart the dashboard or a run asks of the app's supervisor. */
    appRestart: p("control", "app-restart.json"),
  };
}

/** The user's home directory, found one way everywhere: $HOME (tests move it), else the OS's. */
export function userHome(): string {
  return process.env.HOME || homedir();
}

export type LokiHome = ReturnType<typeof lokiHomeAt>;

/**
 * The temp dir for work about the repository at `root` (a test run's report, a copy of the change):
 * os.tmpdir(), unless that lies inside the repository (an agent CLI's TMPDIR is its scratch dir under
 * .loki/), where the project's test runner would collect it — then the system's /tmp.
 */
export function tempOutside(root: string): string {
  const temp = resolve(tmpdir());
  const rel = relative(resolve(root), temp);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel)) ? "/tmp" : temp;
}

/** Path map of ~/.loki: loki's private state (held-out stores, signing keys, trusted keys, caches). Pure. */
export function lokiHomeAt(home: string = userHome()) {
  const dir = join(home, ".loki");
  return {
    dir,
    heldOutDir: join(dir, "heldout"),
    heldOut: (project: string, runId: string) => join(dir, "heldout", project, `${runId}.json`),
    keys: join(dir, "keys"),
    trustedKeys: join(dir, "trusted-keys.json"),
    /** The 32 random bytes that seal .loki/summaries/ (core/summary-seal.ts), 0600: a summary without their MAC is rebuilt. */
    summaryKey: join(dir, "keys", "summaries.key"),
    helpCache: join(dir, "cache", "help"),
    /** The global memory store: learnings from every project, redacted (memory.global). */
    memory: join(dir, "memory"),
    /** The bearer token `loki mcp --http` asks for when LOKI_MCP_TOKEN is not set (0600). */
    mcpToken: join(dir, "mcp", "token"),
    /** CI signing keys `loki ci install` made, one per repository (0600): each goes into a repository secret. */
    ciKey: (slug: string) => join(dir, "ci", `${slug}.key`),
  };
}

/** The repo root: nearest ancestor holding `.git` (file or dir), else `start` itself. No spawn. */
export function findRoot(start: string = process.cwd()): string {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, ".git"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(start);
    dir = parent;
  }
}

/** Whether nothing is at `path` (ENOENT, a dangling link included: what readFileSync finds absent); any other answer is not absence. */
export function absent(path: string): boolean {
  try {
    statSync(path);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT";
  }
}
