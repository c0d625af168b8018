// Health of the primary web URL: one HTTP probe (2xx/3xx is healthy; redirects are not followed), and
// the pure rule that turns probes into a status — live only after 3 consecutive healthy answers.
import type { AppStatus } from "../core/app-schema.ts";

export type Probe = { ok: boolean; http: number | null; ms: number; detail: string | null };

/** One GET of `url` within `timeoutMs`. Never throws. */
export async function probe(url: string, timeoutMs = 1000): Promise<Probe> {
  const started = performance.now();
  try {
    const response = await fetch(url, {
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
      headers: { "user-agent": "loki-preview" },
    });
    await response.body?.cancel().catch(() => {});
    const ok = response.status >= 200 && response.status < 400;
    return { ok, http: response.status, ms: Math.round(performance.now() - started), detail: ok ? null : `HTTP ${response.status}` };
  } catch (error) {
    const detail = error instanceof Error && error.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : "connection refused";
    return { ok: false, http: null, ms: Math.round(performance.now() - started), detail };
  }
}

/** Consecutive healthy answers before "live", and failed ones before a live app is "unhealthy". */
export const LIVE_AFTER = 3;
export const UNHEALTHY_AFTER = 2;

export type Tracker = { status: AppStatus; good: number; bad: number };

export const startTracker = (): Tracker => ({ status: "starting", good: 0, bad: 0 });

/** The tracker after one probe (pure). Only starting/live/unhealthy move here; crashes come from the process. */
export function track(tracker: Tracker, result: Pick<Probe, "ok">): Tracker {
  const good = result.ok ? tracker.good + 1 : 0;
  const bad = result.ok ? 0 : tracker.bad + 1;
  let status = tracker.status;
  if (good >= LIVE_AFTER) status = "live";
  else if (status === "live" && bad >= UNHEALTHY_AFTER) status = "unhealthy";
  return { status, good, bad };
}
