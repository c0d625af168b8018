// `loki mcp --http`: Streamable HTTP on 127.0.0.1 only, one transport (and one server) per session.
// Before the protocol sees a request: a foreign Host or Origin is refused (403, DNS rebinding), a
// missing or wrong bearer token too (401, compared in constant time), any path but /mcp is 404. Sessions: sessions.ts.
import { randomUUID } from "node:crypto";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { closeSession, isInitialize, MAX_SESSIONS, Sessions } from "./sessions.ts";
import { bearerMatches } from "./token.ts";

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
  const sessions = new Sessions();
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
    const known = id === null ? undefined : sessions.table.get(id);
    if (known) return sessions.serve(known, req);
    if (id !== null) return text(404, "unknown session: initialize again");
    if (req.method !== "POST") return text(405, "a session starts with a POST of initialize", { allow: "POST" });
    if (!(await isInitialize(req))) return text(400, "no session: send initialize first (its answer carries mcp-session-id)");
    if (!(await sessions.makeRoom(Date.now()))) return text(503, `busy: ${MAX_SESSIONS} sessions are at work; retry shortly`);
    const server = makeServer();
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      enableDnsRebindingProtection: true,
      allowedHosts: hosts,
      allowedOrigins: origins,
      onsessioninitialized: (sessionId) => {
        sessions.table.set(sessionId, { transport, server, seen: Date.now(), busy: 0 });
      },
      onsessionclosed: (sessionId) => {
        sessions.table.delete(sessionId);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.table.delete(transport.sessionId);
    };
    await server.connect(transport);
    const response = await transport.handleRequest(req);
    // Not an initialize (or refused): no session was made, and nothing may keep this pair alive.
    if (transport.sessionId === undefined || !sessions.table.has(transport.sessionId)) await closeSession({ transport, server });
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
      await sessions.closeAll();
      await bun.stop(true);
    },
  };
}
