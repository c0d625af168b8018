// Claude Code stream-json parsing over every real sample, and the call outcome each one yields:
// exact per-call cost, error classes from is_error/terminal_reason/status (never `subtype`).
import { describe, expect, test } from "bun:test";
import { claude } from "../../src/providers/claude.ts";
import { summarizeCall } from "../../src/providers/outcome.ts";
import type { ProviderEvent } from "../../src/providers/provider.ts";
import { exitWith, parseSample, sampleEvent } from "../helpers/provider-fixtures.ts";

const OPUS = "claude-opus-5-5";
const tokens = (input: number, output: number) => ({ input, output, cache_read: 0, cache_write: 0 });
const init = (sessionId: string, toolCount: number) => ({ kind: "init", model: OPUS, sessionId, toolCount });
const wrote = (dir: string) => ({
  kind: "tool_use",
  tool: "Write",
  input: { file_path: `<probe>/${dir}/hello.txt`, content: "hello from fake model\n" },
});
const created = (dir: string) => ({
  kind: "tool_result",
  isError: false,
  text: `File created successfully at: <probe>/${dir}/hello.txt (file state is current in your context — no need to Read it back)`,
});
const done = (costUsd: number, usage: Record<string, ReturnType<typeof tokens>>, permissionDenials = 0) => ({
  kind: "result",
  isError: false,
  text: "DONE",
  errorClass: null,
  costUsd,
  usage,
  permissionDenials,
});
const API_500 =
  "API Error: 500 fake api_error. This is a server-side issue, usually temporary — try again in a moment. If it persists, check your inference gateway (127.0.0.1:18080).";

/** The init event's tool list is long: compare its length, the rest exactly. */
function normalized(events: ProviderEvent[]) {
  return events.map((e) => {
    if (e.kind !== "init") return e;
    const { tools, ...rest } = e;
    return { ...rest, toolCount: tools?.length };
  });
}

const SAMPLES: [string, unknown[]][] = [
  [
    "claude-stream-json.success.jsonl",
    [
      init("5d68a942-94e2-4a41-b36c-3014ab4fda8e", 22),
      wrote("runs/basic/repo"),
      created("runs/basic/repo"),
      { kind: "text", text: "DONE" },
      done(0.10063599999999999, { [OPUS]: tokens(25039, 24) }),
    ],
  ],
  [
    "claude-stream-json.include-partial-messages.jsonl",
    [
      init("6460431b-457b-430e-bd57-b226a1019728", 22),
      wrote("runs/partial/repo"),
      created("runs/partial/repo"),
      { kind: "text", text: "DONE" },
      done(0.10064799999999999, { [OPUS]: tokens(25042, 24) }),
    ],
  ],
  [
    "claude-stream-json.api-error-500.jsonl",
    [
      init("c620b113-16e1-4812-ad80-38b8af517e6c", 22),
      { kind: "retry", attempt: 1, errorStatus: 500, delayMs: 509 },
      { kind: "error", errorClass: "api_error", message: API_500 },
      { kind: "result", isError: true, text: API_500, errorClass: "api_error", costUsd: 0, usage: {}, permissionDenials: 0 },
    ],
  ],
  [
    "claude-stream-json.max-budget.jsonl",
    [
      init("711d915d-5b61-435d-b0e7-cbbe646289cc", 22),
      wrote("runs/budget/repo"),
      {
        kind: "result",
        isError: true,
        text: "",
        errorClass: "budget",
        costUsd: 0.050159999999999996,
        usage: { [OPUS]: tokens(12480, 12) },
        permissionDenials: 0,
      },
    ],
  ],
  [
    "claude-stream-json.max-turns-1.jsonl",
    [
      init("ed798931-bb38-4431-a7b4-8b9a1562f70e", 22),
      wrote("runs/maxturns1/repo"),
      created("runs/maxturns1/repo"),
      {
        kind: "result",
        isError: true,
        text: "",
        errorClass: "max_turns",
        costUsd: 0.050123999999999995,
        usage: { [OPUS]: tokens(12471, 12) },
        permissionDenials: 0,
      },
    ],
  ],
  [
    "claude-stream-json.permission-denied.jsonl",
    [
      init("e95cd1f7-8ed3-458c-b58b-cff62c87bd35", 22),
      wrote("runs/write-default-mode/repo"),
      {
        kind: "tool_result",
        isError: true,
        text: "Claude requested permissions to write to <probe>/runs/write-default-mode/repo/hello.txt, but you haven't granted it yet.",
      },
      { kind: "text", text: "DONE" },
      done(0.100328, { [OPUS]: tokens(24962, 24) }, 1),
    ],
  ],
  [
    "claude-stream-json.disallowed-write.jsonl",
    [
      init("f5b2068d-b669-449f-b13c-5befd975cbd1", 20),
      wrote("runs/deny-Edit_Write/repo"),
      {
        kind: "tool_result",
        isError: true,
        text: "<tool_use_error>Error: No such tool available: Write. Write is disabled for this session, in subagents as well as here.</tool_use_error>",
      },
      { kind: "text", text: "DONE" },
      done(0.09648799999999999, { [OPUS]: tokens(24002, 24) }),
    ],
  ],
  [
    "claude-stream-json.model-fallback.jsonl",
    [
      init("e7cb05e3-bac8-4823-8515-f135d217e79f", 22),
      { kind: "retry", attempt: 1, errorStatus: 529, delayMs: 621 },
      { kind: "retry", attempt: 2, errorStatus: 529, delayMs: 1203 },
      { kind: "model_fallback", from: OPUS, to: "claude-sonnet-5-5", reason: "overloaded" },
      wrote("runs/fallback/repo"),
      created("runs/fallback/repo"),
      { kind: "text", text: "DONE" },
      done(0.05041999999999999, { "claude-sonnet-5-5": tokens(25090, 24) }),
    ],
  ],
  // --output-format json: one result line, no per-call usage map, so no exact cost.
  [
    "claude-output-format-json.json",
    [
      {
        kind: "result",
        isError: false,
        text: "DONE",
        errorClass: null,
        costUsd: null,
        usage: { "*": tokens(25042, 24) },
        permissionDenials: 0,
      },
    ],
  ],
];

describe("claude.parse on real samples", () => {
  test.each(SAMPLES)("%s", (name, expected) => {
    expect(normalized(parseSample(claude, name))).toEqual(expected as ReturnType<typeof normalized>);
  });

  test("init carries the tool list the CLI offered", () => {
    const [first] = parseSample(claude, "claude-stream-json.disallowed-write.jsonl");
    expect(first?.kind === "init" && first.tools).toContain("Bash");
    expect(first?.kind === "init" && first.tools).not.toContain("Write");
  });

  test("noise, partial lines and unknown types give no events", () => {
    for (const line of [
      "",
      "Warning: no stdin data received in 3s",
      "{not json",
      "[1,2]",
      '{"type":"stream_event","event":{}}',
      '{"type":"system","subtype":"status"}',
      '{"type":"mystery"}',
    ]) {
      expect(claude.parse(line)).toEqual([]);
    }
  });
});

/** The success sample's result line with some fields replaced. */
function resultWith(fields: Record<string, unknown>): ProviderEvent[] {
  return claude.parse(JSON.stringify({ ...sampleEvent("claude-stream-json.success.jsonl", "result"), ...fields }));
}

describe("claude result classification", () => {
  test.each([
    [401, "Failed to authenticate. API Error: 401 fake authentication_error", "auth"],
    [403, "API Error: 403 forbidden", "auth"],
    [404, "API Error: 404 model: claude-nope not found", "unknown_model"],
    [404, "API Error: 404 not found", "api_error"],
    [429, "API Error: 429 rate limited", "rate_limit"],
    [529, "API Error: 529 overloaded", "overloaded"],
    [502, "API Error: 502 bad gateway", "api_error"],
  ])("status %d → %s", (status, text, errorClass) => {
    const [event] = resultWith({
      is_error: true,
      subtype: "success",
      api_error_status: status,
      terminal_reason: "api_error",
      result: text,
    });
    expect(event).toMatchObject({ kind: "result", isError: true, errorClass });
  });

  test("subtype never decides: success subtype with is_error is an error, error subtype without it is not", () => {
    expect(resultWith({ is_error: true, subtype: "success", terminal_reason: "api_error" })[0]).toMatchObject({
      isError: true,
      errorClass: "api_error",
    });
    expect(resultWith({ is_error: false, subtype: "error_during_execution" })[0]).toMatchObject({ isError: false, errorClass: null });
  });

  test("cost is this call's (model_usage_since_last_result), never the session total", () => {
    const since = {
      [OPUS]: { inputTokens: 25039, outputTokens: 24, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUSD: 0.100636 },
    };
    const [event] = resultWith({
      total_cost_usd: 0.3051,
      modelUsage: { [OPUS]: { ...since[OPUS], costUSD: 0.3051 } },
      model_usage_since_last_result: since,
    });
    expect(event).toMatchObject({ costUsd: 0.100636 });
  });

  test("a model with tokens but a zero price is unknown cost, not free", () => {
    const since = {
      "claude-custom": { inputTokens: 1000, outputTokens: 10, cacheReadInputTokens: 5, cacheCreationInputTokens: 7, costUSD: 0 },
    };
    expect(resultWith({ model_usage_since_last_result: since })[0]).toMatchObject({
      costUsd: null,
      usage: { "claude-custom": { input: 1000, output: 10, cache_read: 5, cache_write: 7 } },
    });
  });
});

describe("claude call outcomes", () => {
  const outcome = (name: string, exitCode: number) => summarizeCall(parseSample(claude, name), exitWith(exitCode), OPUS, claude);

  test("success: exact cost from the per-call usage map", () => {
    const result = outcome("claude-stream-json.success.jsonl", 0);
    expect(result).toMatchObject({
      ok: true,
      errorClass: null,
      costBasis: "exact",
      finalText: "DONE",
      toolUses: 1,
      permissionDenials: 0,
      claimedDone: false,
      durationMs: 1234,
    });
    expect(result.costUsd).toBeCloseTo(0.100636, 9);
    expect(result.usage).toEqual({ [OPUS]: tokens(25039, 24) });
  });

  test("API error 500 is api_error and not ok", () => {
    expect(outcome("claude-stream-json.api-error-500.jsonl", 1)).toMatchObject({
      ok: false,
      errorClass: "api_error",
      costBasis: "exact",
      costUsd: 0,
    });
  });

  test("max budget is budget; max turns is max_turns", () => {
    expect(outcome("claude-stream-json.max-budget.jsonl", 1)).toMatchObject({ ok: false, errorClass: "budget", costBasis: "exact" });
    expect(outcome("claude-stream-json.max-turns-1.jsonl", 1)).toMatchObject({ ok: false, errorClass: "max_turns" });
  });

  test("denied tools do not fail the call but are counted", () => {
    expect(outcome("claude-stream-json.permission-denied.jsonl", 0)).toMatchObject({ ok: true, permissionDenials: 1, errorClass: null });
    expect(outcome("claude-stream-json.disallowed-write.jsonl", 0)).toMatchObject({ ok: true, permissionDenials: 0, toolUses: 1 });
  });

  test("model fallback: usage and cost are the fallback model's", () => {
    const result = outcome("claude-stream-json.model-fallback.jsonl", 0);
    expect(result).toMatchObject({ ok: true, costBasis: "exact", usage: { "claude-sonnet-5-5": tokens(25090, 24) } });
    expect(result.costUsd).toBeCloseTo(0.05042, 9);
  });

  test("--output-format json has no per-call map: cost is estimated from tokens at the dispatched model", () => {
    const result = outcome("claude-output-format-json.json", 0);
    expect(result).toMatchObject({ ok: true, costBasis: "estimated" });
    expect(result.costUsd).toBeCloseTo((25042 * 4 + 24 * 20) / 1_000_000, 9);
  });
});
