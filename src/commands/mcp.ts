// `loki mcp [--http] [--port N] [--tools core|all] [--repo DIR]`: serve this repository's runs to other
// agents over MCP until the client goes (stdio) or the process is stopped (HTTP). Logs go to stderr only.
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { usageError } from "../core/errors.ts";
import { COMMAND_EXIT, type ExitCode } from "../core/exit-codes.ts";
import { repoRoot } from "../core/git.ts";
import { findRoot, lokiHomeAt } from "../core/workspace.ts";
import { serveHttp } from "../mcp/http.ts";
import { createServer, toolCount } from "../mcp/server.ts";
import { serveStdio } from "../mcp/stdio.ts";
import { loadToken } from "../mcp/token.ts";
import type { ToolSet } from "../mcp/registry.ts";
import { writeErr } from "../core/stdio.ts";

export type McpOptions = { http?: boolean; port?: number; tools?: ToolSet; repo?: string; base?: string; masked?: string[] };

export const DEFAULT_MCP_PORT = 57380;

const log = (text: string) => writeErr(`loki mcp: ${text}\n`);

export async function runMcp(options: McpOptions): Promise<ExitCode> {
  const root = serveRoot(options.repo);
  // Every tool works on a git repository: say so now, not on each call.
  await repoRoot(root);
  const tools = options.tools ?? "core";
  const make = () =>
    createServer({
      root,
      tools,
      log,
      ...(options.base ? { base: options.base } : {}),
      ...(options.masked ? { masked: options.masked } : {}),
    });
  if (!options.http) {
    if (options.port !== undefined) throw usageError("--port is for --http", { hint: "loki mcp --http --port 57380" });
    log(`serving ${root} over stdio (${toolCount(tools)} tools)`);
    await serveStdio(make());
    return COMMAND_EXIT.ok;
  }
  const token = loadToken(process.env, lokiHomeAt().mcpToken);
  const port = options.port ?? DEFAULT_MCP_PORT;
  let server: ReturnType<typeof serveHttp>;
  try {
    server = serveHttp(make, { port, token: token.value, log });
  } catch (error) {
    if ((error as { code?: string }).code === "EADDRINUSE")
      throw usageError(`port ${port} is in use`, { hint: "pick another: loki mcp --http --port <n> (0 picks a free one)" });
    throw error;
  }
  log(`bearer token: ${token.source === "LOKI_MCP_TOKEN" ? "$LOKI_MCP_TOKEN" : `in ${token.path}`}  (Authorization: Bearer <token>)`);
  log(`serving ${root} at ${server.url} (${toolCount(tools)} tools)`);
  await new Promise<void>((done) => {
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
  });
  await server.stop();
  return COMMAND_EXIT.ok;
}

function serveRoot(repo: string | undefined): string {
  if (repo === undefined) return findRoot();
  const dir = resolve(repo);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw usageError(`--repo ${repo} is not a directory`, { hint: "loki mcp --repo <path to a git repository>" });
  return findRoot(dir);
}
