// Claude Code (`claude -p --output-format stream-json`, the prompt on stdin): its record — install,
// login, state, argv/env per role and the stream-json parser. Outcomes come from is_error,
// terminal_reason and api_error_status — never `subtype`, "success" on API errors. No I/O here.
import { isAbsolute, join } from "node:path";
import { LokiError } from "../core/errors.ts";
import { DEFAULT_MODELS, type Tokens } from "../core/models.ts";
import { isObject, type Json, num, parseJsonLine, promptFile, str, withSystemPrompt } from "./lines.ts";
import type { Env, ErrorClass, HelpInfo, Invocation, InvocationRequest, PromptFile, Provider, ProviderEvent } from "./provider.ts";

/**
 * Tools removed for review/judge. Edit/Write/NotebookEdit disappear from the request; the Bash
 * patterns stop the obvious repository mutations. Bash can still write files (PROVIDERS §2.4), so
 * the working-tree hash around each reviewer call stays the real guard.
 */
export const REVIEW_DENIED_TOOLS = [
  "Edit",
  "Write",
  "NotebookEdit",
  "Bash(git commit:*)",
  "Bash(git push:*)",
  "Bash(git reset:*)",
  "Bash(git checkout:*)",
  "Bash(git restore:*)",
  "Bash(git stash:*)",
  "Bash(git clean:*)",
  "Bash(git add:*)",
  "Bash(rm:*)",
];

/** Permission rules that hide `path` (a file or a whole tree) from the Read tool; `//` anchors at /. */
export function readDenyRules(path: string): string[] {
  const abs = `/${path.replace(/^\/+/, "").replace(/\/+$/, "")}`;
  return [`Read(/${abs})`, `Read(/${abs}/**)`];
}

function invocation(req: InvocationRequest, help: HelpInfo): Invocation {
  const has = (flag: string) => help.flags.has(flag);
  // -p with no prompt argument reads the prompt from stdin. The system prompt goes to a file when
  // --append-system-prompt-file is advertised (2.1.330 hides it), else it leads the prompt on stdin.
  const systemFile =
    req.systemPrompt !== undefined && has("--append-system-prompt-file") ? promptFile(req.scratchDir, "system", req.systemPrompt) : null;
  const stdin = systemFile ? req.prompt : withSystemPrompt(req.prompt, req.systemPrompt);
  // argv[0] is the literal name: the caller swaps in the resolved binary path.
  const argv = ["claude", "-p", "--output-format", "stream-json", "--verbose", "--model", req.model];
  const env: Record<string, string> = {
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_TELEMETRY: "1",
    // claude-<uid>/ and cc-socks/ would otherwise land in /tmp; scratchDir exists (the caller makes it).
    CLAUDE_CODE_TMPDIR: req.scratchDir,
    XDG_RUNTIME_DIR: req.scratchDir,
  };
  // A custom endpoint (providers.claude): Claude Code's own variables, and its --settings for `config`
  // (a 0600 file: argv is readable by every user in /proc). An endpoint with no key of its own never
  // receives the user's Anthropic key or token from loki's environment.
  const endpoint = req.endpoint;
  const files: PromptFile[] = [];
  if (endpoint?.baseUrl) {
    env.ANTHROPIC_BASE_URL = endpoint.baseUrl;
    env.ANTHROPIC_API_KEY = endpoint.apiKey ?? "";
    env.ANTHROPIC_AUTH_TOKEN = "";
  } else if (endpoint?.apiKey) env.ANTHROPIC_API_KEY = endpoint.apiKey;
  if (endpoint && Object.keys(endpoint.config).length > 0) {
    if (!has("--settings"))
      throw new LokiError("provider", "providers.claude.config is set but this claude does not advertise --settings", {
        hint: "upgrade Claude Code (npm install -g @anthropic-ai/claude-code) or remove providers.claude.config",
      });
    const settings = promptFile(req.scratchDir, "settings", JSON.stringify(endpoint.config));
    files.push(settings);
    argv.push("--settings", settings.path);
  }
  if (systemFile) argv.push("--append-system-prompt-file", systemFile.path);
  if (req.effort && has("--effort")) argv.push("--effort", req.effort);
  if (req.fallbackModel && req.fallbackModel !== req.model && has("--fallback-model")) argv.push("--fallback-model", req.fallbackModel);
  if (req.remainingBudgetUsd !== undefined && has("--max-budget-usd")) {
    argv.push("--max-budget-usd", Math.max(0.01, req.remainingBudgetUsd).toFixed(2));
  }
  if (req.role === "build") {
    if (has("--dangerously-skip-permissions")) {
      if (isRootUser() && !req.allowRoot && !req.sandboxed) {
        throw new LokiError("provider", "claude refuses --dangerously-skip-permissions when run as root", {
          hint: "Claude Code only allows it as root inside a sandbox. If this machine is one, pass --yes or set LOKI_ALLOW_ROOT=true (loki then sets IS_SANDBOX=1)",
        });
      }
      argv.push("--dangerously-skip-permissions");
      if (isRootUser()) env.IS_SANDBOX = "1";
    } else if (has("--permission-mode")) {
      argv.push("--permission-mode", "acceptEdits");
    }
  }
  if (req.role !== "build") {
    // A grader answers to loki alone: no user or project settings (their env can point the API elsewhere,
    // their hooks and CLAUDE.md reach into the prompt — and the agent can write both), no MCP server
    // but loki's, and no session file keeping the prompt (it names held-out items) where the agent reads.
    if (has("--setting-sources")) argv.push("--setting-sources", "");
    if (has("--strict-mcp-config")) argv.push("--strict-mcp-config");
    if (has("--no-session-persistence")) argv.push("--no-session-persistence");
  }
  if (req.mcpServer && req.role === "build" && has("--mcp-config")) {
    const config = promptFile(req.scratchDir, "mcp", JSON.stringify({ mcpServers: { loki: req.mcpServer } }));
    files.push(config);
    // Variadic flags in their = form: neither can swallow what follows. The allow rule matters without the bypass.
    argv.push(`--mcp-config=${config.path}`);
    // Claude connects MCP servers in the background by default: the first turn would find no loki tool.
    env.MCP_CONNECTION_NONBLOCKING = "0";
    if (has("--allowedTools")) argv.push("--allowedTools=mcp__loki__*");
  }
  argv.push(...(endpoint?.extraArgs ?? []));
  // Review/judge get no bypass: in -p mode anything that would prompt is denied.
  const denied = [...(req.role === "build" ? [] : REVIEW_DENIED_TOOLS), ...req.denyRead.flatMap(readDenyRules)];
  // Variadic flag: last, so it cannot swallow what follows it.
  if (denied.length > 0 && has("--disallowedTools")) argv.push("--disallowedTools", ...denied);
  if (systemFile) files.push(systemFile);
  return { argv, env, stdin, ...(files.length > 0 ? { files } : {}) };
}

function isRootUser(): boolean {
  return process.getuid?.() === 0;
}

function parse(line: string): ProviderEvent[] {
  const event = parseJsonLine(line);
  if (!event) return [];
  switch (event.type) {
    case "system":
      return systemEvents(event);
    case "assistant":
      return assistantEvents(event);
    case "user":
      return blocks(event).flatMap((b): ProviderEvent[] =>
        b.type === "tool_result" ? [{ kind: "tool_result", isError: b.is_error === true, text: contentText(b.content) }] : [],
      );
    case "result":
      return [resultEvent(event)];
    default:
      return [];
  }
}

function systemEvents(event: Json): ProviderEvent[] {
  if (event.subtype === "init") {
    const tools = Array.isArray(event.tools) ? event.tools.filter((t): t is string => typeof t === "string") : undefined;
    return [{ kind: "init", model: str(event.model), sessionId: str(event.session_id), tools }];
  }
  if (event.subtype === "model_fallback") {
    return [
      {
        kind: "model_fallback",
        from: str(event.original_model) ?? "?",
        to: str(event.fallback_model) ?? "?",
        reason: str(event.trigger) ?? "unknown",
      },
    ];
  }
  if (event.subtype === "api_retry") {
    return [{ kind: "retry", attempt: num(event.attempt), errorStatus: num(event.error_status), delayMs: num(event.retry_delay_ms) }];
  }
  return [];
}

function assistantEvents(event: Json): ProviderEvent[] {
  if (event.is_api_error_message === true) {
    const message = blocks(event)
      .map((b) => str(b.text) ?? "")
      .join("\n");
    return [{ kind: "error", errorClass: classOfStatus(num(event.api_error_status), message) ?? "api_error", message }];
  }
  return blocks(event).flatMap((b): ProviderEvent[] => {
    if (b.type === "text" && typeof b.text === "string" && b.text !== "") return [{ kind: "text", text: b.text }];
    if (b.type === "tool_use") return [{ kind: "tool_use", tool: str(b.name) ?? "unknown", input: b.input }];
    return [];
  });
}

function resultEvent(event: Json): ProviderEvent {
  const text = str(event.result) ?? "";
  const isError = event.is_error === true;
  const since = isObject(event.model_usage_since_last_result) ? event.model_usage_since_last_result : null;
  return {
    kind: "result",
    isError,
    text,
    errorClass: isError ? errorClassOf(event, text) : null,
    costUsd: since ? costOf(since) : null,
    usage: since ? usageByModel(since) : { "*": usageTokens(isObject(event.usage) ? event.usage : {}) },
    permissionDenials: Array.isArray(event.permission_denials) ? event.permission_denials.length : 0,
  };
}

function errorClassOf(event: Json, text: string): ErrorClass | null {
  if (event.terminal_reason === "budget_exhausted") return "budget";
  if (event.terminal_reason === "max_turns") return "max_turns";
  const byStatus = classOfStatus(num(event.api_error_status), text);
  if (byStatus) return byStatus;
  return event.terminal_reason === "api_error" ? "api_error" : null;
}

function classOfStatus(status: number | undefined, text: string): ErrorClass | null {
  if (status === undefined) return null;
  if (status === 401 || status === 403) return "auth";
  if (status === 404 && /model/i.test(text)) return "unknown_model";
  if (status === 429) return "rate_limit";
  if (status === 529 || status === 503) return "overloaded";
  return "api_error";
}

/**
 * Exact dollars of this call only (model_usage_since_last_result; total_cost_usd adds up over
 * resumed sessions). A model with tokens but no or zero costUSD has no price in Claude Code's
 * table: then the cost is unknown (null) and the caller estimates it from tokens.
 */
function costOf(since: Json): number | null {
  let sum = 0;
  for (const entry of Object.values(since)) {
    if (!isObject(entry)) return null;
    const tokens = usageTokens(entry);
    const cost = num(entry.costUSD);
    const used = tokens.input + tokens.output + tokens.cache_read + tokens.cache_write > 0;
    if (cost === undefined || (cost === 0 && used)) return null;
    sum += cost;
  }
  return sum;
}

function usageByModel(since: Json): Record<string, Tokens> {
  return Object.fromEntries(Object.entries(since).map(([model, entry]) => [model, usageTokens(isObject(entry) ? entry : {})]));
}

/** Accepts both shapes: modelUsage camelCase and API snake_case. */
function usageTokens(u: Json): Tokens {
  return {
    input: num(u.inputTokens) ?? num(u.input_tokens) ?? 0,
    output: num(u.outputTokens) ?? num(u.output_tokens) ?? 0,
    cache_read: num(u.cacheReadInputTokens) ?? num(u.cache_read_input_tokens) ?? 0,
    cache_write: num(u.cacheCreationInputTokens) ?? num(u.cache_creation_input_tokens) ?? 0,
  };
}

function blocks(event: Json): Json[] {
  const message = isObject(event.message) ? event.message : {};
  return Array.isArray(message.content) ? message.content.filter(isObject) : [];
}

function contentText(content: unknown): string | undefined {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return undefined;
  return content
    .filter(isObject)
    .map((part) => str(part.text) ?? "")
    .join("\n");
}

/** ~/.claude and the file ~/.claude.json; CLAUDE_CONFIG_DIR moves both into itself. */
function stateDirs(home: string, env: Env): string[] {
  const moved = env.CLAUDE_CONFIG_DIR;
  if (moved && isAbsolute(moved)) return [moved];
  return [join(home, ".claude"), join(home, ".claude.json")];
}

export const claude: Provider = {
  id: "claude",
  title: "Claude Code",
  binary: "claude",
  install: "npm install -g @anthropic-ai/claude-code",
  login: { subcommand: "auth login", alternative: "set ANTHROPIC_API_KEY" },
  auth: {
    env: ["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN", "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX"],
    files: [".claude/.credentials.json"],
    homeEnv: null,
    homeDir: "",
    keychainOn: ["darwin"],
  },
  helpSubcommand: [],
  // claude probes its API host on --help/--version unless told otherwise.
  probeEnv: { CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1", DISABLE_TELEMETRY: "1", DISABLE_AUTOUPDATER: "1" },
  capabilities: { readOnly: "tools", cost: "exact", parallel: true, pathRules: true, resultRequired: true },
  models: DEFAULT_MODELS.claude,
  stateDirs,
  invocation,
  parse,
};
