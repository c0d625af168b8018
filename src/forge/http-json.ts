// JSON requests that change things (or read where some answers are expected), over http.ts's timeout,
// retry and error policy. Used by the GitLab, Jira and Azure DevOps delivery calls; never prints.
import { trackerError } from "../core/errors.ts";
import { DEFAULT_TIMEOUT_MS, detailOf, responseError, scrub, sendWithRetry, type TrackerSite } from "./http.ts";
import type { FetchContext } from "./types.ts";

export type JsonAnswer = { status: number; data: unknown; detail: string };

export type JsonRequest = {
  method: "GET" | "POST" | "PUT";
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  /** What the URL names, for a 404: "project group/app", "issue ABC-1". */
  what: string;
  /** Non-2xx statuses the caller handles itself (e.g. a 409 on merge); others throw. */
  expect?: number[];
};

/**
 * Send one JSON request. A 2xx answer or an expected status comes back as data; any other status
 * (or a sign-in page instead of JSON) becomes a trackerError naming the site and the fix.
 */
export async function sendJson(request: JsonRequest, site: TrackerSite, ctx: FetchContext): Promise<JsonAnswer> {
  const init: RequestInit = {
    method: request.method,
    headers: {
      accept: "application/json",
      ...(request.body === undefined ? {} : { "content-type": "application/json" }),
      ...request.headers,
    },
    ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
  };
  const response = await sendWithRetry(request.url, init, site, ctx);
  const text = await response.text().catch((error: unknown) => {
    throw trackerError(`${site.name} stopped answering ${request.method} ${request.url}`, {
      hint: `check ${site.baseEnv} or your network (timeout ${DEFAULT_TIMEOUT_MS / 1000} s)`,
      cause: error,
    });
  });
  const detail = scrub(detailOf(text), site.secrets);
  if (request.expect?.includes(response.status)) return { status: response.status, data: parseOrNull(text), detail };
  if (response.status === 404) {
    throw trackerError(`${site.name}: ${request.what} not found at ${request.url}, or the token cannot see it`, {
      hint: site.scopeFix,
      data: { status: 404, url: request.url, tracker: site.name },
    });
  }
  if (!response.ok) throw responseError(response.status, response.headers, request.url, site, detail);
  // Azure DevOps answers 203 with a sign-in page, SSO proxies 200 with HTML: the token was not accepted.
  if (response.status === 203 || /text\/html/i.test(response.headers.get("content-type") ?? "")) {
    throw responseError(401, response.headers, request.url, site, "got a sign-in page instead of JSON");
  }
  return { status: response.status, data: parseOrNull(text), detail };
}

function parseOrNull(text: string): unknown {
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** A field of an untyped JSON object, when it has the wanted type. */
export function field<T extends "string" | "number" | "boolean" | "object">(
  value: unknown,
  key: string,
  type: T,
): (T extends "string" ? string : T extends "number" ? number : T extends "boolean" ? boolean : Record<string, unknown>) | undefined {
  if (!value || typeof value !== "object") return undefined;
  const got = (value as Record<string, unknown>)[key];
  if (type === "object") return got && typeof got === "object" && !Array.isArray(got) ? (got as never) : undefined;
  return typeof got === type ? (got as never) : undefined;
}

/** The items of a JSON array answer, or of the array under `key` (anything else is empty). */
export function items(value: unknown, key?: string): unknown[] {
  const got = key === undefined ? value : value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  return Array.isArray(got) ? got : [];
}
