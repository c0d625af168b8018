// The provider contract: one self-contained record per coding-agent CLI — what it is called, how to
// install, log in and detect it, where it keeps state, its argv/env per role and its output parser.
// Types only; the records are src/providers/<id>.ts, listed once in registry.ts.
import type { ProviderId } from "../core/config.ts";
import type { Endpoint } from "../core/endpoints.ts";
import type { ModelDefaults, Role, Tokens } from "../core/models.ts";

export type { Endpoint };

export type Effort = "low" | "medium" | "high" | "xhigh" | "max";

export type InvocationRequest = {
  prompt: string;
  /** Appended to the CLI's own system prompt where the CLI supports it (else prepended to prompt). */
  systemPrompt?: string;
  model: string;
  role: Role;
  effort?: Effort;
  /** A model the CLI may switch to when the main one is overloaded (claude --fallback-model). */
  fallbackModel?: string;
  /** Dollars left in the run's budget: passed as a per-call cap where the CLI supports it. */
  remainingBudgetUsd?: number;
  cwd: string;
  /** Per-run scratch directory for the CLI's own state (temp files, isolated data dirs). */
  scratchDir: string;
  /** Paths the agent must not read (held-out store), enforced where the CLI has path rules. */
  denyRead: string[];
  /** loki runs as root and the user opted in to the CLI's sandbox-bypass mode (IS_SANDBOX=1). */
  allowRoot: boolean;
  /**
   * loki runs this call inside its own OS sandbox (src/sandbox/): the CLI's own permission prompts
   * and sandbox add nothing there (a nested sandbox cannot even start), so they are turned off.
   */
  sandboxed?: boolean;
  /**
   * A build call's MCP server (loki.yaml `mcp.children`): `loki mcp --tools child`, started by the CLI
   * itself inside the call's sandbox; its tools are allowed without a prompt (claude and codex).
   */
  mcpServer?: { command: string; args: string[] };
  /** loki.yaml `providers.<id>`: a custom endpoint the record maps onto its CLI's own mechanism; absent = the CLI's defaults. */
  endpoint?: Endpoint;
};

/**
 * One headless call as the CLI takes it. The prompt never travels in argv (a long one would not fit:
 * E2BIG, and argv is world-readable in /proc): it goes to stdin, or to a file the argv names.
 */
export type Invocation = {
  argv: string[];
  env: Record<string, string>;
  /** Written to the CLI's stdin, which is then closed; absent = stdin is /dev/null. */
  stdin?: string;
  /** Files the call writes (0600) before the spawn and removes after it: prompts the argv names by path. */
  files?: PromptFile[];
};

/** A prompt handed over as a file, in the call's scratch dir (the CLI can read it there, sandboxed or not). */
export type PromptFile = { path: string; content: string };

/** What the installed CLI advertises in `--help` (cached per version): only these flags are used. */
export type HelpInfo = { version: string | null; flags: ReadonlySet<string> };

export type ErrorClass =
  | "rate_limit" // 429, quota: back off, then retry or fail over
  | "overloaded" // 529/503: back off
  | "auth" // bad or missing credentials: stop, exit 3
  | "unknown_model" // stop, exit 3
  | "budget" // the per-call budget cap was hit
  | "max_turns"
  | "api_error" // other API failure (5xx…): retry with backoff
  | "crash"; // the CLI died without a result

export type ProviderEvent =
  | { kind: "init"; model?: string; sessionId?: string; tools?: string[] }
  | { kind: "text"; text: string }
  | { kind: "tool_use"; tool: string; input?: unknown }
  | { kind: "tool_result"; isError: boolean; text?: string }
  | { kind: "retry"; attempt?: number; errorStatus?: number; delayMs?: number }
  /** The CLI switched models mid-call (claude --fallback-model on overload): a switch the proof shows. */
  | { kind: "model_fallback"; from: string; to: string; reason: string }
  | {
      kind: "result";
      isError: boolean;
      text: string;
      errorClass: ErrorClass | null;
      /** Exact dollars when the CLI reports them for this call alone; else null. */
      costUsd: number | null;
      /** Tokens for this call by model (for estimated cost when costUsd is null). */
      usage: Record<string, Tokens>;
      /** Seconds-from-now or reset time the CLI reported for a rate limit. */
      retryAfterMs?: number;
      permissionDenials: number;
    }
  | { kind: "error"; errorClass: ErrorClass; message: string; retryAfterMs?: number };

export type Capabilities = {
  /** review/judge roles: tools that write are removed ("tools") or the whole process is sandboxed ("sandbox"). */
  readOnly: "sandbox" | "tools" | "none";
  cost: "exact" | "estimated" | "none";
  parallel: boolean;
  /** Can deny reading specific paths. */
  pathRules: boolean;
  /** Every successful call ends with a result event; when false, exit 0 alone is success. */
  resultRequired: boolean;
};

/** How to tell, without network calls, whether the CLI has credentials. */
export type AuthFacts = {
  /** Any of these set means the CLI has credentials. */
  env: readonly string[];
  /** Credential files, relative to the CLI's home: `$homeEnv` when set, else `homeDir` under the user's home. */
  files: readonly string[];
  /** A variable that moves the CLI's home (codex: CODEX_HOME), or null. */
  homeEnv: string | null;
  /** The CLI's home relative to the user's home ("" = the home itself). */
  homeDir: string;
  /** Platforms where the login may sit in a keychain loki cannot read without a prompt: "unknown", not "missing". */
  keychainOn: readonly NodeJS.Platform[];
};

export type Env = Record<string, string | undefined>;

export type Provider = {
  id: ProviderId;
  /** The product's name, as messages say it ("Claude Code is not installed"). */
  title: string;
  /** The executable's name, located by providers/locate.ts (project node_modules/.bin, PATH, loki's install). */
  binary: string;
  /** The exact command that installs the CLI. */
  install: string;
  /**
   * How to log in: the CLI's own login subcommand (hints prefix it with however the CLI is run here:
   * `claude`, `npx claude` or its path), and what to set instead; either may be null, not both.
   */
  login: { subcommand: string | null; alternative: string | null };
  auth: AuthFacts;
  /** The subcommand whose `--help` lists the headless flags ([] = the top-level help). */
  helpSubcommand: readonly string[];
  /** Environment for the `--help`/`--version` probes, so they do not phone home. */
  probeEnv: Readonly<Record<string, string>>;
  capabilities: Capabilities;
  /** Default models per tier and for review (its row of core/models.ts DEFAULT_MODELS). */
  models: ModelDefaults;
  /**
   * The CLI's own state it must be able to write: absolute paths (files or directories, which may
   * not exist yet) under `home`, unless a variable the CLI honours moves them (CODEX_HOME, XDG_*).
   */
  stateDirs: (home: string, env: Env, endpoint?: Endpoint) => string[];
  /**
   * What the CLI would run or read from the project or the user's home besides the task — hooks, plugins,
   * rules, its project config — which the agent can plant there: loki's sandbox hides these paths from
   * every non-build call, so no grader runs the agent's code or takes its instructions or endpoint.
   */
  graderHidden?: (cwd: string, home: string, env: Env) => string[];
  /**
   * The user's own config files this CLI's graders read (their endpoint, their MCP servers), which a
   * build call can write (they sit in its writable state dirs): watched from run start like the CLI's
   * code, so a grader never runs on a config the agent changed.
   */
  graderConfig?: (home: string, env: Env, endpoint?: Endpoint) => string[];
  /** Side effects a call needs first (e.g. seeding an isolated data dir); invocation stays pure. */
  prepare?: (req: InvocationRequest) => void;
  /** What the call leaves behind that must not outlive it (a copied login holding a key); run when it ends. */
  cleanup?: (req: InvocationRequest) => void;
  /** argv and env for one headless call. Uses only flags `help` advertises. */
  invocation: (req: InvocationRequest, help: HelpInfo) => Invocation;
  /** Events in one line of the CLI's stdout (none for noise). Never throws. */
  parse: (line: string) => ProviderEvent[];
};
