// The ONE map of loki's paths — the repo's .loki/ and the user's private ~/.loki — plus the only
// sanctioned ways to write there: validated atomic JSON writes (temp file + fsync + rename) and
// JSONL appends under a lock (no torn lines).
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { z } from "zod";
import { workspaceError } from "./errors.ts";

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
    pause: p("PAUSE"),
    stop: p("STOP"),
    humanInput: p("HUMAN_INPUT.md"),
    continuity: p("CONTINUITY.md"),
    scratch: (runId: string) => p("tmp", runId),
    runLog: (runId: string) => p("logs", `run-${runId}.log`),
    logs: p("logs"),
    logFile: p("logs", "loki.log"),
    worktrees: p("worktrees"),
    reviewCopies: p("tmp", "review"),
  };
}

/** The user's home directory, found one way everywhere: $HOME (tests move it), else the OS's. */
export function userHome(): string {
  return process.env.HOME || homedir();
}

export type LokiHome = ReturnType<typeof lokiHomeAt>;

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
  mkdirSync(ws.dir, { recursive: true });
  const ignore = join(ws.dir, ".gitignore");
  if (!existsSync(ignore)) writeFileAtomic(ignore, "*\n");
}

/** Write `text` so readers see either the old file or the whole new one, never a torn file. */
export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    const fd = openSync(tmp, "w", 0o644);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw workspaceError(`could not write ${path}`, { cause: error, hint: "check permissions and free disk space" });
  }
}

/** Validate `value` against `schema`, then write it atomically as pretty JSON. */
export function writeJson<S extends z.ZodType>(path: string, schema: S, value: z.input<S>): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw workspaceError(`refusing to write invalid data to ${path}: ${parsed.error.issues[0]?.message ?? "invalid"}`, {
      data: { issues: parsed.error.issues },
    });
  }
  writeFileAtomic(path, `${JSON.stringify(parsed.data, null, 2)}\n`);
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
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw workspaceError(`${path} does not match its schema at ${issue?.path.join(".") || "(root)"}: ${issue?.message}`, {
      hint: `move it aside (mv ${path} ${path}.bad) and re-run`,
    });
  }
  return parsed.data;
}

const LOCK_STALE_MS = 10_000;
const LOCK_WAIT_MS = 5_000;

/** Run `fn` holding an exclusive lock on `path` (a sibling `.lock` dir; stale locks are broken). */
export function withLock<T>(path: string, fn: () => T): T {
  const lock = `${path}.lock`;
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (isStale(lock)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw workspaceError(`timed out waiting for lock ${lock}`, { hint: `remove ${lock} if no loki process is running` });
      Bun.sleepSync(2);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function isStale(lock: string): boolean {
  try {
    return Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS;
  } catch {
    return false;
  }
}

/** Validate and append one JSON line under the file's lock. */
export function appendJsonl<S extends z.ZodType>(path: string, schema: S, record: z.input<S>): void {
  const parsed = schema.safeParse(record);
  if (!parsed.success) throw workspaceError(`refusing to append invalid record to ${path}: ${parsed.error.issues[0]?.message}`);
  const line = `${JSON.stringify(parsed.data)}\n`;
  withLock(path, () => {
    const fd = openSync(path, "a", 0o644);
    try {
      writeSync(fd, line);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  });
}

/** Read a JSONL stream, skipping a torn last line (a crash mid-append) but nothing else. */
export function readJsonl<S extends z.ZodType>(path: string, schema: S): z.output<S>[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw workspaceError(`could not read ${path}`, { cause: error });
  }
  const lines = text.split("\n");
  const out: z.output<S>[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    const last = index === lines.length - 1;
    try {
      const parsed = schema.safeParse(JSON.parse(line));
      if (parsed.success) out.push(parsed.data);
      else if (!last) throw new Error(parsed.error.issues[0]?.message);
    } catch (error) {
      if (!last) throw workspaceError(`${path}:${index + 1} is not a valid record`, { cause: error });
    }
  });
  return out;
}
