// What every way of running an app (a process, a compose stack) hands the supervisor: how to learn
// its port, when it ended and how to take it down. Types only; process.ts and compose.ts implement it.

export type AppEnv = Record<string, string | undefined>;

/**
 * Puts an app command in the OS sandbox (commands/ builds it from sandbox/): the building agent's own
 * policy, so running the app gives its code no reach the agent lacks. Absent = unconfined.
 */
export type Wrap = (argv: string[], env: AppEnv, cwd: string) => { argv: string[]; env: AppEnv };

export type LaunchContext = {
  /** The repository root. */
  root: string;
  /** A free port on 127.0.0.1 loki chose; passed as PORT and in place of `{PORT}`. */
  port: number;
  env: AppEnv;
  /** Appends output of the app (or its stack) to .loki/app/app.log, redacted. */
  log: (chunk: string) => void;
  wrap?: Wrap;
};

export type Launched = {
  /** The app's own process (the sandbox's), when it is one; null for compose. */
  pid: number | null;
  /** Where the primary web listener is, once it can be known; null while it cannot be yet. */
  port: () => Promise<{ port: number; source: "env" | "log" | "socket" | "compose" | "fixed" } | null>;
  /** Settles once the app (compose: the primary service) has ended, with one line saying how. */
  ended: Promise<string>;
  /** Takes all of it down; settles once nothing of it is left. Safe to call twice. */
  stop: () => Promise<void>;
};

/** Credentials by the shape of their names: loki's and the forges' tokens, cloud and model API keys. */
const CREDENTIAL =
  /(_TOKEN|_API_KEY|_SECRET|_SECRET_KEY|_PASSWORD|_ACCESS_KEY)$|^(GH_|GITHUB_|GITLAB_|JIRA_|AZURE_DEVOPS_|ANTHROPIC_|OPENAI_|CLAUDE_|CODEX_|LOKI_)|^(NPM_TOKEN|AWS_SESSION_TOKEN)$/;

/**
 * What the app (or its stack, through compose's interpolation) gets of the environment: everything
 * but credentials. The app needs none of loki's; what it needs belongs in its own .env.
 */
export function appEnvironment(env: AppEnv): AppEnv {
  const out: AppEnv = {};
  for (const [name, value] of Object.entries(env)) if (!CREDENTIAL.test(name)) out[name] = value;
  return out;
}
