// One provider call: the invocation, the prompt handed over (stdin or a 0600 file, never argv), the CLI
// spawned (own process group, timeouts), its stdout kept as the transcript (redacted, 0600, whole lines),
// parsed and summarized. A CLI that cannot start is not_started; an unwritable transcript stops the call,
// and so does the Nth rate-limit/overloaded retry the CLI reports when the caller can fail over.
import { accessSync, constants, rmSync } from "node:fs";
import { type ExecResult, run } from "../core/exec.ts";
import { appendLine, replaceFile } from "../core/durable.ts";
import { PRICING } from "../core/models.ts";
import type { LokiError } from "../core/errors.ts";
import { redactText } from "../core/redact.ts";
import { summarizeCall, type CallOutcome } from "./outcome.ts";
import type { HelpInfo, InvocationRequest, PromptFile, Provider, ProviderEvent } from "./provider.ts";

export type CallRequest = InvocationRequest & {
  binaryPath: string;
  help: HelpInfo;
  /** iterations/<n>/agent.jsonl: the stream, redacted, appended line by line. */
  transcript: string;
  timeoutMs: number;
  idleTimeoutMs: number;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
  onEvent?: (event: ProviderEvent) => void;
  onSpawn?: (pid: number) => void;
  /** The user's price for this provider (providers.<id>.price): every token is billed at it, "declared". */
  price?: { input: number; output: number };
  /** The call goes to a custom base URL: the CLI's cost figure is its own table's, exact only for a model loki's table lists too. */
  customBaseUrl?: boolean;
  /**
   * Stop the call at the CLI's Nth retry event for a rate limit or overload (the caller has a provider to
   * fail over to): the call ends rate_limit/overloaded at once instead of sitting out the CLI's own retries.
   */
  stopAfterRetries?: number;
  /** Puts the final argv/env in loki's OS sandbox (the loop builds it per role); absent = unsandboxed. */
  wrap?: (argv: string[], env: Record<string, string | undefined>) => { argv: string[]; env: Record<string, string | undefined> };
};

export type CallResult = CallOutcome & {
  exitCode: number | null;
  stderrTail: string;
  /** Why the CLI could not be started (its binary gone or not executable), else null. */
  spawnError: string | null;
  /** The transcript could not be written (a full disk): the call was stopped there; the caller bills it, then throws this. */
  transcriptError: LokiError | null;
};

export async function callProvider(provider: Provider, req: CallRequest): Promise<CallResult> {
  // What prepare() leaves (a copied login holding a key) goes whichever way the call ends, a throw included.
  try {
    provider.prepare?.(req);
    return await runCall(provider, req);
  } finally {
    provider.cleanup?.(req);
  }
}

async function runCall(provider: Provider, req: CallRequest): Promise<CallResult> {
  const invocation = provider.invocation(req, req.help);
  const unrunnable = cannotRun(req.binaryPath);
  if (unrunnable) return { ...notStarted(provider, req, unrunnable), transcriptError: null };
  const plain = { argv: [req.binaryPath, ...invocation.argv.slice(1)], env: { ...req.env, ...invocation.env } };
  const { argv, env } = req.wrap ? req.wrap(plain.argv, plain.env) : plain;
  const files = writePromptFiles(invocation.files ?? []);
  const events: ProviderEvent[] = [];
  // A transcript that cannot be written is a record lost: the agent is stopped, not left running blind.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  req.signal?.addEventListener("abort", onAbort, { once: true });
  if (req.signal?.aborted) stop.abort();
  let transcriptError: LokiError | null = null;
  let throttled: "rate_limit" | "overloaded" | null = null;
  let retries = 0;
  const onRetry = (event: ProviderEvent) => {
    if (event.kind !== "retry" || req.stopAfterRetries === undefined || throttled) return;
    const kind = throttleOf(event.errorStatus);
    if (!kind) return;
    retries += 1;
    if (retries < req.stopAfterRetries) return;
    throttled = kind;
    stop.abort();
  };
  let exec: ExecResult;
  try {
    exec = await run(argv, {
      cwd: req.cwd,
      env,
      timeoutMs: req.timeoutMs,
      idleTimeoutMs: req.idleTimeoutMs,
      signal: stop.signal,
      onSpawn: req.onSpawn,
      maxOutputBytes: 64 * 1024 * 1024,
      ...(invocation.stdin === undefined ? {} : { input: invocation.stdin }),
      onLine: (line, stream) => {
        if (stream !== "stdout") return;
        if (!transcriptError) {
          try {
            // One append per output line: a resume after a power loss makes the call again, so no fsync.
            appendLine(req.transcript, `${redactText(line).text}\n`, 0o600, "process");
          } catch (error) {
            transcriptError = error as LokiError;
            stop.abort();
          }
        }
        for (const event of provider.parse(line)) {
          events.push(event);
          req.onEvent?.(event);
          onRetry(event);
        }
      },
    });
  } finally {
    req.signal?.removeEventListener("abort", onAbort);
    removePromptFiles(files);
  }
  const outcome = summarizeCall(events, exec, req.model, provider, {
    ...(req.price ? { declared: req.price } : {}),
    reportedExact: !req.customBaseUrl || PRICING.models[req.model] !== undefined,
  });
  // Stopped while its first request was being throttled, before any answer: nothing but its start, the
  // retries and errors reported — the API billed nothing (a 429 costs nothing). Any text or tool call means
  // a request was answered (a reply cut at max_tokens is resumed with no tool call between): billed as usual.
  const unanswered = events.every((e) => e.kind === "init" || e.kind === "retry" || e.kind === "error");
  return {
    ...outcome,
    ...(throttled && !transcriptError && !req.signal?.aborted ? { ok: false, errorClass: throttled } : {}),
    ...(throttled && unanswered ? { costUsd: 0, costBasis: "exact" as const, usage: {} } : {}),
    exitCode: exec.exitCode,
    stderrTail: exec.stderr.split("\n").slice(-20).join("\n"),
    spawnError: exec.spawnError,
    transcriptError,
  };
}

/** Why `path` cannot be executed now (gone, or not executable), or null. Checked before the spawn:
 *  inside the sandbox a missing binary is bwrap's exit 1, not a spawn error. */
function cannotRun(path: string): string | null {
  try {
    accessSync(path, constants.X_OK);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    return code === "ENOENT" ? `ENOENT: ${path} does not exist` : `${code || "EACCES"}: ${path} is not executable`;
  }
}

/** A call whose CLI never ran: summarized as not_started, at no cost (outcome.ts). */
function notStarted(provider: Pick<Provider, "id" | "capabilities">, req: CallRequest, why: string): Omit<CallResult, "transcriptError"> {
  const exit = { exitCode: null, timedOut: false, signal: null, spawnError: why, durationMs: 0 };
  return { ...summarizeCall([], exit, req.model, provider), exitCode: null, stderrTail: "", spawnError: why };
}

/** The error class of a retry the CLI reported, when it is a throttle: 429 a rate limit; 529 and 503 an overload. */
function throttleOf(status: number | undefined): "rate_limit" | "overloaded" | null {
  return status === 429 ? "rate_limit" : status === 529 || status === 503 ? "overloaded" : null;
}

/** Calls in flight per prompt file: two calls with the same prompt share one (it is named by content). */
const inFlight = new Map<string, number>();

function writePromptFiles(files: PromptFile[]): PromptFile[] {
  for (const file of files) {
    replaceFile(file.path, file.content);
    inFlight.set(file.path, (inFlight.get(file.path) ?? 0) + 1);
  }
  return files;
}

/** A prompt file goes when the last call using it is over. */
function removePromptFiles(files: PromptFile[]): void {
  for (const { path } of files) {
    const left = (inFlight.get(path) ?? 1) - 1;
    if (left > 0) inFlight.set(path, left);
    else {
      inFlight.delete(path);
      try {
        rmSync(path, { force: true });
      } catch {
        // the scratch dir went away with the run's tmp: nothing left to remove
      }
    }
  }
}
