// One provider call reduced to a verdict: did it succeed, did the agent claim done, which error
// class, what it cost (exact, or estimated from tokens — never $0 for a CLI that ran; a CLI that
// never started costs nothing). Pure: events + exit in, data out.
import type { ProviderId } from "../core/config.ts";
import { type CallBasis, priceTokens, type Tokens } from "../core/models.ts";
import type { ErrorClass, Provider, ProviderEvent } from "./provider.ts";

export type CallExit = { exitCode: number | null; timedOut: boolean; signal: string | null; spawnError: string | null; durationMs: number };

export type CallOutcome = {
  ok: boolean;
  /** The final text, or any text event, has a line that is exactly LOKI_DONE. */
  claimedDone: boolean;
  /** not_started: the CLI could not be started (its binary gone or not executable); nothing was spent. */
  errorClass: ErrorClass | "timeout" | "not_started" | null;
  retryAfterMs?: number;
  costUsd: number;
  costBasis: CallBasis;
  /** By model; "*" is the dispatched model (for CLIs whose usage does not name it). */
  usage: Record<string, Tokens>;
  finalText: string;
  toolUses: number;
  permissionDenials: number;
  durationMs: number;
};

/** What a call that died before reporting any usage is charged: a conservative floor. */
export const FLOOR_TOKENS: Tokens = { input: 20_000, output: 2_000, cache_read: 0, cache_write: 0 };

const DONE_MARKER = "LOKI_DONE";

/**
 * `provider`: the record whose call this was (its id prices estimates; capabilities.resultRequired says
 * whether exit 0 alone is success). `pricing.declared`: the user's price for the provider, which every
 * token is billed at; `pricing.reportedExact: false`: the CLI's own cost figure is a guess (a model it
 * does not know, at a custom endpoint), so tokens are priced instead, "estimated".
 */
export function summarizeCall(
  events: ProviderEvent[],
  exec: CallExit,
  model: string,
  provider: Pick<Provider, "id" | "capabilities">,
  pricing: { declared?: { input: number; output: number }; reportedExact?: boolean } = {},
): CallOutcome {
  if (exec.spawnError !== null) return notStarted(exec.durationMs);
  const results = events.filter((e) => e.kind === "result");
  const errors = events.filter((e) => e.kind === "error");
  const texts = events.filter((e) => e.kind === "text").map((e) => e.text);
  const failed = results.findLast((r) => r.isError);
  const lastError = errors.at(-1);

  const usage: Record<string, Tokens> = {};
  for (const result of results) for (const [key, tokens] of Object.entries(result.usage)) usage[key] = addTokens(usage[key], tokens);

  const declared = pricing.declared;
  const priced = pricing.reportedExact === false ? results.map((r) => ({ ...r, costUsd: null })) : results;
  const cost = declared ? declaredCost(results, model, declared) : costOf(priced, model, provider.id);
  const finalText = [...results].reverse().find((r) => r.text !== "")?.text ?? texts.at(-1) ?? "";
  const exitedCleanly = exec.exitCode === 0 && !exec.timedOut;
  const ok = exitedCleanly && !failed && errors.length === 0 && (results.length > 0 || !provider.capabilities.resultRequired);

  let errorClass: CallOutcome["errorClass"] = null;
  if (exec.timedOut) errorClass = "timeout";
  else if (failed) errorClass = failed.errorClass ?? lastError?.errorClass ?? "api_error";
  else if (lastError) errorClass = lastError.errorClass;
  else if (!ok) errorClass = "crash";

  const retryAfterMs = failed?.retryAfterMs ?? lastError?.retryAfterMs;
  return {
    ok,
    claimedDone: [finalText, ...texts].some(hasDoneLine),
    errorClass,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    costUsd: cost.usd,
    costBasis: cost.basis,
    usage,
    finalText,
    toolUses: events.filter((e) => e.kind === "tool_use").length,
    permissionDenials: results.reduce((sum, r) => sum + r.permissionDenials, 0),
    durationMs: exec.durationMs,
  };
}

/** No process ran, so no model was called: no tokens, no dollars, and no retry will fix it. */
function notStarted(durationMs: number): CallOutcome {
  return {
    ok: false,
    claimedDone: false,
    errorClass: "not_started",
    costUsd: 0,
    costBasis: "exact",
    usage: {},
    finalText: "",
    toolUses: 0,
    permissionDenials: 0,
    durationMs,
  };
}

type ResultEvent = Extract<ProviderEvent, { kind: "result" }>;

/**
 * Exact only when every result carried the CLI's own cost for this call. Results without a cost
 * are priced from their tokens ("*" at the dispatched model); an estimate that comes to $0 —
 * a crash before any usage report, or a CLI that reported zero tokens — is charged the floor.
 */
function costOf(results: ResultEvent[], model: string, provider: ProviderId): { usd: number; basis: "exact" | "estimated" } {
  let usd = 0;
  let exact = results.length > 0;
  for (const result of results) {
    if (result.costUsd !== null) {
      usd += result.costUsd;
      continue;
    }
    exact = false;
    for (const [key, tokens] of Object.entries(result.usage)) usd += priceTokens(key === "*" ? model : key, tokens, provider).usd;
  }
  if (exact) return { usd, basis: "exact" };
  if (usd === 0) usd = priceTokens(model, FLOOR_TOKENS, provider).usd;
  return { usd, basis: "estimated" };
}

/** The user's price for every token the call reported (what the CLI says it cost is its own table's guess). */
function declaredCost(results: ResultEvent[], model: string, price: { input: number; output: number }): { usd: number; basis: "declared" } {
  let usd = 0;
  for (const result of results) for (const tokens of Object.values(result.usage)) usd += priceTokens(model, tokens, undefined, price).usd;
  if (usd === 0) usd = priceTokens(model, FLOOR_TOKENS, undefined, price).usd;
  return { usd, basis: "declared" };
}

function addTokens(a: Tokens | undefined, b: Tokens): Tokens {
  if (!a) return { ...b };
  return {
    input: a.input + b.input,
    output: a.output + b.output,
    cache_read: a.cache_read + b.cache_read,
    cache_write: a.cache_write + b.cache_write,
  };
}

function hasDoneLine(text: string): boolean {
  return text.split("\n").some((line) => line.trim() === DONE_MARKER);
}
