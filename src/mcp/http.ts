// `loki mcp --http`: Streamable HTTP on 127.0.0.1 only, one transport (and one server) per session.
// Before the protocol sees a request: a foreign Host or Origin is refused (403, DNS rebinding), a
// missing or wrong bearer token too (401, compared in constant time), any path but /mcp is 404.
import { randomUUID } from "node:crypto";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { bearerMatches } from "./token.ts";

/** Sessions held at once: past it the one idle longest is closed for a new client. */
const MAX_SESSIONS = 32;
/** A session no request has touched for this long is closed (a client that went away without DELETE). */
const IDLE_MS = 30 * 60_000;

type Session = { transport: WebStandardStreamableHTTPServerTransport; server: McpServer; seen: number };

async function closeSession(session: Session): Promise<void> {
  await session.transport.close().catch(() => {});
  await session.server.close().catch(() => {});
}

export type HttpServer = { url: string; port: number; stop: () => Promise<void> };

/** Hosts (with the port) a local client sends; anything else is a rebinding attempt or a mistake. */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

export function allowedOrigins(port: number): string[] {
  return allowedHosts(port).map((h) => `http://${h}`);
}

const text = (status: number, body: string, headers: Record<string, string> = {}) =>
  new Response(`${body}\n`, { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers } });

export function serveHttp(makeServer: () => McpServer, options: { port: number; token: string; log: (text: string) => void }): HttpServer {
  const sessions = new Map<string, Session>();

  /** Closes idle sessions, then the one idle longest while the table is full. */
  async function makeRoom(now: number): Promise<void> {
    for (const [id, session] of sessions)
      if (now - session.seen > IDLE_MS) {
        sessions.delete(id);
        await closeSession(session);
      }
    while (sessions.size >= MAX_SESSIONS) {
      const [id, oldest] = [...sessions].reduce((a, b) => (b[1].seen < a[1].seen ? b : a));
      sessions.delete(id);
      await closeSession(oldest);
    }
  }
  let hosts: string[] = [];
  let origins: string[] = [];

  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const host = req.headers.get("host") ?? "";
    const origin = req.headers.get("origin");
    if (!hosts.includes(host.toLowerCase())) return text(403, "forbidden: this server answers only to 127.0.0.1 and localhost");
    if (origin !== null && !origins.includes(origin.toLowerCase())) return text(403, "forbidden: cross-origin requests are refused");
    if (url.pathname !== "/mcp") return text(404, "not found: the MCP endpoint is /mcp");
    if (!bearerMatches(req.headers.get("authorization"), options.token))
      return text(401, "unauthorized: send Authorization: Bearer <token> (LOKI_MCP_TOKEN, or ~/.loki/mcp/token)", {
        "www-authenticate": 'Bearer realm="loki"',
      });
    const id = req.headers.get("mcp-session-id");
    const known = id === null ? undefined : sessions.get(id);
    if (known) {
      known.seen = Date.now();
      return known.transport.handleRequest(req);
    }
    if (id !== null) return text(404, "unknown session: initialize again");
    if (req.method !== "POST") return text(405, "a session starts with a POST of initialize", { allow: "POST" });
    await makeRoom(Date.now());
    const server = makeServer();
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      enableDnsRebindingProtection: true,
      allowedHosts: hosts,
      allowedOrigins: origins,
      onsessioninitialized: (sessionId) => {
        sessions.set(sessionId, { transport, server, seen: Date.now() });
      },
      onsessionclosed: (sessionId) => {
        sessions.delete(sessionId);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    const response = await transport.handleRequest(req);
    // Not an initialize (or refused): no session was made, and nothing may keep this pair alive.
    if (transport.sessionId === undefined || !sessions.has(transport.sessionId)) await closeSession({ transport, server, seen: 0 });
    return response;
  }

  const bun = Bun.serve({
    hostname: "127.0.0.1",
    port: options.port,
    idleTimeout: 0,
    fetch: async (req) => {
      try {
        return await handle(req);
      } catch (error) {
        options.log(`request failed: ${error instanceof Error ? error.message : String(error)}`);
        return text(500, "internal error (see the server's stderr)");
      }
    },
  });
  const port = bun.port ?? options.port;
  hosts = allowedHosts(port);
  origins = allowedOrigins(port);
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    stop: async () => {
      for (const session of sessions.values()) await closeSession(session);
      sessions.clear();
      await bun.stop(true);
    },
  };
}
