// What a tool answers: one text block of compact JSON, `isError` when the call failed. Every failure is
// a message that names the next step — never a stack — and a long call reports progress while it works.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { LokiError, messageOf } from "../core/errors.ts";
import type { LokiCall } from "./call.ts";
import { ToolInputError } from "./paths.ts";

export function ok(value: unknown): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(value) }] };
}

export function fail(message: string): CallToolResult {
  return { content: [{ type: "text", text: message }], isError: true };
}

/** A loki command's error JSON (`{ok: false, error}`), or what its stderr said, as a failed tool call. */
export function callFailure(call: LokiCall, what: string): CallToolResult {
  const error = isRecord(call.json) && isRecord(call.json.error) ? call.json.error : null;
  if (error) return fail(`${what} failed: ${String(error.message)}${error.hint ? ` (${String(error.hint)})` : ""}`);
  if (call.timedOut) return fail(`${what} timed out`);
  return fail(`${what} failed (exit ${call.code ?? "killed"})${call.stderr ? `: ${call.stderr}` : ""}`);
}

/** A loki command's error JSON marks a failed call; its other exit codes are answers (a verdict). */
export function isErrorJson(call: LokiCall): boolean {
  return call.json === null || (isRecord(call.json) && call.json.ok === false);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Runs a tool's body: a refused argument or a loki error becomes `isError`, anything else too (logged). */
export async function guarded(log: (text: string) => void, name: string, body: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof ToolInputError) return fail(error.message);
    if (error instanceof LokiError) return fail(`${error.message}${error.hint ? ` (${error.hint})` : ""}`);
    log(`${name}: ${messageOf(error)}`);
    return fail(`${name} failed: ${messageOf(error)}`);
  }
}

type ProgressExtra = {
  _meta?: { progressToken?: string | number };
  sendNotification: (n: {
    method: "notifications/progress";
    params: { progressToken: string | number; progress: number; message?: string };
  }) => Promise<void>;
};

/** While `work` runs, a client that asked for progress hears every `everyMs` how long it has been. */
export async function withProgress<T>(extra: ProgressExtra, what: string, work: () => Promise<T>, everyMs = 5000): Promise<T> {
  const token = extra._meta?.progressToken;
  if (token === undefined) return work();
  const started = Date.now();
  const timer = setInterval(() => {
    const seconds = Math.round((Date.now() - started) / 1000);
    extra
      .sendNotification({
        method: "notifications/progress",
        params: { progressToken: token, progress: seconds, message: `${what}: ${seconds}s` },
      })
      .catch(() => {});
  }, everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
