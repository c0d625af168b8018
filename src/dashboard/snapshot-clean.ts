// The last passes over what the snapshot sends: redaction (core/redact.ts) of every string that came from
// the agent or the repository, again; and the held-out seal: whether the run is over so its proof may
// reveal, and else the held-out ids and texts .loki/ happens to name replaced wherever they appear.
import { LIVE_STATUSES } from "../core/session-schema.ts";
import { newRedactionPass, redactString, type RedactionPass } from "../core/redact.ts";
import type { Completion, OrchestratorState } from "../core/run-schema.ts";
import type { RunStatusView } from "./deps.ts";
import { SEALED, sealer } from "../core/text.ts";

/** What stands in for a held-out item's id or text while the run is live. */
export { SEALED, sealer };

/**
 * The run is over by every account .loki/ gives — `loki status`, the loop's own state, a completion
 * summary — so its proof may name the held-out items. Live, dead (resumable) or unknown: sealed.
 */
export function mayReveal(status: RunStatusView, state: OrchestratorState | null, completion: Completion | null): boolean {
  if (completion === null) return false;
  if (LIVE_STATUSES.includes(status.status) || status.status === "dead" || status.status === "unknown") return false;
  return state === null || !LIVE_STATUSES.includes(state.status);
}

/** A redactor: one pass (its rules built once) for the whole snapshot. */
export type Redact = (text: string) => string;

export function newRedactor(): Redact {
  const pass: RedactionPass = newRedactionPass();
  return (text) => redactString(text, pass);
}

/** A copy of `value` with every string redacted (object keys are the engine's own, and kept). */
export function redactDeep<T>(value: T, redact: Redact): T {
  return mapStrings(value, redact) as T;
}

/**
 * A copy of `value` in which every occurrence of a sealed string (a held-out id or text) is replaced
 * by SEALED. Longer strings first, so a text that contains an id is sealed whole.
 */
export function sealDeep<T>(value: T, sealed: readonly string[]): T {
  const seal = sealer(sealed);
  return seal ? (mapStrings(value, seal) as T) : value;
}

function mapStrings(value: unknown, map: (text: string) => string): unknown {
  if (typeof value === "string") return map(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, map));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = mapStrings(item, map);
    return out;
  }
  return value;
}
