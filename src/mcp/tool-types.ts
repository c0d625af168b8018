// What a tool of the MCP server is: its name, description, zod input, annotations and handler, and the
// context every handler gets (the server, the repository, the log, loki_verify's defaults).
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { CallToolResult, ServerNotification, ServerRequest, ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";

export type ToolContext = {
  server: McpServer;
  root: string;
  log: (text: string) => void;
  /** The child set (mcp.children): served to a run's agent, inside its sandbox. */
  child: boolean;
  /** loki_verify's defaults (the child set: the run's start commit, uncommitted changes included). */
  verify: { base?: string; uncommitted: boolean; masked: string[] };
};

export type ToolDef = {
  name: string;
  description: string;
  input: z.ZodRawShape;
  annotations: ToolAnnotations;
  // biome-ignore lint/suspicious/noExplicitAny: each tool's handler takes its own zod-parsed input.
  run: (input: any, extra: Extra) => Promise<CallToolResult>;
};

export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** A tool that only reads: loki's files, or a command that changes nothing the user keeps. */
export const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;
