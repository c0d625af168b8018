// How much prompt a run can send: the build model's context window (from the dated table) less the
// room the agent works in, measured at 3 bytes a token; a model not in the table gets its provider's
// smallest window. Pure.
import { describe, expect, test } from "bun:test";
import { contextWindow, PRICING } from "../../src/core/models.ts";
import { BYTES_PER_TOKEN, PROMPT_ROOM_TOKENS, promptFit, promptTooLarge } from "../../src/plan/prompt-limit.ts";

describe("prompt limit", () => {
  test("every model in the table has a context window; claude 5.x take 1M tokens, codex's 272k", () => {
    for (const [model, price] of Object.entries(PRICING.models)) expect(price.context, model).toBeGreaterThan(100_000);
    expect(contextWindow("claude-sonnet-5-5")).toEqual({ tokens: 1_000_000, basis: "table" });
    expect(contextWindow("gpt-6.1-sol")).toEqual({ tokens: 272_000, basis: "table" });
  });

  test("a model not in the table gets its provider's smallest window, never a guess that is larger", () => {
    expect(contextWindow("claude-next", "claude")).toEqual({ tokens: 200_000, basis: "fallback" });
    expect(contextWindow("gpt-next", "codex")).toEqual({ tokens: 272_000, basis: "fallback" });
  });

  test("the limit is the window less the room, in tokens and bytes; one byte more does not fit", () => {
    const limit = 1_000_000 - PROMPT_ROOM_TOKENS;
    const fits = promptFit(limit * BYTES_PER_TOKEN, "claude-opus-5-5", "claude");
    expect(fits).toMatchObject({ fits: true, tokens: limit, windowTokens: 1_000_000, limitTokens: limit, limitBytes: limit * 3 });
    expect(promptFit(limit * BYTES_PER_TOKEN + 1, "claude-opus-5-5", "claude").fits).toBe(false);
    // The same prompt that fits claude's window does not fit codex's.
    expect(promptFit(1024 * 1024, "claude-sonnet-5-5", "claude").fits).toBe(true);
    expect(promptFit(1024 * 1024, "gpt-6.1-sol", "codex").fits).toBe(false);
  });

  test("the refusal names the prompt's size, the model, its window and the limit", () => {
    const message = promptTooLarge(promptFit(4.5 * 1024 * 1024, "claude-opus-5-5", "claude"));
    expect(message).toBe(
      "the prompt this spec makes is 4.5 MB (~1.57M tokens); claude-opus-5-5 takes 1M tokens, and a run keeps 64k of them " +
        "for the agent's work, so a prompt is limited to ~936k tokens (2.7 MB)",
    );
  });
});
