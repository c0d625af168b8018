// A stateful fake forge on 127.0.0.1 for delivery tests: GitHub REST at the root, GitLab v4 under
// /api/v4, Jira under /jira, Azure DevOps under /azure. State is inspectable, answers scriptable,
// every request recorded with its JSON body. Binds loopback only; never proxies anywhere.
import { Config } from "../../src/core/config.ts";
import { basicAuth } from "../../src/forge/http.ts";
import { fakeGithub, type FakeGithub } from "./fake-forge-github.ts";
import { fakeGitlab, type FakeGitlab } from "./fake-forge-gitlab.ts";
import { splitRequestUrl, type FakeResponse } from "./fake-tracker.ts";

export type ForgeRequest = { method: string; path: string; query: string; headers: Record<string, string>; body: unknown };
/** One request as the per-forge handlers see it: path segments still percent-encoded. */
export type ForgeCall = { method: string; parts: string[]; query: URLSearchParams; body: unknown };
export type ForgeHandler = (call: ForgeCall) => FakeResponse | undefined;
export type FakeComment = { issue: string; body: string };

export type FakeForgeTokens = { github: string; gitlab: string; jiraEmail: string; jira: string; azure: string };

export type FakeForge = {
  url: string;
  requests: ForgeRequest[];
  github: FakeGithub;
  gitlab: FakeGitlab;
  jira: {
    baseUrl: string;
    addIssue: (key: string, issue?: { summary?: string; description?: string; labels?: string[] }) => void;
    comments: FakeComment[];
  };
  azure: {
    orgUrl: (org: string) => string;
    addWorkItem: (org: string, project: string, id: number, item?: { title?: string; description?: string }) => void;
    comments: FakeComment[];
  };
  tokens: FakeForgeTokens;
  /** The env a loki run needs to talk to this fake: every token and API URL (Azure: see azure.orgUrl). */
  env: Record<string, string>;
  /** A Config whose trackers point here, with other settings (e.g. `{ ship: { merge_method: "merge" } }`) over the defaults. */
  config: (settings?: Record<string, unknown>) => Config;
  /** Answer METHOD + path (exact, percent-encoded, or a RegExp on path + query) with `answer`, `times` times (default: always). */
  override: (method: string, match: string | RegExp, answer: FakeResponse, times?: number) => void;
  [Symbol.asyncDispose]: () => Promise<void>;
};

type Override = { method: string; match: string | RegExp; answer: FakeResponse; left: number };

export async function startFakeForge(tokens: Partial<FakeForgeTokens> = {}): Promise<FakeForge> {
  const keys: FakeForgeTokens = {
    github: "ghp_fake_github",
    gitlab: "glpat-fake-gitlab",
    jiraEmail: "bot@loki.invalid",
    jira: "jira-fake-token",
    azure: "ado-fake-pat",
    ...tokens,
  };
  const requests: ForgeRequest[] = [];
  const overrides: Override[] = [];
  const github = fakeGithub();
  const gitlab = fakeGitlab();
  const jira = fakeJira();
  const azure = fakeAzure();
  const mounts: { prefix: string; handle: ForgeHandler; authorized: (headers: Headers) => boolean }[] = [
    { prefix: "/api/v4", handle: gitlab.handle, authorized: (h) => h.get("private-token") === keys.gitlab },
    { prefix: "/jira", handle: jira.handle, authorized: (h) => h.get("authorization") === basicAuth(keys.jiraEmail, keys.jira) },
    { prefix: "/azure", handle: azure.handle, authorized: (h) => h.get("authorization") === basicAuth("", keys.azure) },
    {
      prefix: "",
      handle: github.handle,
      authorized: (h) => [`token ${keys.github}`, `Bearer ${keys.github}`].includes(h.get("authorization") ?? ""),
    },
  ];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const { raw, path, search } = splitRequestUrl(request);
      const text = await request.text();
      const body = text ? parseBody(text) : undefined;
      requests.push({ method: request.method, path, query: search, headers: Object.fromEntries(request.headers), body });
      const override = overrides.find(
        (o) => o.left > 0 && o.method === request.method && (typeof o.match === "string" ? o.match === path : o.match.test(raw)),
      );
      if (override) {
        override.left -= 1;
        return toResponse(override.answer);
      }
      const mount = mounts.find((m) => path === m.prefix || path.startsWith(`${m.prefix}/`));
      if (!mount) return toResponse({ status: 418, json: { message: `fake forge: no route for ${request.method} ${raw}` } });
      if (!mount.authorized(request.headers)) return toResponse({ status: 401, json: { message: "Bad credentials" } });
      const parts = path
        .slice(mount.prefix.length)
        .split("/")
        .filter((part) => part !== "");
      const answer = mount.handle({ method: request.method, parts, query: new URLSearchParams(search), body });
      return toResponse(answer ?? { status: 418, json: { message: `fake forge: no route for ${request.method} ${raw}` } });
    },
  });
  const url = `http://127.0.0.1:${server.port}`;
  return {
    url,
    requests,
    github,
    gitlab,
    jira: { baseUrl: `${url}/jira`, addIssue: jira.addIssue, comments: jira.comments },
    azure: { orgUrl: (org) => `${url}/azure/${org}`, addWorkItem: azure.addWorkItem, comments: azure.comments },
    tokens: keys,
    env: {
      GITHUB_TOKEN: keys.github,
      GITHUB_API_URL: url,
      GITLAB_TOKEN: keys.gitlab,
      GITLAB_API_URL: `${url}/api/v4`,
      JIRA_BASE_URL: `${url}/jira`,
      JIRA_EMAIL: keys.jiraEmail,
      JIRA_API_TOKEN: keys.jira,
      AZURE_DEVOPS_TOKEN: keys.azure,
    },
    config: (settings = {}) =>
      Config.parse({
        ...settings,
        trackers: { github: { api_url: url }, gitlab: { api_url: `${url}/api/v4` }, jira: { base_url: `${url}/jira` } },
      }),
    override: (method, match, answer, times = Number.POSITIVE_INFINITY) => void overrides.push({ method, match, answer, left: times }),
    [Symbol.asyncDispose]: async () => {
      await server.stop(true);
    },
  };
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function toResponse(answer: FakeResponse): Response {
  const headers = new Headers(answer.headers);
  if (answer.json === undefined) return new Response(answer.text ?? "", { status: answer.status ?? 200, headers });
  if (!headers.has("content-type")) headers.set("content-type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(answer.json), { status: answer.status ?? 200, headers });
}

/** GET an issue, POST a comment: /rest/api/2/issue/{key}[/comment]. */
function fakeJira() {
  const issues = new Map<string, { summary: string; description: string; labels: string[] }>();
  const comments: FakeComment[] = [];
  const handle: ForgeHandler = ({ method, parts, body }) => {
    const [rest, api, v, kind, encoded, sub] = parts;
    if (rest !== "rest" || api !== "api" || v !== "2" || kind !== "issue" || !encoded) return undefined;
    const key = decodeURIComponent(encoded);
    const issue = issues.get(key);
    if (!issue)
      return { status: 404, json: { errorMessages: ["Issue does not exist or you do not have permission to see it."], errors: {} } };
    if (method === "GET" && sub === undefined) return { json: { key, fields: issue } };
    if (method !== "POST" || sub !== "comment") return undefined;
    comments.push({ issue: key, body: String((body as { body?: unknown } | undefined)?.body ?? "") });
    return { status: 201, json: { id: String(10000 + comments.length), body: (body as { body?: unknown }).body } };
  };
  const addIssue = (key: string, issue: { summary?: string; description?: string; labels?: string[] } = {}) =>
    void issues.set(key, { summary: issue.summary ?? `Issue ${key}`, description: issue.description ?? "", labels: issue.labels ?? [] });
  return { handle, addIssue, comments };
}

/** GET a work item, POST a comment: /{org}/{project}/_apis/wit/workItems/{id}[/comments]. */
function fakeAzure() {
  const items = new Map<string, { title: string; description: string }>();
  const comments: FakeComment[] = [];
  const handle: ForgeHandler = ({ method, parts, body }) => {
    const [org, project, apis, wit, kind, id, sub] = parts.map((part) => decodeURIComponent(part));
    if (apis !== "_apis" || wit !== "wit" || kind?.toLowerCase() !== "workitems" || !org || !project || !id) return undefined;
    const key = `${org}/${project}#${id}`;
    const item = items.get(key);
    if (!item)
      return { status: 404, json: { message: `TF401232: Work item ${id} does not exist, or you do not have permissions to read it.` } };
    if (method === "GET" && sub === undefined) {
      const fields = { "System.Title": item.title, "System.Description": item.description };
      return {
        json: { id: Number(id), fields, _links: { html: { href: `https://dev.azure.com/${org}/${project}/_workitems/edit/${id}` } } },
      };
    }
    if (method !== "POST" || sub !== "comments") return undefined;
    comments.push({ issue: key, body: String((body as { text?: unknown } | undefined)?.text ?? "") });
    return { json: { id: comments.length, workItemId: Number(id), text: (body as { text?: unknown }).text } };
  };
  const addWorkItem = (org: string, project: string, id: number, item: { title?: string; description?: string } = {}) =>
    void items.set(`${org}/${project}#${id}`, { title: item.title ?? `Work item ${id}`, description: item.description ?? "" });
  return { handle, addWorkItem, comments };
}

/** Answers per key in order, the last repeating; "*" serves keys that have none of their own. */
export function polls<T>() {
  const queues = new Map<string, T[]>();
  return {
    set: (key: string, values: T[]) => void queues.set(key, [...values]),
    next(key: string): T | undefined {
      const queue = queues.get(key) ?? queues.get("*");
      if (!queue) return undefined;
      return queue.length > 1 ? queue.shift() : queue[0];
    },
  };
}

/** A stable fake 40-hex sha for a label. */
export function fakeSha(label: string): string {
  return new Bun.CryptoHasher("sha1").update(label).digest("hex");
}
