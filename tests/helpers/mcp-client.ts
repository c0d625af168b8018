// The MCP SDK's own client against the real `loki mcp` (the package's bundle) over stdio or Streamable
// HTTP, for tests: connect, call a tool and parse its one JSON text block.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { afterAll } from "bun:test";
import { cliBundle } from "./cli-bundle.ts";

export type ToolAnswer = { isError: boolean; text: string; json: <T = Record<string, unknown>>() => T };

export type McpClient = Client & { tool: (name: string, args?: Record<string, unknown>) => Promise<ToolAnswer>; stderr: () => string };

function withTool(client: Client, stderr: () => string): McpClient {
  const tool = async (name: string, args: Record<string, unknown> = {}): Promise<ToolAnswer> => {
    const result = await client.callTool({ name, arguments: args });
    const content = result.content as { type: string; text: string }[];
    const text = content.map((c) => c.text).join("");
    return { isError: result.isError === true, text, json: <T>() => JSON.parse(text) as T };
  };
  return Object.assign(client, { tool, stderr });
}

const envOf = (env: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries({ ...process.env, ...env }).filter((e): e is [string, string] => e[1] !== undefined));

/** `loki mcp …args` over stdio in `cwd`. */
export async function stdioClient(
  cwd: string,
  args: string[] = [],
  env: Record<string, string | undefined> = {},
  capabilities: ClientCapabilities = {},
): Promise<McpClient> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cliBundle(), "mcp", ...args],
    cwd,
    env: envOf(env),
    stderr: "pipe",
  });
  let err = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const client = new Client({ name: "loki-test", version: "1.0.0" }, { capabilities });
  await client.connect(transport);
  return withTool(client, () => err);
}

/** A running `loki mcp --http --port 0` in `cwd`: its URL, stderr, and a way to stop it. */
export async function httpServer(cwd: string, env: Record<string, string | undefined>, args: string[] = []) {
  const proc = Bun.spawn([process.execPath, cliBundle(), "mcp", "--http", "--port", "0", ...args], {
    cwd,
    env: envOf(env),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const reader = proc.stderr.getReader();
  let err = "";
  const deadline = Date.now() + 20_000;
  while (!/at (http:\/\/\S+)/.test(err)) {
    if (Date.now() > deadline) throw new Error(`loki mcp --http did not start: ${err}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`loki mcp --http ended: ${err}`);
    err += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const url = (/at (http:\/\/\S+)/.exec(err) as RegExpExecArray)[1] as string;
  return {
    url,
    stderr: () => err,
    proc,
    [Symbol.asyncDispose]: async () => {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

export async function httpClient(url: string, token: string): Promise<McpClient> {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  const client = new Client({ name: "loki-test", version: "1.0.0" });
  await client.connect(transport);
  return withTool(client, () => "");
}

/** A test file's client keeper: every client passed to `keep` is closed after the file's tests. */
export function keeper(): (client: McpClient) => McpClient {
  const open: McpClient[] = [];
  afterAll(async () => {
    for (const client of open) await client.close().catch(() => {});
  });
  return (client) => {
    open.push(client);
    return client;
  };
}

/** An initialize request's body, as a client opening a session sends it. */
export const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
});

/** POSTs `body` to the server's /mcp with the bearer token (and `headers`), as a raw client would. */
export function post(url: string, token: string, body: string = INITIALIZE, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body,
  });
}
