// The tool sets of `loki mcp --tools`: `core` (the default six: supervise a run), `all` (+ plan, memory,
// cost, trust) and `child` (loki_verify alone, for the agent of a run: mcp.children); registering them.
import { guarded } from "./result.ts";
import type { ToolContext, ToolDef } from "./tool-types.ts";
import { coreTools } from "./tools.ts";
import { moreTools } from "./tools-more.ts";

export const TOOL_SETS = {
  core: ["loki_status", "loki_start", "loki_events", "loki_verify", "loki_proof", "loki_stop"],
  all: [
    "loki_status",
    "loki_start",
    "loki_events",
    "loki_verify",
    "loki_proof",
    "loki_stop",
    "loki_plan",
    "loki_memory_search",
    "loki_cost",
    "loki_trust",
  ],
  child: ["loki_verify"],
} as const;
export type ToolSet = keyof typeof TOOL_SETS;

/** The tools of a set, in its order. */
export function toolsOf(ctx: ToolContext, set: ToolSet): ToolDef[] {
  const all = [...coreTools(ctx), ...moreTools(ctx)];
  return TOOL_SETS[set].map((name) => {
    const tool = all.find((t) => t.name === name);
    if (!tool) throw new Error(`tool ${name} is not defined`);
    return tool;
  });
}

export function registerTools(ctx: ToolContext, set: ToolSet): void {
  for (const tool of toolsOf(ctx, set)) {
    ctx.server.registerTool(
      tool.name,
      { description: tool.description, inputSchema: tool.input, annotations: tool.annotations },
      (input, extra) => guarded(ctx.log, tool.name, () => tool.run(input, extra)),
    );
  }
}
