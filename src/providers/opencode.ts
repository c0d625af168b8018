// OpenCode (`opencode run --format json`, the prompt on stdin): its record — install, login, state,
// argv/env per role and the NDJSON parser, checked against the real CLI (devDependency opencode-ai
// 1.18.33, tests/providers/opencode-contract.test.ts). A custom endpoint: opencode-config.ts.
import { isAbsolute, join } from "node:path";
import { DEFAULT_MODELS, type Tokens } from "../core/models.ts";
import { classifyMessage, deepMerge, type Json, num, obj, parseJsonLine, str, withSystemPrompt } from "./lines.ts";
import {
  endpointModel,
  GRADER_CONFIG_FILES,
  graderConfigHome,
  isolatedEnv,
  isolates,
  readOnlyOverlay,
  writeGraderConfig,
  writeIsolatedState,
} from "./opencode-config.ts";
import type { Endpoint, Env, HelpInfo, Invocation, InvocationRequest, Provider, ProviderEvent } from "./provider.ts";

/** Usage key for the dispatched model: step_finish events do not name it. */
const DISPATCHED_MODEL = "*";

/** opencode wants provider/model; loki's model names are bare. */
export function opencodeModel(model: string): string {
  if (model.includes("/")) return model;
  if (model.startsWith("claude-")) return `anthropic/${model}`;
  if (/^(gpt-|o\d)/.test(model)) return `openai/${model}`;
  return model;
}

function invocation(req: InvocationRequest, help: HelpInfo): Invocation {
  const has = (flag: string) => help.flags.has(flag);
  const endpoint = isolates(req.endpoint) ? req.endpoint : null;
  const argv = ["opencode", "run"];
  if (has("--format")) argv.push("--format", "json");
  argv.push("--model", endpoint ? endpointModel(endpoint, req.model) : opencodeModel(req.model));
  // Review roles run as the plan agent (its prompt says read-only), with every tool that is not a read denied.
  if (req.role !== "build" && has("--agent")) argv.push("--agent", "plan");
  // Nobody is there to answer a permission prompt in a headless build.
  if (req.role === "build" && has("--auto")) argv.push("--auto");
  if (req.role !== "build" && has("--pure")) argv.push("--pure");
  // A session with a title gets no title-generating model call (one more request, unbilled in the events).
  if (has("--title")) argv.push("--title", `loki ${req.role}`);
  argv.push(...(req.endpoint?.extraArgs ?? []));
  // `opencode run` works in $PWD when it is set, not in the directory it was started in: loki's own PWD
  // (where loki was started) would send the agent to the wrong checkout.
  const env: Record<string, string> = { PWD: req.cwd, ...(endpoint ? isolatedEnv({ ...req, endpoint }) : {}) };
  if (!endpoint && req.role !== "build") env.XDG_CONFIG_HOME = graderConfigHome(req.scratchDir);
  // A grader takes no config from the project (the agent writes it): its endpoint, MCP servers, plugins, agents;
  // nor skills from .agents/ or .claude/, nor any plugin (--pure), the user's included: build calls may write them.
  if (req.role !== "build") {
    env.OPENCODE_DISABLE_PROJECT_CONFIG = "1";
    env.OPENCODE_DISABLE_EXTERNAL_SKILLS = "1";
  }
  const content = configContent(req, endpoint !== null);
  if (content) env.OPENCODE_CONFIG_CONTENT = JSON.stringify(content);
  // `run` with no message argument takes the message from stdin (it appends piped stdin to it).
  return { argv, env, stdin: withSystemPrompt(req.prompt, req.systemPrompt) };
}

/**
 * OPENCODE_CONFIG_CONTENT, merged after every config file opencode reads (the project's too): the read-only
 * rules of a review role, and — without a generated opencode.json to hold it — the endpoint's `config`.
 */
function configContent(req: InvocationRequest, generated: boolean): Json | null {
  const own = generated ? {} : { ...(req.endpoint?.config ?? {}) };
  if (req.role !== "build") return deepMerge(own, readOnlyOverlay());
  return Object.keys(own).length > 0 ? own : null;
}

/** With an endpoint of its own, the call's state root and generated opencode.json are written first; a
 *  grader without one gets its own config dir with only the user's config files. */
function prepare(req: InvocationRequest): void {
  if (isolates(req.endpoint)) writeIsolatedState({ ...req, endpoint: req.endpoint });
  else if (req.role !== "build") {
    // The call's own environment (the caller's HOME and XDG dirs) when it carries one.
    const env = "env" in req ? (req as { env: Env }).env : process.env;
    writeGraderConfig(req.scratchDir, userConfigDir(env.HOME ?? "", env));
  }
}

/** The user's opencode config dir ($XDG_CONFIG_HOME/opencode, else ~/.config/opencode). */
function userConfigDir(home: string, env: Env): string {
  return stateDirs(home, env)[0] ?? join(home, ".config", "opencode");
}

function parse(line: string): ProviderEvent[] {
  const event = parseJsonLine(line);
  if (!event) {
    const text = line.trim();
    return text === "" ? [] : [{ kind: "text", text }];
  }
  const part = obj(event.part);
  switch (event.type) {
    case "text": {
      const text = str(part.text) ?? "";
      return text === "" ? [] : [{ kind: "text", text }];
    }
    case "tool_use":
      return toolEvents(part);
    case "step_finish":
      return [stepResult(part)];
    case "error":
      return [errorEvent(obj(event.error))];
    default:
      return [];
  }
}

function toolEvents(part: Json): ProviderEvent[] {
  const state = obj(part.state);
  const events: ProviderEvent[] = [{ kind: "tool_use", tool: str(part.tool) ?? "unknown", input: state.input }];
  if (state.status === "completed" || state.status === "error") {
    events.push({ kind: "tool_result", isError: state.status === "error", text: str(state.output) ?? str(state.error) });
  }
  return events;
}

/** One step = one model reply; opencode prices it from models.dev (0 for a model it cannot price). */
function stepResult(part: Json): ProviderEvent {
  const tokens = obj(part.tokens);
  const cache = obj(tokens.cache);
  const usage: Tokens = {
    input: num(tokens.input) ?? 0,
    output: (num(tokens.output) ?? 0) + (num(tokens.reasoning) ?? 0),
    cache_read: num(cache.read) ?? 0,
    cache_write: num(cache.write) ?? 0,
  };
  const cost = num(part.cost);
  const used = usage.input + usage.output + usage.cache_read + usage.cache_write > 0;
  return {
    kind: "result",
    isError: false,
    text: "",
    errorClass: null,
    costUsd: cost === undefined || (cost === 0 && used) ? null : cost,
    usage: { [DISPATCHED_MODEL]: usage },
    permissionDenials: 0,
  };
}

/** An `error` line: APIError carries the HTTP status and response headers (retry-after), ProviderAuthError a missing key. */
function errorEvent(error: Json): ProviderEvent {
  const name = str(error.name) ?? "Error";
  const data = obj(error.data);
  const message = str(data.message) ?? str(error.message) ?? name;
  const status = num(data.statusCode);
  const errorClass = name === "ProviderAuthError" ? "auth" : classifyMessage(`${status ?? ""} ${name}: ${message}`);
  const retryAfterMs = retryAfter(obj(data.responseHeaders));
  return { kind: "error", errorClass, message, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

/** `retry-after-ms`, or `retry-after` in seconds or as an HTTP date. */
function retryAfter(headers: Json): number | undefined {
  const ms = Number(str(headers["retry-after-ms"]) ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = str(headers["retry-after"]);
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (value.trim() !== "" && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** The XDG base dirs opencode writes (data, config, cache, state), each moved by its XDG_* variable. */
const XDG: [variable: string, fallback: string][] = [
  ["XDG_CONFIG_HOME", ".config"],
  ["XDG_DATA_HOME", ".local/share"],
  ["XDG_CACHE_HOME", ".cache"],
  ["XDG_STATE_HOME", ".local/state"],
];

/** opencode loads a project's opencode.json(c) and .opencode/ (agents, plugins, MCP servers) and ~/.opencode:
 *  none for a grader (a committed .opencode/ also crashes it in a read-only copy: it writes .opencode/.gitignore). */
function graderHidden(cwd: string, home: string, env: Env): string[] {
  const project = [".opencode", "opencode.json", "opencode.jsonc"].map((name) => join(cwd, name));
  // The global instructions file sits in its config dir, which build calls may write.
  return [...project, join(home, ".opencode"), join(userConfigDir(home, env), "AGENTS.md")];
}

function stateDirs(home: string, env: Env, endpoint?: Endpoint): string[] {
  // With an endpoint of its own every XDG dir is the call's scratch dir: nothing of the user's is mounted.
  if (isolates(endpoint)) return [];
  return XDG.map(([variable, fallback]) => {
    const base = env[variable];
    return join(base && isAbsolute(base) ? base : join(home, fallback), "opencode");
  });
}

export const opencode: Provider = {
  id: "opencode",
  title: "OpenCode",
  binary: "opencode",
  install: "npm install -g opencode-ai",
  login: { subcommand: "auth login", alternative: null },
  auth: {
    env: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"],
    files: [".local/share/opencode/auth.json"],
    homeEnv: null,
    homeDir: "",
    keychainOn: [],
  },
  helpSubcommand: ["run"],
  probeEnv: {},
  // Without --format json a successful run prints only text: exit 0 is enough.
  capabilities: { readOnly: "tools", cost: "exact", parallel: true, pathRules: false, resultRequired: false },
  models: DEFAULT_MODELS.opencode,
  stateDirs,
  graderHidden,
  // Its global config (providers, MCP servers, plugins): XDG_CONFIG_HOME/opencode.
  graderConfig: (home, env, endpoint) =>
    isolates(endpoint) ? [] : GRADER_CONFIG_FILES.map((name) => join(userConfigDir(home, env), name)),
  prepare,
  invocation,
  parse,
};
