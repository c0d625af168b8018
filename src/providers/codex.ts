// OpenAI Codex CLI (`codex exec --json -`, the prompt on stdin): its record — install, login, state,
// argv/env per role and the JSONL event parser. Flags are checked against `codex exec --help`. No I/O.
import { isAbsolute, join } from "node:path";
import { LokiError } from "../core/errors.ts";
import { DEFAULT_MODELS, type Tokens } from "../core/models.ts";
import { classifyMessage, effortUpTo, type Json, num, obj, parseJsonLine, str, withSystemPrompt } from "./lines.ts";
import type { Env, HelpInfo, Invocation, InvocationRequest, Provider, ProviderEvent } from "./provider.ts";

/**
 * Extra `-c key=value` config, one pair per line, read at invocation time. This is how codex is
 * pointed at a custom model provider (a company gateway, or the tests' fake server), e.g.
 *   model_provider=gw
 *   model_providers.gw={name="gw",base_url="https://llm.corp/v1",env_key="GW_KEY",wire_api="responses"}
 * (OPENAI_BASE_URL is ignored by codex 0.169.) Blank lines and `#` comments are skipped.
 */
export const CODEX_CONFIG_ENV = "LOKI_CODEX_CONFIG";

/** Usage key for "the model codex was dispatched with": codex events never name it. */
export const DISPATCHED_MODEL = "*";

function invocation(req: InvocationRequest, help: HelpInfo): Invocation {
  const has = (flag: string) => help.flags.has(flag);
  const argv = ["codex", "exec", "--json"];
  if (has("--skip-git-repo-check")) argv.push("--skip-git-repo-check");
  argv.push("-m", req.model);
  // exec defaults to read-only, so build must ask for workspace-write on every call.
  // Inside loki's sandbox codex's own bwrap cannot start (no nested user namespaces) and every command
  // would fail: loki's sandbox already makes review and judge calls read-only.
  if (has("-s")) argv.push("-s", req.sandboxed ? "danger-full-access" : req.role === "build" ? "workspace-write" : "read-only");
  const extra = [...endpointConfig(req), ...mcpConfig(req), ...extraConfig()];
  if (has("-c")) {
    if (req.effort) argv.push("-c", `model_reasoning_effort=${effortUpTo(req.effort, "xhigh")}`);
    // With --disable plugins: without them codex tries chatgpt.com and github.com first, ~5 s offline (PROVIDERS §3.2).
    argv.push("-c", "analytics.enabled=false");
    // Last, so the user's pairs win over ours.
    for (const pair of extra) argv.push("-c", pair);
  } else if (extra.length > 0) {
    // Dropping a gateway config silently would send the prompt to the default provider instead.
    throw new LokiError("provider", `${req.endpoint ? "providers.codex" : CODEX_CONFIG_ENV} is set but this codex does not advertise -c`, {
      hint: `upgrade codex (npm install -g @openai/codex) or ${req.endpoint ? "remove providers.codex from loki.yaml" : "unset the variable"}`,
    });
  }
  if (has("--disable")) argv.push("--disable", "plugins");
  argv.push(...(req.endpoint?.extraArgs ?? []));
  if (req.role !== "build") {
    // A grader keeps no session file (its prompt names held-out items, and ~/.codex is the agent's to read)
    // and loads no execpolicy rules the agent could have written. config.toml stays: it may hold the user's gateway.
    if (has("--ephemeral")) argv.push("--ephemeral");
    if (has("--ignore-rules")) argv.push("--ignore-rules");
  }
  // `-` reads the prompt from stdin. exec has no append-system-prompt: the system prompt leads it.
  argv.push("-");
  // codex-bwrap mount targets go to TMPDIR (its daemon dir stays in /tmp regardless). With a key variable
  // and no base URL, the key is codex's own API key: `exec` takes it from CODEX_API_KEY, no login needed.
  const env: Record<string, string> = { TMPDIR: req.scratchDir };
  if (req.endpoint?.apiKey && !req.endpoint.baseUrl) env.CODEX_API_KEY = req.endpoint.apiKey;
  return { argv, env, stdin: withSystemPrompt(req.prompt, req.systemPrompt) };
}

/** The model provider providers.codex configures, as `-c` pairs: its base URL (Responses API), its key variable, then `config`. */
export function endpointConfig(req: Pick<InvocationRequest, "endpoint">): string[] {
  const endpoint = req.endpoint;
  if (!endpoint) return [];
  const pairs: string[] = [];
  if (endpoint.baseUrl) {
    const fields = {
      name: "loki",
      base_url: endpoint.baseUrl,
      wire_api: "responses",
      ...(endpoint.apiKeyEnv ? { env_key: endpoint.apiKeyEnv } : {}),
    };
    pairs.push('model_provider="loki"', `model_providers.loki=${toml(fields)}`);
  }
  for (const [key, value] of Object.entries(endpoint.config)) pairs.push(`${key}=${toml(value)}`);
  return pairs;
}

/** mcp.children: loki's server for a build call, its tools approved up front (`exec` would otherwise reject every call). */
export function mcpConfig(req: Pick<InvocationRequest, "mcpServer" | "role">): string[] {
  if (!req.mcpServer || req.role !== "build") return [];
  return [`mcp_servers.loki=${toml({ ...req.mcpServer, default_tools_approval_mode: "approve" })}`];
}

/** A JSON value as a TOML value for `-c` (strings as basic strings, objects as inline tables). */
function toml(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(toml).join(",")}]`;
  if (value && typeof value === "object")
    return `{${Object.entries(value)
      .map(([k, v]) => `${/^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k)}=${toml(v)}`)
      .join(",")}}`;
  return '""';
}

function extraConfig(): string[] {
  return (process.env[CODEX_CONFIG_ENV] ?? "")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

function parse(line: string): ProviderEvent[] {
  const event = parseJsonLine(line);
  if (!event) return [];
  switch (event.type) {
    case "thread.started":
      return [{ kind: "init", sessionId: str(event.thread_id) }];
    case "item.completed":
      return itemEvents(obj(event.item));
    case "turn.completed":
      // Per turn, tokens only: codex reports no cost, so the caller prices DISPATCHED_MODEL.
      return [
        {
          kind: "result",
          isError: false,
          text: "",
          errorClass: null,
          costUsd: null,
          usage: { [DISPATCHED_MODEL]: tokensOf(obj(event.usage)) },
          permissionDenials: 0,
        },
      ];
    case "turn.failed": {
      const message = str(obj(event.error).message) ?? "turn failed";
      return [
        {
          kind: "result",
          isError: true,
          text: message,
          errorClass: classifyMessage(message),
          costUsd: null,
          usage: {},
          permissionDenials: 0,
        },
      ];
    }
    case "error":
      return errorEvents(str(event.message) ?? "");
    default:
      return [];
  }
}

function itemEvents(item: Json): ProviderEvent[] {
  switch (item.type) {
    case "agent_message":
      return typeof item.text === "string" && item.text !== "" ? [{ kind: "text", text: item.text }] : [];
    case "command_execution":
      return [
        { kind: "tool_use", tool: "exec_command", input: { command: str(item.command) ?? "", exit_code: num(item.exit_code) ?? null } },
        { kind: "tool_result", isError: item.status === "failed" || (num(item.exit_code) ?? 0) !== 0, text: str(item.aggregated_output) },
      ];
    case "file_change":
      return [
        { kind: "tool_use", tool: "apply_patch", input: { changes: Array.isArray(item.changes) ? item.changes : [] } },
        { kind: "tool_result", isError: item.status === "failed" },
      ];
    case "mcp_tool_call":
      return [{ kind: "tool_use", tool: `${str(item.server) ?? "mcp"}.${str(item.tool) ?? "unknown"}`, input: item.arguments }];
    case "web_search":
      return [{ kind: "tool_use", tool: "web_search", input: { query: str(item.query) ?? "" } }];
    default:
      // `error` items are warnings ("Model metadata for `x` not found…"): the turn goes on.
      return [];
  }
}

/** Transient notices ("Reconnecting... 2/5", "…; retrying 1/5 in 200ms") are retries, not failures. */
function errorEvents(message: string): ProviderEvent[] {
  if (/\b(reconnecting|retrying)\b/i.test(message)) {
    const attempt = /(\d+)\s*\/\s*\d+/.exec(message)?.[1];
    return [attempt === undefined ? { kind: "retry" } : { kind: "retry", attempt: Number(attempt) }];
  }
  return [{ kind: "error", errorClass: classifyMessage(message), message }];
}

/** OpenAI counts cached and cache-write tokens inside input_tokens; price them apart. */
function tokensOf(usage: Json): Tokens {
  const input = num(usage.input_tokens) ?? 0;
  const cacheRead = num(usage.cached_input_tokens) ?? 0;
  const cacheWrite = num(usage.cache_write_input_tokens) ?? 0;
  return {
    input: Math.max(0, input - cacheRead - cacheWrite),
    output: num(usage.output_tokens) ?? 0,
    cache_read: cacheRead,
    cache_write: cacheWrite,
  };
}

/** codex keeps its login, config, sessions and logs in one home: $CODEX_HOME, else ~/.codex. */
const HOME_ENV = "CODEX_HOME";
const HOME_DIR = ".codex";

function stateDirs(home: string, env: Env): string[] {
  const moved = env[HOME_ENV];
  return [moved && isAbsolute(moved) ? moved : join(home, HOME_DIR)];
}

export const codex: Provider = {
  id: "codex",
  title: "Codex CLI",
  binary: "codex",
  install: "npm install -g @openai/codex",
  login: { subcommand: "login", alternative: "set OPENAI_API_KEY" },
  auth: { env: ["OPENAI_API_KEY", "CODEX_API_KEY"], files: ["auth.json"], homeEnv: HOME_ENV, homeDir: HOME_DIR, keychainOn: [] },
  helpSubcommand: ["exec"],
  probeEnv: {},
  // Not parallel: codex processes sharing one CODEX_HOME race on its tmp/arg0 helper links (one
  // process cleans up another's), so a reviewer's sandboxed command can fail with "execvp
  // codex-linux-sandbox: No such file". A home per call would lose the login's token refreshes.
  capabilities: { readOnly: "sandbox", cost: "estimated", parallel: false, pathRules: false, resultRequired: true },
  models: DEFAULT_MODELS.codex,
  stateDirs,
  // Its home's AGENTS.md is read into every call's instructions: build calls can write it (a writable state dir).
  graderHidden: (_cwd, home, env) => stateDirs(home, env).flatMap((dir) => [join(dir, "AGENTS.md"), join(dir, "AGENTS.override.md")]),
  // Its config.toml names the model provider (and MCP servers) a grader call uses.
  graderConfig: (home, env) => stateDirs(home, env).map((dir) => join(dir, "config.toml")),
  invocation,
  parse,
};
