// The tools `loki mcp --tools all` adds to the default six: a quote for a spec, a search of memory, the
// cost ledger and the trust trajectory — each `loki <command> --json`, read-only.
import { z } from "zod";
import { callLoki } from "./call.ts";
import { callFailure, isErrorJson, ok, withProgress } from "./result.ts";
import { specArgument } from "./start.ts";
import { READ, type ToolContext, type ToolDef } from "./tool-types.ts";

const TIMEOUT_MS = 120_000;

export function moreTools(ctx: ToolContext): ToolDef[] {
  const { root } = ctx;
  const json = async (argv: string[], what: string, signal: AbortSignal) => {
    const call = await callLoki(argv, { cwd: root, timeoutMs: TIMEOUT_MS, signal });
    return call.code !== 0 || isErrorJson(call) ? callFailure(call, what) : ok(call.json);
  };
  return [
    {
      name: "loki_plan",
      description: "Quote a spec: acceptance items, complexity, iterations, cost and time, and why start would refuse now.",
      input: { spec: z.string().min(1).max(4000).describe("spec path, issue ref or brief") },
      // Not read-only: it writes .loki/spec and may fetch an issue with the user's forge token.
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      run: async (input: { spec: string }, extra) => {
        const spec = await specArgument(root, input.spec);
        return withProgress(extra, "quoting", () => json(["plan", "--json", "--", spec], "loki plan", extra.signal));
      },
    },
    {
      name: "loki_memory_search",
      description: "Search past episodes and learnings (BM25 over goals, failures, fixes, files).",
      input: { query: z.string().min(1).max(500), limit: z.number().int().min(1).max(50).optional() },
      annotations: READ,
      run: (input: { query: string; limit?: number }, extra) =>
        json(
          ["memory", "search", "--json", ...(input.limit ? ["--limit", String(input.limit)] : []), "--", input.query],
          "loki memory search",
          extra.signal,
        ),
    },
    {
      name: "loki_cost",
      description: "What runs cost, per run and iteration, exact or estimated.",
      input: { last: z.number().int().min(1).max(1000).optional().describe("only the last n runs") },
      annotations: READ,
      run: (input: { last?: number }, extra) =>
        json(["cost", "--json", ...(input.last ? ["--last", String(input.last)] : [])], "loki cost", extra.signal),
    },
    {
      name: "loki_trust",
      description: "Trust trajectory across runs: council and gate pass rates, iterations and cost per verified run.",
      input: {},
      annotations: READ,
      run: (_input, extra) => json(["trust", "--json"], "loki trust", extra.signal),
    },
  ];
}
