// Whether a run could send its prompt at all: the prompt loki renders, measured, against the build
// model's context window less the room the agent needs to work. `plan` and `start` refuse a spec
// that does not fit, before anything is written or spent. Pure: the caller renders and measures.
import type { ProviderId } from "../core/config.ts";
import { contextWindow } from "../core/models.ts";

/**
 * Tokens a run keeps free of its prompt: the CLI's own system prompt and tool definitions (about
 * 25k for Claude Code), the model's reply and the first files and tool results it reads.
 */
export const PROMPT_ROOM_TOKENS = 64_000;

/**
 * Bytes per token when measuring. English runs about 4; code, JSON and non-Latin scripts run
 * fewer, so 3 keeps the estimate from under-counting the prompts most likely to be dense.
 */
export const BYTES_PER_TOKEN = 3;

export type PromptFit = {
  fits: boolean;
  model: string;
  /** The rendered prompt (system + user), in UTF-8 bytes, and that as estimated tokens. */
  bytes: number;
  tokens: number;
  /** The model's context window, and the most of it a prompt may take. */
  windowTokens: number;
  limitTokens: number;
  limitBytes: number;
};

/** Measures a prompt of `bytes` against `model`'s window (a model not in the table: its provider's smallest). */
export function promptFit(bytes: number, model: string, provider: ProviderId): PromptFit {
  const window = contextWindow(model, provider).tokens;
  // A small window still leaves the agent half of it, whatever the room says.
  const limitTokens = Math.max(Math.floor(window / 2), window - PROMPT_ROOM_TOKENS);
  const tokens = Math.ceil(bytes / BYTES_PER_TOKEN);
  return {
    fits: tokens <= limitTokens,
    model,
    bytes,
    tokens,
    windowTokens: window,
    limitTokens,
    limitBytes: limitTokens * BYTES_PER_TOKEN,
  };
}

/** "the prompt this spec makes is 4.0 MB (~1.4M tokens); …": why it does not fit, with both numbers. */
export function promptTooLarge(fit: PromptFit): string {
  return (
    `the prompt this spec makes is ${size(fit.bytes)} (~${count(fit.tokens)} tokens); ${fit.model} takes ${count(fit.windowTokens)} ` +
    `tokens, and a run keeps ${count(PROMPT_ROOM_TOKENS)} of them for the agent's work, so a prompt is limited to ` +
    `~${count(fit.limitTokens)} tokens (${size(fit.limitBytes)})`
  );
}

function size(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

function count(tokens: number): string {
  if (tokens >= 1_000_000) return `${(tokens / 1_000_000).toFixed(tokens % 1_000_000 === 0 ? 0 : 2)}M`;
  return `${Math.round(tokens / 1000)}k`;
}
