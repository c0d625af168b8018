// The one way loki runs a subprocess: argv only (no shell), stdin ignored (or fed a given input), its own process group,
// bounded output, a result record instead of a thrown error, a debug line in the log at start and end. A timeout kills
// the whole group. A run watches every child it starts (watchSpawns) so that a later process can end what a kill -9 left.
import { AsyncLocalStorage } from "node:async_hooks";
import { execa } from "execa";
import { argvForLog, logDebug } from "./log.ts";

export type ExecOptions = {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Replace the environment instead of extending process.env. */
  replaceEnv?: boolean;
  timeoutMs?: number;
  /** Kill the group when neither stream has produced output for this long. */
  idleTimeoutMs?: number;
  /** Called once the child has a pid (to record it for crash recovery). */
  onSpawn?: (pid: number) => void;
  /** Grace period between SIGTERM and SIGKILL of the process group. */
  killGraceMs?: number;
  maxOutputBytes?: number;
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
  signal?: AbortSignal;
  /** Written to the child's stdin, which is then closed; without it stdin is ignored. */
  input?: string;
  /** latin1 keeps one character per output byte, for binary content; default utf8. */
  encoding?: "utf8" | "latin1";
};

export type ExecResult = {
  argv: string[];
  /** null when the process could not start or was killed by a signal. */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Which limit killed it: the wall clock or the idle timer. */
  timeoutKind: "wall" | "idle" | null;
  /** The binary was not found or could not be started. */
  spawnError: string | null;
  durationMs: number;
  stdout: string;
  stderr: string;
  truncated: boolean;
  /** The failing lines only, capped: for messages and prompts. */
  digest: string;
  ok: boolean;
};

const DEFAULT_MAX_OUTPUT = 8 * 1024 * 1024;

/** Told of every child started within watchSpawns' scope: once it has a pid, and once it has ended. */
export type SpawnWatch = {
  spawned: (child: { pid: number; argv: readonly string[]; cwd: string }) => void;
  exited: (pid: number) => void;
};

const watching = new AsyncLocalStorage<SpawnWatch>();

/** Run `work` with every child it starts, however deep in its calls, reported to `watch`. */
export function watchSpawns<T>(watch: SpawnWatch, work: () => Promise<T>): Promise<T> {
  return watching.run(watch, work);
}

/** A watcher must never turn a spawn into a throw: what it fails to record is only not recorded. */
function tell(watch: SpawnWatch | undefined, report: (watch: SpawnWatch) => void): void {
  if (!watch) return;
  try {
    report(watch);
  } catch {
    // the run's record of its children is best effort; the child itself is unaffected
  }
}

export async function run(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error("run: empty argv");
  const started = performance.now();
  let timedOut = false;
  let timeoutKind: ExecResult["timeoutKind"] = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let killTimer: ReturnType<typeof setTimeout> | undefined;

  const child = execa(file, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: !options.replaceEnv,
    ...(options.input === undefined ? { stdin: "ignore" as const } : { input: options.input }),
    encoding: options.encoding ?? "utf8",
    reject: false,
    detached: true,
    cleanup: true,
    maxBuffer: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT,
    stripFinalNewline: false,
    cancelSignal: options.signal,
  });

  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // the group is already gone
    }
  };
  const expire = (kind: "wall" | "idle") => {
    if (timedOut) return;
    timedOut = true;
    timeoutKind = kind;
    killGroup("SIGTERM");
    killTimer = setTimeout(() => killGroup("SIGKILL"), options.killGraceMs ?? 2000);
  };
  if (options.timeoutMs !== undefined) timer = setTimeout(() => expire("wall"), options.timeoutMs);
  const idle = options.idleTimeoutMs;
  if (idle !== undefined) {
    const rearm = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => expire("idle"), idle);
    };
    rearm();
    child.stdout?.on("data", rearm);
    child.stderr?.on("data", rearm);
  }
  // Cancelling must take the whole group down, not only the leader execa knows about.
  const onAbort = () => {
    killGroup("SIGTERM");
    killTimer = setTimeout(() => killGroup("SIGKILL"), options.killGraceMs ?? 2000);
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const watch = watching.getStore();
  const pid = child.pid;
  if (pid !== undefined) {
    tell(watch, (w) => w.spawned({ pid, argv, cwd: options.cwd ?? process.cwd() }));
    options.onSpawn?.(pid);
  }
  if (options.onLine) attachLineReaders(child, options.onLine);
  const cwd = options.cwd ?? process.cwd();
  logDebug({ cmd: argvForLog(argv), cwd, child_pid: pid ?? null }, "exec started");

  const result = await child;
  options.signal?.removeEventListener("abort", onAbort);
  clearTimeout(timer);
  clearTimeout(idleTimer);
  // A group member may outlive the leader (a daemonized grandchild): never leave it behind.
  if (timedOut || options.signal?.aborted) killGroup("SIGKILL");
  clearTimeout(killTimer);
  if (pid !== undefined) tell(watch, (w) => w.exited(pid));

  const stdout = String(result.stdout ?? "");
  const stderr = String(result.stderr ?? "");
  const spawnError =
    result.exitCode === undefined && !result.signal ? (result.originalMessage ?? result.shortMessage ?? "could not start") : null;
  const exitCode = result.exitCode ?? null;
  const signal = result.signal ?? null;
  const durationMs = Math.round(performance.now() - started);
  const digest = digestOf(stdout, stderr);
  const ok = exitCode === 0 && !timedOut && spawnError === null;
  logDebug(
    {
      cmd: argvForLog(argv),
      cwd,
      child_pid: pid ?? null,
      exit: exitCode,
      signal,
      timed_out: timeoutKind,
      spawn_error: spawnError,
      ms: durationMs,
      ...(ok ? {} : { digest }),
    },
    "exec finished",
  );
  return {
    argv,
    exitCode,
    signal,
    timedOut,
    timeoutKind,
    spawnError,
    durationMs,
    stdout,
    stderr,
    truncated: Boolean(result.isMaxBuffer),
    digest,
    ok,
  };
}

function attachLineReaders(child: ReturnType<typeof execa>, onLine: NonNullable<ExecOptions["onLine"]>) {
  for (const stream of ["stdout", "stderr"] as const) {
    let pending = "";
    child[stream]?.on("data", (chunk: Buffer | string) => {
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) onLine(line, stream);
    });
    child[stream]?.on("end", () => {
      if (pending !== "") onLine(pending, stream);
      pending = "";
    });
  }
}

const FAILING_LINE = /\b(error|errors|fail|failed|failing|fatal|exception|panic|assert|not ok)\b|✗|✖/i;
const DIGEST_LINES = 20;
const DIGEST_CHARS = 2000;

/** Only the lines that look like failures (else the tail), capped in lines and characters. */
export function digestOf(stdout: string, stderr: string): string {
  const lines = `${stderr}\n${stdout}`
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== "");
  const failing = lines.filter((l) => FAILING_LINE.test(l));
  const chosen = (failing.length > 0 ? failing : lines.slice(-10)).slice(0, DIGEST_LINES);
  const text = chosen.map((l) => (l.length > 300 ? `${l.slice(0, 297)}...` : l)).join("\n");
  return text.length > DIGEST_CHARS ? `${text.slice(0, DIGEST_CHARS - 3)}...` : text;
}

/** Find an executable by name on PATH, then in extra directories (e.g. node_modules/.bin). No spawn. */
export function whichBinary(name: string, extraDirs: string[] = []): string | null {
  const found = Bun.which(name);
  if (found) return found;
  for (const dir of extraDirs) {
    const hit = Bun.which(name, { PATH: dir });
    if (hit) return hit;
  }
  return null;
}
