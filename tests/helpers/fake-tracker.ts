// A scriptable fake issue tracker on 127.0.0.1 for forge tests: routes answer from per-route
// queues, every request is recorded for assertions. Binds loopback only; never proxies anywhere.
import { Config } from "../../src/core/config.ts";

export type FakeResponse = { status?: number; json?: unknown; text?: string; headers?: Record<string, string> };
export type FakeHandler = (request: Request) => Response | FakeResponse | Promise<Response | FakeResponse>;
export type RecordedRequest = { method: string; path: string; query: string; headers: Record<string, string> };

type Route = { method: string; match: string | RegExp; queue: (FakeResponse | FakeHandler)[] };

export type FakeTracker = {
  url: string;
  requests: RecordedRequest[];
  /**
   * Queue answers for METHOD + path (exact pathname, still percent-encoded) or a RegExp tested
   * against pathname + query. Answers are used in order; the last one repeats.
   */
  route: (method: string, match: string | RegExp, ...answers: (FakeResponse | FakeHandler)[]) => FakeTracker;
  [Symbol.asyncDispose]: () => Promise<void>;
};

/** Path and query as the client sent them: request.url keeps the percent-encoding, which GitLab
 *  project paths depend on. */
export function splitRequestUrl(request: Request): { raw: string; path: string; search: string } {
  const raw = request.url.replace(/^[a-z]+:\/\/[^/]+/i, "");
  const [path = "/", search = ""] = raw.split(/\?(.*)/s, 2);
  return { raw, path, search };
}

export async function startFakeTracker(): Promise<FakeTracker> {
  const routes: Route[] = [];
  const requests: RecordedRequest[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const { raw, path, search } = splitRequestUrl(request);
      requests.push({ method: request.method, path, query: search, headers: Object.fromEntries(request.headers) });
      const route = routes.find((r) => r.method === request.method && (typeof r.match === "string" ? r.match === path : r.match.test(raw)));
      if (!route) return Response.json({ message: `fake tracker: no route for ${request.method} ${raw}` }, { status: 418 });
      const answer = route.queue.length > 1 ? route.queue.shift() : route.queue[0];
      const result = typeof answer === "function" ? await answer(request) : (answer ?? {});
      return result instanceof Response ? result : toResponse(result);
    },
  });
  const tracker: FakeTracker = {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    route(method, match, ...answers) {
      const existing = routes.find((r) => r.method === method && String(r.match) === String(match));
      if (existing) existing.queue.push(...answers);
      else routes.push({ method, match, queue: answers });
      return tracker;
    },
    [Symbol.asyncDispose]: async () => {
      await server.stop(true);
    },
  };
  return tracker;
}

function toResponse(answer: FakeResponse): Response {
  const headers = new Headers(answer.headers);
  if (answer.json !== undefined) {
    if (!headers.has("content-type")) headers.set("content-type", "application/json; charset=utf-8");
    return new Response(JSON.stringify(answer.json), { status: answer.status ?? 200, headers });
  }
  return new Response(answer.text ?? "", { status: answer.status ?? 200, headers });
}

/** A loopback URL on which nothing listens: bind a port, close it, hand it out. */
export async function refusedUrl(): Promise<string> {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
  const url = `http://127.0.0.1:${server.port}`;
  await server.stop(true);
  return url;
}

/** A sleep that returns at once and remembers every wait, for asserting retry-after handling. */
export function fakeSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

type TrackerSettings = Partial<{ [K in "github" | "gitlab" | "jira" | "azure"]: Config["trackers"][K] }> & {
  max_retry_wait_seconds?: number;
};

/** A full Config with tracker settings overridden, parsed fresh for each test. */
export function trackerConfig(trackers: TrackerSettings): Config {
  return Config.parse({ trackers });
}
