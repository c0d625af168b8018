// Aider and OpenCode parsers. Neither CLI is installable here and no real output was captured, so
// these lines follow their documented formats (aider's token report; `opencode run --format json`).
import { describe, expect, test } from "bun:test";
import { aider } from "../../src/providers/aider.ts";
import { opencode } from "../../src/providers/opencode.ts";
import { summarizeCall } from "../../src/providers/outcome.ts";
import type { ErrorClass, ProviderEvent } from "../../src/providers/provider.ts";
import { exitWith } from "../helpers/provider-fixtures.ts";

const parseAll = (provider: { parse: (line: string) => ProviderEvent[] }, lines: string[]) => lines.flatMap((l) => provider.parse(l));

describe("aider.parse", () => {
  test("text lines are text; blank lines are nothing", () => {
    expect(aider.parse("Applied edit to src/app.ts")).toEqual([{ kind: "text", text: "Applied edit to src/app.ts" }]);
    expect(aider.parse("   ")).toEqual([]);
  });

  test.each([
    [
      "Tokens: 12k sent, 1.2k received. Cost: $0.02 message, $0.10 session.",
      { input: 12_000, output: 1_200, cache_read: 0, cache_write: 0 },
      0.02,
    ],
    [
      "Tokens: 12,450 sent, 3,200 received. Cost: $0.052 message, $0.187 session.",
      { input: 12_450, output: 3_200, cache_read: 0, cache_write: 0 },
      0.052,
    ],
    [
      "Tokens: 2.5k sent, 1.1k cache write, 20k cache hit, 300 received. Cost: $0.0063 message, $0.0063 session.",
      { input: 2_500, output: 300, cache_read: 20_000, cache_write: 1_100 },
      0.0063,
    ],
    ["Tokens: 950 sent, 42 received.", { input: 950, output: 42, cache_read: 0, cache_write: 0 }, null],
  ])("%s", (line, tokens, costUsd) => {
    expect(aider.parse(line)).toEqual([
      { kind: "result", isError: false, text: "", errorClass: null, costUsd, usage: { "*": tokens }, permissionDenials: 0 },
    ]);
  });

  test.each<[string, ErrorClass]>([
    ["litellm.AuthenticationError: AnthropicException - invalid x-api-key", "auth"],
    ["litellm.RateLimitError: rate limit exceeded", "rate_limit"],
    ["litellm.NotFoundError: model: claude-nope not found", "unknown_model"],
    ["litellm.InternalServerError: server had an error", "api_error"],
  ])("%s → %s", (line, errorClass) => {
    expect(aider.parse(line)).toEqual([{ kind: "error", errorClass, message: line }]);
  });

  test("outcome: exit 0 is enough; message costs add up and are exact", () => {
    const events = parseAll(aider, [
      "Working on it",
      "Tokens: 1k sent, 100 received. Cost: $0.01 message, $0.01 session.",
      "LOKI_DONE",
      "Tokens: 2k sent, 200 received. Cost: $0.02 message, $0.03 session.",
    ]);
    const result = summarizeCall(events, exitWith(0), "claude-sonnet-5-5", aider);
    expect(result).toMatchObject({ ok: true, claimedDone: true, costBasis: "exact", usage: { "*": { input: 3_000, output: 300 } } });
    expect(result.costUsd).toBeCloseTo(0.03, 9);
  });
});

describe("opencode.parse", () => {
  const line = (type: string, fields: Record<string, unknown>) => JSON.stringify({ type, timestamp: 1, sessionID: "ses_1", ...fields });

  test("text, tool use with its result, and a priced step", () => {
    const events = parseAll(opencode, [
      line("step_start", { part: { type: "step-start" } }),
      line("tool_use", {
        part: { type: "tool", tool: "write", state: { status: "completed", input: { filePath: "a.ts" }, output: "wrote a.ts" } },
      }),
      line("text", { part: { type: "text", text: "LOKI_DONE" } }),
      line("step_finish", {
        part: {
          type: "step-finish",
          reason: "stop",
          cost: 0.004,
          tokens: { input: 900, output: 40, reasoning: 10, cache: { read: 100, write: 0 } },
        },
      }),
    ]);
    expect(events).toEqual([
      { kind: "tool_use", tool: "write", input: { filePath: "a.ts" } },
      { kind: "tool_result", isError: false, text: "wrote a.ts" },
      { kind: "text", text: "LOKI_DONE" },
      {
        kind: "result",
        isError: false,
        text: "",
        errorClass: null,
        costUsd: 0.004,
        usage: { "*": { input: 900, output: 50, cache_read: 100, cache_write: 0 } },
        permissionDenials: 0,
      },
    ]);
  });

  test("a zero cost with tokens is unknown; errors are classified; plain text lines are text", () => {
    expect(opencode.parse(line("step_finish", { part: { cost: 0, tokens: { input: 5, output: 1 } } }))).toMatchObject([
      { kind: "result", costUsd: null },
    ]);
    expect(opencode.parse(line("error", { error: { name: "ProviderAuthError", data: { message: "no key" } } }))).toEqual([
      { kind: "error", errorClass: "auth", message: "no key" },
    ]);
    expect(opencode.parse(line("error", { error: { name: "APIError", data: { message: "Too Many Requests", statusCode: 429 } } }))).toEqual(
      [{ kind: "error", errorClass: "rate_limit", message: "Too Many Requests" }],
    );
    expect(opencode.parse("Here is the plan")).toEqual([{ kind: "text", text: "Here is the plan" }]);
  });
});
