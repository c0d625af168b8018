// The ONE map of loki's paths — the repo's .loki/ and the user's private ~/.loki — plus the only
// sanctioned ways to write there: validated atomic JSON writes and JSONL appends under a lock
// (core/durable.ts makes both whole-or-nothing), and the readers that validate them.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import type { z } from "zod";
import { appendLine, replaceFile, type Durability } from "./durable.ts";
import { workspaceError } from "./errors.ts";
import { withLock } from "./lock.ts";
import { warn } from "./log.ts";
import { SCHEMA_VERSION } from "./schema.ts";

// The append lock lives in core/lock.ts; read-modify-write callers (proof/trust.ts) take it from here.
export { withLock };

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

/** Create `.loki/` (with a `.gitignore` of `*`) if missing. */
export function ensureWorkspace(ws: Workspace): void {
  mkdirSync(ws.dir, { recursive: true, mode: 0o700 });
  const ignore = join(ws.dir, ".gitignore");
  if (!existsSync(ignore)) writeFileAtomic(ignore, "*\n");
}

/** Write `text` so readers see either the old file or the whole new one, never a torn file (core/durable.ts).
 *  Files under `.loki/` and `~/.loki` are the user's alone (0600); pass 0o644 for what the user shares. */
export function writeFileAtomic(path: string, text: string, mode = 0o600, durability: Durability = "power"): void {
  replaceFile(path, text, mode, durability);
}

/** Validate `value` against `schema`, then write it atomically as pretty JSON (durability: core/durable.ts). */
export function writeJson<S extends z.ZodType>(path: string, schema: S, value: z.input<S>, durability: Durability = "power"): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw workspaceError(`refusing to write invalid data to ${path}: ${parsed.error.issues[0]?.message ?? "invalid"}`, {
      data: { issues: parsed.error.issues },
    });
  }
  writeFileAtomic(path, `${JSON.stringify(parsed.data, null, 2)}\n`, 0o600, durability);
  return parsed.data;
}

/** Read and validate a JSON file; `undefined` when it does not exist. Corrupt files are errors. */
export function readJson<S extends z.ZodType>(path: string, schema: S): z.output<S> | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw workspaceError(`could not read ${path}`, { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw workspaceError(`${path} is not valid JSON`, { hint: `move it aside (mv ${path} ${path}.bad) and re-run` });
  }
  const parsed = schema.safeParse(raw);
  // A file whose own schema accepts its version (proofs read 1 and 2) is read; one that does not,
  // with a version above the workspace's, came from a newer loki.
  const version = (raw as { schema_version?: unknown } | null)?.schema_version;
  if (!parsed.success && typeof version === "number" && version > SCHEMA_VERSION)
    throw workspaceError(`${path} was written by a newer loki (schema_version ${version}; this one reads ${SCHEMA_VERSION})`, {
      hint: "upgrade loki, or run the loki that wrote it; nothing was changed",
    });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw workspaceError(`${path} does not match its schema at ${issue?.path.join(".") || "(root)"}: ${issue?.message}`, {
      hint: `move it aside (mv ${path} ${path}.bad) and re-run`,
    });
  }
  return parsed.data;
}

/** Validate and append one JSON line under the file's lock: whole or not at all (core/durable.ts). */
export function appendJsonl<S extends z.ZodType>(path: string, schema: S, record: z.input<S>): void {
  appendJsonlMany(path, schema, [record]);
}

/** Validate every record, then append them in one write under one lock: all the lines or none. */
export function appendJsonlMany<S extends z.ZodType>(path: string, schema: S, records: readonly z.input<S>[]): void {
  const lines = records.map((record) => {
    const parsed = schema.safeParse(record);
    if (!parsed.success) throw workspaceError(`refusing to append invalid record to ${path}: ${parsed.error.issues[0]?.message}`);
    return `${JSON.stringify(parsed.data)}\n`;
  });
  if (lines.length === 0) return;
  withLock(path, () => appendLine(path, lines.join("")));
}

/** Streams whose bad lines were already reported in this process: one warning per file, not per read. */
const reported = new Set<string>();

/**
 * Read a JSONL stream. A line that is not a valid record (a torn tail from a crash, a hand edit) is
 * skipped and reported once — the rest of the stream still counts; it never makes the whole stream
 * unreadable. `report` receives the problem (default: a warning on stderr).
 */
export function readJsonl<S extends z.ZodType>(
  path: string,
  schema: S,
  report: (problem: string) => void = (problem) => {
    if (!reported.has(path)) warn(problem);
    reported.add(path);
  },
): z.output<S>[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw workspaceError(`could not read ${path}`, { cause: error });
  }
  const out: z.output<S>[] = [];
  const bad: number[] = [];
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    try {
      const parsed = schema.safeParse(JSON.parse(line));
      if (parsed.success) out.push(parsed.data);
      else bad.push(index + 1);
    } catch {
      bad.push(index + 1);
    }
  });
  if (bad.length > 0)
    report(
      `${path}: skipped ${bad.length} unreadable line${bad.length === 1 ? "" : "s"} (line ${bad.slice(0, 5).join(", ")}${bad.length > 5 ? ", …" : ""}); the other ${out.length} records count`,
    );
  return out;
}
