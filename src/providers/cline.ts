// Cline CLI (`cline --json`): its record — install, login, state, argv/env per role, the NDJSON
// parser, and the seeding of its isolated data dir. Cline keeps per-run state (and persists -m) in
// --data-dir, so each call gets its own.
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { DEFAULT_MODELS, type Tokens } from "../core/models.ts";
import { classifyMessage, effortUpTo, type Json, num, obj, parseJsonLine, promptFile, readTaskIn, str, withSystemPrompt } from "./lines.ts";
import type { Env, HelpInfo, Invocation, InvocationRequest, Provider, ProviderEvent } from "./provider.ts";

/** The user's cline data dir (its default --data-dir) and the login inside it. */
const DATA_DIR = ".cline/data";
const LOGIN_FILE = "settings/providers.json";

/** Cline's state for one call: `<scratchDir>/cline` (settings/providers.json holds the login). */
export function clineDataDir(scratchDir: string): string {
  return join(scratchDir, "cline");
}

function globalSettingsPath(scratchDir: string): string {
  return join(clineDataDir(scratchDir), "global-settings.json");
}

/**
 * Prepare the isolated data dir before a call: copy the user's login (providers.json from
 * ~/.cline/data) and write the telemetry opt-out. Without the copy cline falls back to its own
 * hosted provider. Returns whether a login was found.
 */
export function seedClineData(scratchDir: string, home: string = process.env.HOME ?? ""): boolean {
  const settings = join(clineDataDir(scratchDir), "settings");
  mkdirSync(settings, { recursive: true });
  writeFileSync(globalSettingsPath(scratchDir), `${JSON.stringify({ telemetryOptOut: true })}\n`);
  const login = join(home, DATA_DIR, LOGIN_FILE);
  if (!existsSync(login)) return false;
  copyFileSync(login, join(settings, "providers.json"));
  return true;
}

function invocation(req: InvocationRequest, help: HelpInfo): Invocation {
  const has = (flag: string) => help.flags.has(flag);
  const argv = ["cline", "--json"];
  // Without auto-approve and no TTY every tool call fails, yet the run ends "completed" (PROVIDERS §4.1).
  if (has("--auto-approve")) argv.push("--auto-approve", "true");
  // Plan mode offers no editor tool; run_commands stays, so shell writes remain possible.
  if (req.role !== "build" && has("--plan")) argv.push("--plan");
  if (has("-m")) argv.push("-m", req.model);
  if (req.effort && has("--thinking")) argv.push("--thinking", effortUpTo(req.effort, "xhigh"));
  if (has("--data-dir")) argv.push("--data-dir", clineDataDir(req.scratchDir));
  if (has("-c")) argv.push("-c", req.cwd);
  // cline reads no prompt from stdin or a file flag: the argv only names the file that holds it.
  // -s replaces cline's own system prompt, so ours leads the user prompt instead.
  const task = promptFile(req.scratchDir, "prompt", withSystemPrompt(req.prompt, req.systemPrompt));
  argv.push(readTaskIn(task));
  const env = {
    // The default hub backend leaves a detached daemon running after cline exits.
    CLINE_SESSION_BACKEND_MODE: "local",
    // Only this variable makes cline read the telemetry opt-out (seedClineData writes the file).
    CLINE_GLOBAL_SETTINGS_PATH: globalSettingsPath(req.scratchDir),
  };
  return { argv, env, files: [task] };
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
  if (event.type === "content_end" && event.contentType === "tool") {
    const output = obj(event.output);
    const error = str(output.error) ?? str(event.error);
    return [{ kind: "tool_result", isError: error !== undefined || output.success === false, text: error ?? str(output.result) }];
  }
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

/** ~/.cline/data, or CLINE_DATA_DIR, which replaces it (used only when --data-dir is not advertised). */
function stateDirs(home: string, env: Env): string[] {
  const moved = env.CLINE_DATA_DIR;
  return [moved && isAbsolute(moved) ? moved : join(home, DATA_DIR)];
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
  prepare: (req) => void seedClineData(req.scratchDir),
  invocation,
  parse,
};
