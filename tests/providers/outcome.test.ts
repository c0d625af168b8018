// summarizeCall rules that do not depend on one CLI: crashes, timeouts, the done claim, the cost
// floor for calls that reported nothing, which CLIs must end with a result event; message classes.
import { describe, expect, test } from "bun:test";
import { priceTokens } from "../../src/core/models.ts";
import { aider } from "../../src/providers/aider.ts";
import { claude } from "../../src/providers/claude.ts";
import { codex } from "../../src/providers/codex.ts";
import { classifyMessage } from "../../src/providers/lines.ts";
import { opencode } from "../../src/providers/opencode.ts";
import { FLOOR_TOKENS, summarizeCall } from "../../src/providers/outcome.ts";
import type { ErrorClass, ProviderEvent } from "../../src/providers/provider.ts";
import { exitWith } from "../helpers/provider-fixtures.ts";

const OPUS = "claude-opus-5-5";
const result = (fields: Partial<Extract<ProviderEvent, { kind: "result" }>> = {}): ProviderEvent => ({
  kind: "result",
  isError: false,
  text: "",
  errorClass: null,
  costUsd: 0.5,
  usage: {},
  permissionDenials: 0,
  ...fields,
});
const floor = priceTokens(OPUS, FLOOR_TOKENS, "claude").usd;

describe("summarizeCall", () => {
  test("a crash before any output: crash, estimated at the floor, never $0", () => {
    const outcome = summarizeCall([], exitWith(1), OPUS, claude);
    expect(outcome).toMatchObject({ ok: false, errorClass: "crash", costBasis: "estimated", usage: {}, finalText: "", toolUses: 0 });
    expect(outcome.costUsd).toBeCloseTo(floor, 9);
    expect(floor).toBeGreaterThan(0);
  });

  test("a timeout is timeout, whatever else happened", () => {
    expect(
      summarizeCall([{ kind: "text", text: "working" }], exitWith(null, { timedOut: true, signal: "SIGTERM" }), OPUS, claude),
    ).toMatchObject({
      ok: false,
      errorClass: "timeout",
      costBasis: "estimated",
    });
  });

  test("a CLI that could not start is not_started and costs nothing: no model was called", () => {
    expect(summarizeCall([], exitWith(null, { spawnError: "ENOENT" }), OPUS, codex)).toMatchObject({
      ok: false,
      errorClass: "not_started",
      costUsd: 0,
      costBasis: "exact",
      usage: {},
    });
  });

  test("claude exiting 0 without a result did not finish; aider and opencode need none", () => {
    const text: ProviderEvent[] = [{ kind: "text", text: "hi" }];
    expect(summarizeCall(text, exitWith(0), OPUS, claude)).toMatchObject({ ok: false, errorClass: "crash" });
    expect(summarizeCall(text, exitWith(0), OPUS, aider)).toMatchObject({ ok: true, errorClass: null, finalText: "hi" });
    expect(summarizeCall(text, exitWith(0), OPUS, opencode)).toMatchObject({ ok: true });
  });

  test("an error result without a class counts as api_error; retryAfterMs is passed on", () => {
    const outcome = summarizeCall([result({ isError: true, retryAfterMs: 30_000 })], exitWith(1), OPUS, claude);
    expect(outcome).toMatchObject({ ok: false, errorClass: "api_error", retryAfterMs: 30_000 });
    expect("retryAfterMs" in summarizeCall([result()], exitWith(0), OPUS, claude)).toBe(false);
  });

  test("an error event fails an otherwise clean exit", () => {
    const events: ProviderEvent[] = [{ kind: "error", errorClass: "rate_limit", message: "429", retryAfterMs: 1000 }];
    expect(summarizeCall(events, exitWith(0), OPUS, aider)).toMatchObject({ ok: false, errorClass: "rate_limit", retryAfterMs: 1000 });
  });

  test.each([
    ["All items done.\nLOKI_DONE", true],
    ["  LOKI_DONE  ", true],
    ["LOKI_DONE.", false],
    ["I will print LOKI_DONE when finished", false],
  ])("done claim in %p → %p", (text, claimed) => {
    expect(summarizeCall([result({ text })], exitWith(0), OPUS, claude).claimedDone).toBe(claimed);
    expect(summarizeCall([{ kind: "text", text }, result({ text: "" })], exitWith(0), OPUS, claude).claimedDone).toBe(claimed);
  });

  test("exact only when every result carried a cost; the rest is priced from tokens", () => {
    const tokens = { input: 1_000_000, output: 0, cache_read: 0, cache_write: 0 };
    const mixed = summarizeCall([result({ costUsd: 0.5 }), result({ costUsd: null, usage: { "*": tokens } })], exitWith(0), OPUS, aider);
    expect(mixed).toMatchObject({ costBasis: "estimated", usage: { "*": tokens } });
    expect(mixed.costUsd).toBeCloseTo(0.5 + 4, 9);
    expect(summarizeCall([result({ costUsd: 0.25 }), result({ costUsd: 0.5 })], exitWith(0), OPUS, claude)).toMatchObject({
      costBasis: "exact",
      costUsd: 0.75,
    });
  });

  test("usage keys name the model they are priced at; '*' is the dispatched model", () => {
    const tokens = { input: 1_000_000, output: 0, cache_read: 0, cache_write: 0 };
    const outcome = summarizeCall(
      [result({ costUsd: null, usage: { "claude-haiku-5-5": tokens, "*": tokens } })],
      exitWith(0),
      OPUS,
      claude,
    );
    expect(outcome.costUsd).toBeCloseTo(1 + 4, 9);
  });

  test("counts tool uses and denials across the call", () => {
    const events: ProviderEvent[] = [
      { kind: "tool_use", tool: "Write" },
      { kind: "tool_use", tool: "Bash" },
      result({ permissionDenials: 2, text: "final" }),
    ];
    expect(summarizeCall(events, exitWith(0), OPUS, claude)).toMatchObject({
      toolUses: 2,
      permissionDenials: 2,
      finalText: "final",
      ok: true,
    });
  });
});

describe("classifyMessage", () => {
  test.each<[string, ErrorClass]>([
    ["unexpected status 401 Unauthorized: you exceeded your quota", "auth"],
    ["429 Too Many Requests for this API key", "rate_limit"],
    ["Invalid API key provided", "auth"],
    ["model gpt-x not found", "unknown_model"],
    ["upstream overloaded", "overloaded"],
    ["socket hang up", "api_error"],
  ])("%p → %s", (message, errorClass) => {
    expect(classifyMessage(message)).toBe(errorClass);
  });
});
