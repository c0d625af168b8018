// callProvider's stop at the CLI's Nth throttle retry (a failover is waiting): the call ends rate_limit
// or overloaded at once; one whose only request was refused costs $0 exactly, and one that had an answer
// first (a reply cut at max_tokens, resumed with no tool call) is billed, never $0. A scripted CLI stream.
import { describe, expect, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { callProvider } from "../../src/providers/call.ts";
import { claude } from "../../src/providers/claude.ts";
import { tmpdir } from "../helpers/tmp.ts";

const INIT = { type: "system", subtype: "init", session_id: "s", model: "claude-sonnet-5-5", tools: [] };
const retry = (status: number) => ({ type: "system", subtype: "api_retry", attempt: 1, retry_delay_ms: 30000, error_status: status });
const TEXT = { type: "assistant", message: { model: "claude-sonnet-5-5", content: [{ type: "text", text: "half an answer" }] } };

/** A `claude` that prints `lines` (JSON), then waits as Claude Code does before its next attempt (or exits: `wait: false`). */
async function scripted(lines: unknown[], options: { stopAfterRetries?: number; wait?: false } = {}) {
  const { wait, ...call } = options;
  const dir = await tmpdir();
  const bin = join(dir.path, "claude");
  const printed = lines.map((l) => `echo '${JSON.stringify(l)}'`).join("\n");
  writeFileSync(bin, `#!/bin/sh\n${printed}\n${wait === false ? "" : "sleep 30\n"}`);
  chmodSync(bin, 0o755);
  const started = performance.now();
  const result = await callProvider(claude, {
    prompt: "go",
    model: "claude-sonnet-5-5",
    role: "build",
    cwd: dir.path,
    scratchDir: dir.path,
    denyRead: [],
    allowRoot: true,
    sandboxed: true,
    binaryPath: bin,
    help: { version: "2.1.330", flags: new Set(["--output-format"]) },
    transcript: join(dir.path, "agent.jsonl"),
    timeoutMs: 60_000,
    idleTimeoutMs: 60_000,
    env: { PATH: process.env.PATH },
    ...call,
  });
  await dir[Symbol.asyncDispose]();
  return { result, ms: performance.now() - started };
}

describe("the stop at a throttle retry", () => {
  test("the first 429 retry ends the call at once, rate_limit, $0 exact: its only request was refused", async () => {
    const { result, ms } = await scripted([INIT, retry(429)], { stopAfterRetries: 1 });
    expect(ms).toBeLessThan(10_000);
    expect(result).toMatchObject({ ok: false, errorClass: "rate_limit", costUsd: 0, costBasis: "exact" });
  });

  test("an overload (529) is a throttle too: with a count of 2, the second retry ends the call, overloaded", async () => {
    const { result } = await scripted([INIT, retry(529), retry(529)], { stopAfterRetries: 2 });
    expect(result).toMatchObject({ ok: false, errorClass: "overloaded" });
  });

  test("a call that had an answer before the throttle is billed (estimated, never $0)", async () => {
    const { result } = await scripted([INIT, TEXT, retry(429)], { stopAfterRetries: 1 });
    expect(result.errorClass).toBe("rate_limit");
    expect(result.costBasis).toBe("estimated");
    expect(result.costUsd).toBeGreaterThan(0);
  });

  test("no failover waiting (no stopAfterRetries): the CLI's own retries run their course", async () => {
    // A CLI that reports a retry, then recovers and answers: never stopped.
    const done = { type: "result", subtype: "success", is_error: false, result: "ok", total_cost_usd: 0.01, usage: {} };
    const { result } = await scripted([INIT, retry(429), done], { wait: false });
    expect(result).toMatchObject({ ok: true, errorClass: null });
  });
});
