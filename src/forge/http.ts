// Shared HTTP for the tracker clients: one per-request timeout, one retry policy (429/5xx,
// retry-after, x-ratelimit-reset) and one mapping from failures to trackerError with a fix.
// Must never put a token in a message: server-provided text is scrubbed of the secrets in use.
import { type LokiError, trackerError } from "../core/errors.ts";
import type { FetchContext } from "./types.ts";

/** Who we are talking to, so every error can name the tracker, the issue and the fix. */
export type TrackerSite = {
  /** "GitHub", "GitLab", "Jira", "Azure DevOps". */
  name: string;
  baseUrl: string;
  /** The variable that sets baseUrl, named when the host cannot be reached. */
  baseEnv: string;
  /** Hint for a rejected token, e.g. "set a valid GITLAB_TOKEN". */
  authFix: string;
  /** Hint for a 403: the scope or permission the token needs. */
  scopeFix: string;
  /** Display key of the issue, e.g. "group/proj#3". */
  key: string;
  /** Token values to scrub from any text a server sends back. */
  secrets: string[];
};

export type SendOptions = { timeoutMs?: number };

export const DEFAULT_TIMEOUT_MS = 20_000;
const RETRIABLE = new Set([429, 500, 502, 503, 504]);

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * fetch with a timeout, retrying rate limits and transient 5xx as configured. Returns the last
 * response (ok or not); throws trackerError when the host is unreachable or asks for a longer
 * wait than trackers.max_retry_wait_seconds allows.
 */
export async function sendWithRetry(
  url: string,
  init: RequestInit,
  site: TrackerSite,
  ctx: FetchContext,
  options: SendOptions = {},
): Promise<Response> {
  const { retries, max_retry_wait_seconds: maxWait } = ctx.config.trackers;
  const sleep = ctx.sleep ?? realSleep;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  for (let attempt = 0; ; attempt++) {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await fetch(url, { ...init, signal });
    } catch (error) {
      throw unreachable(error, site, timeoutMs);
    }
    const waitMs = retryWaitMs(response.status, response.headers, attempt, Date.now(), maxWait * 1000);
    if (waitMs === undefined || attempt >= retries) return response;
    await response.body?.cancel();
    if (waitMs > maxWait * 1000) throw limitError(response.status, site, waitMs, `more than trackers.max_retry_wait_seconds (${maxWait})`);
    await sleep(waitMs);
  }
}

/** GET a JSON document; any non-2xx answer (or an HTML page instead of JSON) becomes a trackerError. */
export async function getJson(
  url: string,
  headers: Record<string, string>,
  site: TrackerSite,
  ctx: FetchContext,
  options: SendOptions = {},
): Promise<unknown> {
  const response = await sendWithRetry(url, { headers: { accept: "application/json", ...headers } }, site, ctx, options);
  const text = await response.text().catch((error: unknown) => {
    throw unreachable(error, site, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  });
  if (!response.ok) throw responseError(response.status, response.headers, url, site, detailOf(text));
  // A sign-in page with a 2xx status (Azure DevOps answers 203, SSO proxies 200) means the token was not accepted.
  if (response.status === 203 || /text\/html/i.test(response.headers.get("content-type") ?? "")) {
    throw responseError(401, response.headers, url, site, "got a sign-in page instead of JSON");
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw trackerError(`${site.name} returned invalid JSON for ${site.key} from ${url}`, {
      hint: `check ${site.baseEnv}: it should point at the ${site.name} API`,
    });
  }
}

/**
 * How long to wait before retrying this response, or undefined when it must not be retried.
 * A 403 counts as a rate limit only when GitHub says so (no remaining quota, or retry-after).
 * Our own backoff stays under the cap; only a wait the server asks for may exceed it (and fail).
 */
export function retryWaitMs(
  status: number,
  headers: Headers,
  attempt: number,
  nowMs: number,
  backoffCapMs = Number.POSITIVE_INFINITY,
): number | undefined {
  const rateLimited = status === 429 || (status === 403 && (headers.get("x-ratelimit-remaining") === "0" || headers.has("retry-after")));
  if (!rateLimited && !RETRIABLE.has(status)) return undefined;
  return advertisedWaitMs(headers, nowMs) ?? Math.min(1000 * 2 ** attempt, backoffCapMs);
}

function advertisedWaitMs(headers: Headers, nowMs: number): number | undefined {
  const retryAfter = headers.get("retry-after")?.trim();
  if (retryAfter) {
    if (/^\d+$/.test(retryAfter)) return Number(retryAfter) * 1000;
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - nowMs);
  }
  const reset = headers.get("x-ratelimit-reset")?.trim();
  if (reset && /^\d+$/.test(reset) && headers.get("x-ratelimit-remaining") === "0") return Math.max(0, Number(reset) * 1000 - nowMs);
  return undefined;
}

/** The error for a final non-2xx answer: names the issue, the tracker and the fix. */
export function responseError(status: number, headers: Headers, url: string, site: TrackerSite, detail: string): LokiError {
  const said = scrub(detail, site.secrets);
  const suffix = said ? `: ${said}` : "";
  const data = { status, url, tracker: site.name };
  if (status === 401) return trackerError(`${site.name} token rejected (401) for ${site.key}${suffix}`, { hint: site.authFix, data });
  const waitMs = retryWaitMs(status, headers, 0, Date.now());
  if (status === 429 || (status === 403 && waitMs !== undefined)) {
    return limitError(status, site, advertisedWaitMs(headers, Date.now()), "after retrying");
  }
  if (status === 403) return trackerError(`${site.name} denied access to ${site.key} (403)${suffix}`, { hint: site.scopeFix, data });
  if (status === 404 || status === 410) {
    return trackerError(`issue ${site.key} not found at ${url}, or the token cannot see it`, {
      hint: `check the issue reference; ${site.scopeFix}`,
      data,
    });
  }
  const hint =
    status >= 500 ? `${site.name} is having trouble; try again later` : `check ${site.baseEnv}: it should point at the ${site.name} API`;
  return trackerError(`${site.name} answered ${status} for ${site.key} from ${url}${suffix}`, { hint, data });
}

function limitError(status: number, site: TrackerSite, waitMs: number | undefined, why: string): LokiError {
  const when =
    waitMs === undefined
      ? "in a few minutes"
      : `${Math.ceil(waitMs / 1000)} s (at ${new Date(Date.now() + waitMs).toISOString().slice(0, 19)}Z)`;
  const what = status === 429 || status === 403 ? `rate limited by ${site.name}` : `${site.name} is unavailable (${status})`;
  return trackerError(`${what}; retry after ${when}`, {
    hint: `wait and run again (${why}), or raise trackers.max_retry_wait_seconds`,
    data: { status, tracker: site.name, retry_after_ms: waitMs ?? null },
  });
}

function unreachable(error: unknown, site: TrackerSite, timeoutMs: number): LokiError {
  const err = error instanceof Error ? (error as Error & { code?: string }) : undefined;
  const code = err?.code ?? "";
  const reason =
    err?.name === "TimeoutError" || err?.name === "AbortError"
      ? `no answer within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}`
      : code === "ECONNREFUSED" || code === "ConnectionRefused"
        ? "connection refused"
        : code === "ENOTFOUND" || code === "EAI_AGAIN"
          ? "host not found (DNS)"
          : scrub(err?.message ?? String(error), site.secrets);
  return trackerError(`could not reach ${site.baseUrl}: ${reason}`, {
    hint: `check ${site.baseEnv} or your network`,
    cause: error,
    data: { tracker: site.name, url: site.baseUrl },
  });
}

/** The server's own words from an error body, short: GitHub/GitLab/Azure `message`, Jira `errorMessages`. */
export function detailOf(body: string): string {
  let said = "";
  try {
    const json = JSON.parse(body) as Record<string, unknown>;
    const messages = json.errorMessages;
    said = Array.isArray(messages) && messages.length > 0 ? messages.join("; ") : String(json.message ?? json.error ?? "");
  } catch {
    said = /^\s*</.test(body) ? "" : body;
  }
  const line = said.replace(/\s+/g, " ").trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

export function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.replaceAll(secret, "***");
  return out;
}

/** An Authorization header value for HTTP Basic. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

/**
 * The configured API URL, unless the issue URL names another server: CI sets GITHUB_API_URL /
 * CI_API_V4_URL for its own host, which must not capture an issue link to a different one.
 */
export function apiBaseUrl(
  configured: string | undefined,
  host: string | undefined,
  forHost: (host: string) => string,
  fallback: string,
): string {
  const serves = (url: string) => !host || [host, `api.${host}`].includes(new URL(url).host);
  const base = configured && serves(configured) ? configured : host ? forHost(host) : fallback;
  return base.replace(/\/+$/, "");
}
