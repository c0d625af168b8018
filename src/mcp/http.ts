// `loki mcp --http`: Streamable HTTP on 127.0.0.1 only, one transport (and one server) per session.
// Before the protocol sees a request: a foreign Host or Origin is refused (403, DNS rebinding), a
// missing or wrong bearer token too (401, compared in constant time), any path but /mcp is 404.
import { randomUUID } from "node:crypto";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { bearerMatches } from "./token.ts";

/** Sessions held at once; past it a new client is told to retry (503) rather than grow memory. */
const MAX_SESSIONS = 32;

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
  const sessions = new Map<string, { transport: WebStandardStreamableHTTPServerTransport; server: McpServer }>();
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
    if (known) return known.transport.handleRequest(req);
    if (id !== null) return text(404, "unknown session: initialize again");
    if (req.method !== "POST") return text(405, "a session starts with a POST of initialize", { allow: "POST" });
    if (sessions.size >= MAX_SESSIONS) return text(503, `busy: ${MAX_SESSIONS} sessions are open; close one (DELETE /mcp)`);
    const server = makeServer();
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      enableDnsRebindingProtection: true,
      allowedHosts: hosts,
      allowedOrigins: origins,
      onsessioninitialized: (sessionId) => {
        sessions.set(sessionId, { transport, server });
      },
      onsessionclosed: (sessionId) => {
        sessions.delete(sessionId);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    return transport.handleRequest(req);
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
      for (const { transport, server } of sessions.values()) {
        await transport.close().catch(() => {});
        await server.close().catch(() => {});
      }
      sessions.clear();
      await bun.stop(true);
    },
  };
}
