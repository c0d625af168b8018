// `loki_start`: a spec path (inside the repository), an issue reference or a brief → a background run
// (`loki start --bg`: its own worktree and branch, the user's checkout untouched) → its run id. A client
// that can be asked (MCP elicitation) is shown the quote first and must accept it; nothing starts otherwise.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { callLoki } from "./call.ts";
import { remoteUrl } from "../core/git.ts";
import { parseRemoteUrl } from "../spec/detect.ts";
import { insideRepo, looksLikePath, ToolInputError } from "./paths.ts";
import { callFailure, fail, isErrorJson, isRecord, ok } from "./result.ts";

export type StartInput = { spec: string; provider?: string; budget_usd?: number; max_iterations?: number };

const PLAN_TIMEOUT_MS = 120_000;
/** `--bg` returns once the child's loop runs (or it fails): preparing, then up to 20 s of watching. */
const START_TIMEOUT_MS = 300_000;

/** Where an issue URL may point: the forges' own hosts, over https. A self-hosted one must be the repository's origin. */
const FORGE_HOSTS = ["github.com", "gitlab.com", "dev.azure.com"];
const FORGE_SUFFIXES = [".atlassian.net", ".visualstudio.com"];

/**
 * The spec as loki's argv takes it: a path checked to stay in the repository; an issue URL checked to
 * name a forge (fetching it sends the user's forge token to that host); else the text as given.
 */
export async function specArgument(root: string, spec: string): Promise<string> {
  const trimmed = spec.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    await checkIssueUrl(root, trimmed);
    return trimmed;
  }
  return looksLikePath(root, trimmed) ? insideRepo(root, trimmed, "spec") : trimmed;
}

async function checkIssueUrl(root: string, text: string): Promise<void> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ToolInputError(`spec ${JSON.stringify(text)} is not a valid URL`);
  }
  const host = url.hostname.toLowerCase();
  const origin = await originHost(root);
  const known = FORGE_HOSTS.includes(host) || FORGE_SUFFIXES.some((s) => host.endsWith(s)) || host === origin;
  if (url.protocol !== "https:" || !known)
    throw new ToolInputError(
      `spec URL ${url.origin} is not an issue on a known forge over https (github.com, gitlab.com, *.atlassian.net, dev.azure.com${origin ? `, or ${origin}: this repository's origin` : ""}); loki sends your forge token there`,
    );
}

/** The host of the repository's `origin` remote, or null. */
async function originHost(root: string): Promise<string | null> {
  const url = await remoteUrl(root);
  return url ? (parseRemoteUrl(url)?.host ?? null) : null;
}

export async function startRun(server: McpServer, root: string, input: StartInput, signal: AbortSignal): Promise<CallToolResult> {
  const spec = await specArgument(root, input.spec);
  const flags = [
    ...(input.provider ? ["--provider", input.provider] : []),
    ...(input.max_iterations !== undefined ? ["--max-iterations", String(input.max_iterations)] : []),
  ];
  if (server.server.getClientCapabilities()?.elicitation) {
    const quote = await callLoki(["plan", "--json", ...flags, "--", spec], { cwd: root, timeoutMs: PLAN_TIMEOUT_MS, signal });
    if (quote.code !== 0 || isErrorJson(quote)) return callFailure(quote, "quoting the spec (loki plan)");
    const answer = await server.server.elicitInput({
      mode: "form",
      message: `Start a loki run in ${root}? ${quoteLine(quote.json)}.${input.budget_usd !== undefined ? ` Budget cap: $${input.budget_usd}.` : ""}`,
      requestedSchema: {
        type: "object",
        properties: { start: { type: "boolean", title: "Start the run", description: "It runs in the background in its own worktree" } },
        required: ["start"],
      },
    });
    if (answer.action !== "accept" || answer.content?.start !== true) return fail("not started: the run was not approved");
  }
  const argv = [
    "start",
    "--bg",
    "--json",
    ...flags,
    ...(input.budget_usd !== undefined ? ["--budget", String(input.budget_usd)] : []),
    "--",
    spec,
  ];
  const started = await callLoki(argv, { cwd: root, timeoutMs: START_TIMEOUT_MS, signal });
  if (started.code !== 0 || isErrorJson(started) || !isRecord(started.json)) return callFailure(started, "loki start");
  return ok({ ...started.json, next: "poll loki_events with this run_id (pass back its cursor); loki_stop ends it" });
}

/** The plan's quote in one sentence (docs/reference/plan-json.md): items, iterations, cost, time, refusals. */
function quoteLine(plan: unknown): string {
  if (!isRecord(plan)) return "";
  const range = (value: unknown, unit: (n: number) => string) =>
    isRecord(value) && typeof value.low === "number" && typeof value.high === "number" ? `${unit(value.low)}–${unit(value.high)}` : null;
  const items = isRecord(plan.items) && typeof plan.items.total === "number" ? `${plan.items.total} acceptance items` : null;
  const iterations = range(plan.iterations, String);
  const cost = isRecord(plan.cost) ? range(plan.cost.usd, (n) => `$${n.toFixed(2)}`) : null;
  const minutes = isRecord(plan.time) ? range(plan.time.minutes, String) : null;
  const refusals = Array.isArray(plan.start_refusals) ? plan.start_refusals.filter(isRecord).map((r) => String(r.message)) : [];
  return [
    items,
    iterations && `${iterations} iterations`,
    cost && `quoted ${cost}`,
    minutes && `${minutes} minutes`,
    ...refusals.map((r) => `start would refuse: ${r}`),
  ]
    .filter(Boolean)
    .join("; ");
}
