// One MCP server for one repository: its tools (a set: core, all, child), the run resources and the
// loki_start prompt. A transport (stdio.ts, http.ts) connects it; it never writes to stdout itself.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import pkg from "../../package.json" with { type: "json" };
import { registerPrompt, registerResources } from "./resources.ts";
import { registerTools, TOOL_SETS, type ToolSet } from "./registry.ts";

export type ServerOptions = {
  root: string;
  tools: ToolSet;
  log: (text: string) => void;
  /** loki_verify's default base (the child set gets the run's start commit). */
  base?: string;
  /** Paths the child's sandbox masks: loki_verify passes them to loki verify (--masked). */
  masked?: string[];
};

const INSTRUCTIONS =
  "loki builds a spec with a coding agent and refuses to call unverified work done. Start a run with loki_start, " +
  "poll loki_events with its run_id and cursor, stop it with loki_stop; loki_verify grades a diff, loki_proof checks a run's signed proof.";

export function createServer(options: ServerOptions): McpServer {
  const child = options.tools === "child";
  const server = new McpServer(
    { name: "loki", version: pkg.version },
    { instructions: child ? "loki_verify grades your uncommitted work with the run's deterministic gates." : INSTRUCTIONS },
  );
  registerTools(
    {
      server,
      root: options.root,
      log: options.log,
      child,
      verify: { ...(options.base ? { base: options.base } : {}), uncommitted: child, masked: options.masked ?? [] },
    },
    options.tools,
  );
  if (!child) {
    registerResources(server, options.root);
    registerPrompt(server);
  }
  return server;
}

export const toolCount = (set: ToolSet) => TOOL_SETS[set].length;
