// `loki mcp` over stdio: stdout carries JSON-RPC and nothing else — every other write to it (a stray
// log line anywhere in the process) is sent to stderr instead. Serves until the client closes stdin.
import { Writable } from "node:stream";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { reserveStdout } from "../core/stdio.ts";

export async function serveStdio(server: McpServer): Promise<void> {
  const protocolWrite = reserveStdout();
  const protocol = new Writable({
    write(chunk, encoding, done) {
      protocolWrite(chunk, encoding, done);
    },
  });
  const transport = new StdioServerTransport(process.stdin, protocol);
  const closed = new Promise<void>((resolve) => {
    transport.onclose = resolve;
    process.stdin.once("end", resolve);
    process.stdin.once("close", resolve);
  });
  await server.connect(transport);
  await closed;
  await server.close().catch(() => {});
}
