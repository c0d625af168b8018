// Aider (`aider --message-file`): its record — install, login, state, argv per role and a plain-text
// parser that reads its token/cost lines. Built from aider's documented options (it is a PyPI
// package, not installable here): no flag is used unless the installed aider's --help lists it. No I/O.
import { join } from "node:path";
import { DEFAULT_MODELS, type Tokens } from "../core/models.ts";
import { classifyMessage, effortUpTo, promptFile, readTaskIn, withSystemPrompt } from "./lines.ts";
import type { ErrorClass, HelpInfo, Invocation, InvocationRequest, Provider, ProviderEvent } from "./provider.ts";

/** Usage key for the dispatched model: aider's token lines never name it. */
const DISPATCHED_MODEL = "*";

/** Flags for every call, each only when advertised: no prompts, no commits, plain output, no phoning home. */
const QUIET_FLAGS = [
  "--yes-always",
  "--no-auto-commits",
  "--no-pretty",
  "--no-stream",
  "--no-check-update",
  "--no-analytics",
  "--no-show-model-warnings",
  // aider would otherwise append .aider* to the repo's .gitignore: a diff loki did not ask for.
  "--no-gitignore",
  // Nobody is there to approve a suggested shell command; skip generating them.
  "--no-suggest-shell-commands",
];

function invocation(req: InvocationRequest, help: HelpInfo): Invocation {
  const has = (flag: string) => help.flags.has(flag);
  // The prompt goes in a file: --message-file reads it; an aider without it is told where it is
  // (--read puts the file in the chat). `--message=` keeps our short text from reading as an option.
  const task = promptFile(req.scratchDir, "prompt", withSystemPrompt(req.prompt, req.systemPrompt));
  const argv = ["aider"];
  if (has("--message-file")) argv.push("--message-file", task.path);
  else argv.push(...(has("--read") ? ["--read", task.path] : []), `--message=${readTaskIn(task)}`);
  // A custom endpoint (providers.aider) goes through litellm's own variables; the model names its protocol.
  const endpoint = req.endpoint;
  const prefix = endpoint?.baseUrl ? `${endpoint.api}/` : "";
  argv.push("--model", prefix && !req.model.startsWith(prefix) ? `${prefix}${req.model}` : req.model);
  argv.push(...QUIET_FLAGS.filter(has));
  // History files default to the repo root; keep them out of the diff.
  if (has("--chat-history-file")) argv.push("--chat-history-file", join(req.scratchDir, "aider.chat.history.md"));
  if (has("--input-history-file")) argv.push("--input-history-file", join(req.scratchDir, "aider.input.history"));
  if (req.effort && has("--reasoning-effort")) argv.push("--reasoning-effort", effortUpTo(req.effort, "high"));
  // aider has no read-only mode; --dry-run stops it writing files, the tree hash does the rest.
  if (req.role !== "build" && has("--dry-run")) argv.push("--dry-run");
  argv.push(...(endpoint?.extraArgs ?? []));
  return { argv, env: endpointEnv(endpoint), files: [task] };
}

/** litellm's variables for an endpoint: OPENAI_API_BASE/KEY for an OpenAI-compatible one, ANTHROPIC_* for Anthropic's. */
function endpointEnv(endpoint: InvocationRequest["endpoint"]): Record<string, string> {
  if (!endpoint) return {};
  const env: Record<string, string> = {};
  const vendor = endpoint.api === "anthropic" ? "ANTHROPIC" : "OPENAI";
  if (endpoint.baseUrl) {
    env[endpoint.api === "anthropic" ? "ANTHROPIC_BASE_URL" : "OPENAI_API_BASE"] = endpoint.baseUrl;
    // An endpoint with no key of its own never receives the user's vendor keys from loki's environment.
    for (const name of ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"]) env[name] = "";
  }
  if (endpoint.apiKey) env[`${vendor}_API_KEY`] = endpoint.apiKey;
  return env;
}

const TOKENS_LINE = /^Tokens:\s*(.+?\breceived)\.?(?:\s+Cost:\s*\$([\d.,]+)\s*message)?/;
const LITELLM_ERROR = /litellm\.(\w+Error)\b/;

function parse(line: string): ProviderEvent[] {
  const text = line.trim();
  if (text === "") return [];
  const tokens = TOKENS_LINE.exec(text);
  if (tokens) return [usageResult(tokens[1] ?? "", tokens[2])];
  const apiError = LITELLM_ERROR.exec(text);
  if (apiError) return [{ kind: "error", errorClass: errorClassOf(apiError[1] ?? "", text), message: text }];
  return [{ kind: "text", text }];
}

/**
 * "Tokens: 2.5k sent, 1.1k cache write, 20k cache hit, 300 received. Cost: $0.01 message, $0.05 session."
 * One line per model reply; the message cost is aider's own (its price table), so it is exact.
 */
function usageResult(parts: string, messageCost: string | undefined): ProviderEvent {
  const usage: Tokens = { input: 0, output: 0, cache_read: 0, cache_write: 0 };
  // ", " separates parts; a bare "," is a thousands separator (12,450).
  for (const part of parts.split(/,\s+/)) {
    const match = /^\s*([\d.,]+)\s*([kKmM]?)\s+(sent|received|cache write|cache hit)\s*$/.exec(part);
    if (!match) continue;
    const count = countOf(match[1] ?? "0", match[2] ?? "");
    if (match[3] === "sent") usage.input += count;
    else if (match[3] === "received") usage.output += count;
    else if (match[3] === "cache write") usage.cache_write += count;
    else usage.cache_read += count;
  }
  const cost = messageCost === undefined ? null : Number(messageCost.replace(/,/g, ""));
  return {
    kind: "result",
    isError: false,
    text: "",
    errorClass: null,
    costUsd: cost !== null && Number.isFinite(cost) ? cost : null,
    usage: { [DISPATCHED_MODEL]: usage },
    permissionDenials: 0,
  };
}

function countOf(digits: string, suffix: string): number {
  const value = Number(digits.replace(/,/g, ""));
  const scale = suffix.toLowerCase() === "k" ? 1_000 : suffix.toLowerCase() === "m" ? 1_000_000 : 1;
  return Number.isFinite(value) ? Math.round(value * scale) : 0;
}

/** litellm names the failure in the exception class; the message is the fallback. */
function errorClassOf(name: string, text: string): ErrorClass {
  if (name === "AuthenticationError" || name === "PermissionDeniedError") return "auth";
  if (name === "RateLimitError") return "rate_limit";
  if (name === "NotFoundError") return /model/i.test(text) ? "unknown_model" : "api_error";
  return classifyMessage(text);
}

export const aider: Provider = {
  id: "aider",
  title: "Aider",
  binary: "aider",
  install: "python -m pip install aider-install && aider-install",
  login: { subcommand: null, alternative: "set ANTHROPIC_API_KEY or OPENAI_API_KEY (aider reads the key of the model it runs)" },
  auth: {
    env: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "AIDER_API_KEY", "OPENROUTER_API_KEY"],
    files: [".aider.conf.yml"],
    homeEnv: null,
    homeDir: "",
    keychainOn: [],
  },
  helpSubcommand: [],
  probeEnv: {},
  // Success may print no token line (a model without a usage report): exit 0 is enough.
  capabilities: { readOnly: "none", cost: "exact", parallel: false, pathRules: false, resultRequired: false },
  models: DEFAULT_MODELS.aider,
  // ~/.aider: its model-price cache, version check, analytics id and OAuth keys. The ~/.aider.*
  // config files are only read; history files go to the scratch dir (see invocation).
  stateDirs: (home) => [join(home, ".aider")],
  invocation,
  parse,
};
