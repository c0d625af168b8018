// Cline CLI (`cline --json`): its record — install, login, state, argv/env per role (read-only roles: plan
// mode, every write/shell/spawn tool off), the NDJSON parser. Each call gets its own --data-dir holding the
// login, or with `providers.cline` settings loki generates (cline-config.ts) and --config there too.
import { rmSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { DEFAULT_MODELS, type Tokens } from "../core/models.ts";
import {
  clineConfigDir,
  clineDataDir,
  clineModelArg,
  clineProviderId,
  DATA_DIR,
  globalSettingsPath,
  LOGIN_FILE,
  ownsSettings,
  providersCallFile,
  providersPath,
  seedClineData,
  seededLoginModel,
} from "./cline-config.ts";
import { classifyMessage, effortUpTo, type Json, num, obj, parseJsonLine, promptFile, readTaskIn, str, withSystemPrompt } from "./lines.ts";
import type { Endpoint, Env, HelpInfo, Invocation, InvocationRequest, Provider, ProviderEvent } from "./provider.ts";

export { clineDataDir, seedClineData } from "./cline-config.ts";

/** Vendor keys cline falls back to when its settings hold none: never sent to a custom endpoint. */
const VENDOR_KEY_ENV = ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "CLINE_API_KEY"];

/** Seeds the call's data dir (login or generated settings, the role's global settings); `home` for tests. */
export function prepareClineCall(req: InvocationRequest, home: string = process.env.HOME ?? ""): boolean {
  return seedClineData(req.scratchDir, home, { role: req.role, endpoint: req.endpoint, model: req.model });
}

function invocation(req: InvocationRequest, help: HelpInfo): Invocation {
  const has = (flag: string) => help.flags.has(flag);
  // An endpoint with its own URL or key: loki's generated settings, not the user's login.
  const endpoint = ownsSettings(req.endpoint) ? req.endpoint : undefined;
  const own = endpoint !== undefined;
  const argv = ["cline", "--json"];
  // Without auto-approve and no TTY every tool call fails, yet the run ends "completed" (PROVIDERS §4.1).
  if (has("--auto-approve")) argv.push("--auto-approve", "true");
  // Plan mode drops the editor; the role's global settings disable the remaining write/shell/spawn tools.
  if (req.role !== "build" && has("--plan")) argv.push("--plan");
  // The provider is named so a settings file cline could not read never means "its hosted provider".
  if (endpoint && has("-P")) argv.push("-P", clineProviderId(endpoint));
  const model = clineModelArg(req.model, { ownSettings: own, loginModel: own ? null : seededLoginModel(req.scratchDir) });
  if (model !== null && has("-m")) argv.push("-m", model);
  if (req.effort && has("--thinking")) argv.push("--thinking", effortUpTo(req.effort, "xhigh"));
  if (has("--data-dir")) argv.push("--data-dir", clineDataDir(req.scratchDir));
  if (own && has("--config")) argv.push("--config", clineConfigDir(req.scratchDir));
  if (has("-c")) argv.push("-c", req.cwd);
  argv.push(...(req.endpoint?.extraArgs ?? []));
  // cline reads no prompt from stdin or a file flag: the argv only names the file that holds it.
  // -s replaces cline's own system prompt, so ours leads the user prompt instead.
  const task = promptFile(req.scratchDir, "prompt", withSystemPrompt(req.prompt, req.systemPrompt));
  argv.push(readTaskIn(task));
  const env: Record<string, string> = {
    // The default hub backend leaves a detached daemon running after cline exits.
    CLINE_SESSION_BACKEND_MODE: "local",
    // Only this variable makes cline read the global settings prepare() wrote (opt-out, disabled tools).
    CLINE_GLOBAL_SETTINGS_PATH: globalSettingsPath(req.scratchDir, req.role),
    ...(own
      ? {
          // The same dirs as --data-dir/--config, for a cline that reads only the variables.
          CLINE_DATA_DIR: clineDataDir(req.scratchDir),
          CLINE_DIR: clineConfigDir(req.scratchDir),
          // cline reads these when its settings hold no key: the user's vendor key must not reach an endpoint.
          ...Object.fromEntries(VENDOR_KEY_ENV.map((name) => [name, ""])),
        }
      : {}),
  };
  return { argv, env, files: endpoint ? [task, providersCallFile(req.scratchDir, endpoint, req.model)] : [task] };
}

function parse(line: string): ProviderEvent[] {
  const event = parseJsonLine(line);
  if (!event) return [];
  switch (event.type) {
    case "hook_event":
      return event.hookEventName === "agent_start" ? [{ kind: "init", sessionId: str(event.taskId) }] : [];
    case "agent_event":
      return agentEvents(obj(event.event));
    case "run_result":
      return [resultEvent(event)];
    case "error": {
      const message = str(event.message) ?? "cline error";
      return [{ kind: "error", errorClass: classifyMessage(message), message }];
    }
    default:
      // run_aborted follows a kill; the caller already knows it timed out or was stopped.
      return [];
  }
}

function agentEvents(event: Json): ProviderEvent[] {
  if (event.type === "content_start" && event.contentType === "tool") {
    return [{ kind: "tool_use", tool: str(event.toolName) ?? "unknown", input: event.input }];
  }
  if (event.type === "content_end" && event.contentType === "tool") return [toolResult(event)];
  // content_end carries the whole text block; content_start may repeat it as it streams.
  if (event.type === "content_end" && event.contentType === "text") {
    const text = str(event.text) ?? "";
    return text === "" ? [] : [{ kind: "text", text }];
  }
  // Recoverable errors are failed tool calls (already a tool_result); the others end the run.
  if (event.type === "error" && event.recoverable !== true) {
    const message = str(obj(event.error).message) ?? "cline agent error";
    return [{ kind: "error", errorClass: classifyMessage(message), message }];
  }
  return [];
}

/**
 * One object (editor), or one per item for the batch tools (read_files, search_codebase, run_commands:
 * `[{query, result, success, error?}]`): an error if any item failed, the items' texts joined.
 */
function toolResult(event: Json): ProviderEvent {
  const items = Array.isArray(event.output) ? event.output.map(obj) : [obj(event.output)];
  const failed = items.some((item) => item.success === false || str(item.error) !== undefined);
  const texts = items.flatMap((item) => str(item.result) ?? str(item.error) ?? []);
  const single = items.length === 1 ? (str(items[0]?.error) ?? str(event.error)) : undefined;
  const text = single ?? (texts.length > 0 ? texts.join("\n") : str(event.error));
  return { kind: "tool_result", isError: failed || str(event.error) !== undefined, text };
}

function resultEvent(event: Json): ProviderEvent {
  const usage = obj(event.usage);
  const isError = event.finishReason !== "completed";
  const text = str(event.text) ?? "";
  const tokens: Tokens = {
    input: num(usage.inputTokens) ?? 0,
    output: num(usage.outputTokens) ?? 0,
    cache_read: num(usage.cacheReadTokens) ?? 0,
    cache_write: num(usage.cacheWriteTokens) ?? 0,
  };
  // totalCost comes from cline's model table; 0 means "model not in the table", not free.
  const cost = num(usage.totalCost);
  const model = str(obj(event.model).id) ?? "*";
  return {
    kind: "result",
    isError,
    text,
    errorClass: isError ? classifyMessage(text) : null,
    costUsd: cost !== undefined && cost > 0 ? cost : null,
    usage: { [model]: tokens },
    permissionDenials: 0,
  };
}

/** ~/.cline/data, or CLINE_DATA_DIR, which replaces it (used only when --data-dir is not advertised); none
 *  with an endpoint of its own (its state is the call's scratch dir). */
function stateDirs(home: string, env: Env, endpoint?: Endpoint): string[] {
  if (ownsSettings(endpoint)) return [];
  const moved = env.CLINE_DATA_DIR;
  return [moved && isAbsolute(moved) ? moved : join(home, DATA_DIR)];
}

/** cline runs project and user hooks and plugins and reads their rules and skills (3.0.65): none for a grader. */
function graderHidden(cwd: string, home: string): string[] {
  return [".cline", ".clinerules", ".agents"].map((d) => join(cwd, d)).concat(join(home, "Documents", "Cline"), join(home, ".agents"));
}

export const cline: Provider = {
  id: "cline",
  title: "Cline CLI",
  binary: "cline",
  install: "npm install -g cline",
  login: { subcommand: "auth -p anthropic -k <key> -m <model>", alternative: null },
  auth: { env: [], files: [LOGIN_FILE], homeEnv: null, homeDir: DATA_DIR, keychainOn: [] },
  helpSubcommand: [],
  probeEnv: {},
  capabilities: { readOnly: "tools", cost: "exact", parallel: true, pathRules: false, resultRequired: true },
  models: DEFAULT_MODELS.cline,
  stateDirs,
  graderHidden,
  // The login every call copies: its base URL and key decide where a grader's calls go.
  graderConfig: (home, env, endpoint) => stateDirs(home, env, endpoint).map((dir) => join(dir, LOGIN_FILE)),
  prepare: (req) => void prepareClineCall(req),
  // The login prepare() copied holds the user's key: gone when the call ends (generated settings are a call file).
  cleanup: (req) => rmSync(providersPath(req.scratchDir), { force: true }),
  invocation,
  parse,
};
