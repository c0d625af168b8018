// The one way loki runs a subprocess (Bun.spawn): argv only (no shell), stdin ignored (or fed a given input), its own
// process group, bounded output, a result record instead of a thrown error, a debug line in the log at start and end. A
// timeout kills the whole group, and so does loki's exit. A run records every child it starts (watchSpawns) for kill -9.
import { AsyncLocalStorage } from "node:async_hooks";
import { onExit } from "signal-exit";
import { argvForLog, logDebug } from "./log.ts";
import { signalGroup } from "./proc.ts";

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
  /**
   * A call that holds no lock and ends by itself once loki is gone (a read-only git query: its next
   * write to the closed pipe ends it): not reported to the spawn watch, so a run does not rewrite
   * state/children.json for it.
   */
  ephemeral?: boolean;
  /** Grace period between SIGTERM and SIGKILL of the process group. */
  killGraceMs?: number;
  /** Bytes kept per stream (default 8 MiB); past them the group is ended and the result says truncated. */
  maxOutputBytes?: number;
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
  /** Takes stdout's bytes as they arrive, within maxOutputBytes, instead of keeping them: the result's
   *  stdout is then "" (a large output parsed as it streams is never held whole). */
  onStdout?: (chunk: Uint8Array) => void;
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

/** Live children's pids (each leads its own group), ended when loki exits or is killed by a signal. */
const live = new Set<number>();
let cleanupInstalled = false;

function endLiveGroupsOnExit(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  onExit(() => {
    for (const pid of live) signalGroup(pid, "SIGTERM");
  });
}

function childEnv(options: ExecOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.replaceEnv ? (options.env ?? {}) : { ...process.env, ...options.env }))
    if (value !== undefined) env[name] = value;
  return env;
}

/**
 * Reads one output stream to its end: its first `max` bytes kept (or handed to `sink`; past them `over`
 * is called, once), every chunk reported (idle timer, lines). A read error ends the reading, never the caller.
 */
async function collect(
  stream: ReadableStream<Uint8Array>,
  max: number,
  over: () => void,
  onChunk: (chunk: Uint8Array) => void,
  abandon: Promise<void>,
  sink?: (chunk: Uint8Array) => void,
): Promise<Uint8Array[]> {
  const kept: Uint8Array[] = [];
  let left = max;
  let exceeded = false;
  // A reader, not `for await`: Bun's async iterator costs about 0.4 ms more CPU per process (a run starts about a hundred).
  const reader = stream.getReader();
  void abandon.then(() => reader.cancel().catch(() => {}));
  try {
    for (;;) {
      const { done, value: chunk } = await reader.read();
      if (done) break;
      onChunk(chunk);
      // Past the cap, whether a chunk straddles it or starts right at it (reads end on 4 KiB multiples,
      // the cap is one): output was lost, never a whole answer.
      if (left <= 0) {
        if (chunk.length > 0 && !exceeded) over();
        exceeded ||= chunk.length > 0;
        continue;
      }
      const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
      if (sink) sink(part);
      else kept.push(part);
      left -= part.length;
      if (chunk.length > part.length) {
        exceeded = true;
        over();
      }
    }
  } catch {
    // the pipe failed: what was read is the output
  }
  return kept;
}

export async function run(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
  const [file] = argv;
  if (file === undefined) throw new Error("run: empty argv");
  const started = performance.now();
  const cwd = options.cwd ?? process.cwd();
  let timedOut = false;
  let timeoutKind: ExecResult["timeoutKind"] = null;
  let truncated = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let killTimer: ReturnType<typeof setTimeout> | undefined;

  // The exit handler first: a SIGTERM that lands while the child starts would otherwise find no
  // handler and end loki by default, the child's group left running (seen under load).
  endLiveGroupsOnExit();
  let child: ReturnType<typeof Bun.spawn<"ignore", "pipe", "pipe">>;
  try {
    child = Bun.spawn(argv, {
      cwd,
      env: childEnv(options),
      stdin: options.input === undefined ? "ignore" : Buffer.from(options.input, "utf8"),
      stdout: "pipe",
      stderr: "pipe",
      // Its own session and group: a timeout or a cancel ends every process it started.
      detached: true,
    }) as typeof child;
  } catch (error) {
    const spawnError = error instanceof Error ? error.message : String(error);
    logDebug({ cmd: argvForLog(argv), cwd, child_pid: null }, "exec started");
    logDebug({ cmd: argvForLog(argv), cwd, child_pid: null, exit: null, signal: null, spawn_error: spawnError }, "exec finished");
    const durationMs = Math.round(performance.now() - started);
    return {
      argv,
      exitCode: null,
      signal: null,
      timedOut,
      timeoutKind,
      spawnError,
      durationMs,
      stdout: "",
      stderr: "",
      truncated,
      digest: "",
      ok: false,
    };
  }
  const pid = child.pid;
  live.add(pid);

  // A process loki stopped whose pipes something still holds once it is gone — a sandboxed descendant
  // that left the group (bwrap's --new-session) as the signal came — would hold this call open for as
  // long as that one lives: once both have happened, the pipes get the kill grace to drain, then close.
  let stopRequested = () => {};
  const stopped = new Promise<void>((resolve) => {
    stopRequested = resolve;
  });
  const grace = options.killGraceMs ?? 2000;
  const abandon = Promise.all([stopped, child.exited]).then(() => Bun.sleep(grace));
  const stop = () => {
    if (killTimer !== undefined) return;
    stopRequested();
    signalGroup(pid, "SIGTERM");
    killTimer = setTimeout(() => signalGroup(pid, "SIGKILL"), grace);
  };
  const expire = (kind: "wall" | "idle") => {
    if (timedOut) return;
    timedOut = true;
    timeoutKind = kind;
    stop();
  };
  if (options.timeoutMs !== undefined) timer = setTimeout(() => expire("wall"), options.timeoutMs);
  const idle = options.idleTimeoutMs;
  const rearm = () => {
    if (idle === undefined) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => expire("idle"), idle);
  };
  rearm();
  // Cancelling takes the whole group down, not only the leader.
  options.signal?.addEventListener("abort", stop, { once: true });
  if (options.signal?.aborted) stop();
  const watch = options.ephemeral ? undefined : watching.getStore();
  tell(watch, (w) => w.spawned({ pid, argv, cwd }));
  options.onSpawn?.(pid);
  logDebug({ cmd: argvForLog(argv), cwd, child_pid: pid }, "exec started");

  // Output past the cap (per stream) ends the process: it would otherwise fill memory.
  const max = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  const over = () => {
    truncated = true;
    stop();
  };
  const lines = options.onLine ? lineSplitter(options.onLine) : null;
  const [out, err] = await Promise.all([
    collect(
      child.stdout,
      max,
      over,
      (chunk) => {
        rearm();
        lines?.push(chunk, "stdout");
      },
      abandon,
      options.onStdout,
    ),
    collect(
      child.stderr,
      max,
      over,
      (chunk) => {
        rearm();
        lines?.push(chunk, "stderr");
      },
      abandon,
    ),
  ]);
  lines?.end();
  await child.exited;
  live.delete(pid);
  options.signal?.removeEventListener("abort", stop);
  clearTimeout(timer);
  clearTimeout(idleTimer);
  // A group member may outlive the leader (a daemonized grandchild): never leave it behind.
  if (timedOut || truncated || options.signal?.aborted) signalGroup(pid, "SIGKILL");
  clearTimeout(killTimer);
  tell(watch, (w) => w.exited(pid));

  const decode = (chunks: Uint8Array[]) => Buffer.concat(chunks).toString(options.encoding ?? "utf8");
  const stdout = decode(out);
  const stderr = decode(err);
  const exitCode = child.exitCode;
  const signal = child.signalCode === null ? null : String(child.signalCode);
  const durationMs = Math.round(performance.now() - started);
  const ok = exitCode === 0 && !timedOut;
  // A failure's digest now (its log line carries it); a success's when first read: most never are, and a diff's stdout is megabytes.
  let digest = ok ? undefined : digestOf(stdout, stderr);
  // A call that went well is named by its pid alone (its "exec started" line has the command): half the
  // bytes to redact and write for the hundred-odd calls of a run. A failure's line stands on its own.
  logDebug(
    {
      ...(ok ? {} : { cmd: argvForLog(argv), cwd }),
      child_pid: pid,
      exit: exitCode,
      signal,
      timed_out: timeoutKind,
      spawn_error: null,
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
    spawnError: null,
    durationMs,
    stdout,
    stderr,
    truncated,
    get digest() {
      digest ??= digestOf(stdout, stderr);
      return digest;
    },
    ok,
  };
}

/** Whole lines of each stream, decoded as they arrive (a character split across chunks stays whole). */
function lineSplitter(onLine: NonNullable<ExecOptions["onLine"]>) {
  const state = { stdout: { decoder: new TextDecoder(), pending: "" }, stderr: { decoder: new TextDecoder(), pending: "" } };
  return {
    push(chunk: Uint8Array, stream: "stdout" | "stderr") {
      const s = state[stream];
      s.pending += s.decoder.decode(chunk, { stream: true });
      const lines = s.pending.split("\n");
      s.pending = lines.pop() ?? "";
      for (const line of lines) onLine(line, stream);
    },
    end() {
      for (const stream of ["stdout", "stderr"] as const) {
        const s = state[stream];
        s.pending += s.decoder.decode();
        if (s.pending !== "") onLine(s.pending, stream);
        s.pending = "";
      }
    },
  };
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
