// Shared setup for contract tests that run the REAL claude/codex CLIs against the fake model servers:
// hermetic home/tmp dirs, traffic-off env and flags, a spawn with a hard timeout, and an opt-in
// loopback-only network namespace. Never points a CLI anywhere but a 127.0.0.1 fake.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { HelpInfo } from "../../src/providers/provider.ts";

const ROOT = resolve(import.meta.dir, "..", "..");
export const CLAUDE_BIN = join(ROOT, "node_modules", ".bin", "claude");
export const CODEX_BIN = join(ROOT, "node_modules", ".bin", "codex");
export const IS_ROOT = process.getuid?.() === 0;

export type CliSandbox = {
  dir: string;
  home: string;
  codexHome: string;
  tmp: string;
  [Symbol.asyncDispose]: () => Promise<void>;
};

/** Throwaway HOME, CODEX_HOME, XDG and temp dirs for one CLI run, deleted when the scope ends. */
export async function cliSandbox(): Promise<CliSandbox> {
  const dir = mkdtempSync(join(tmpdir(), "loki-cli-"));
  const paths = { home: join(dir, "home"), codexHome: join(dir, "codex-home"), tmp: join(dir, "tmp"), run: join(dir, "run") };
  for (const path of Object.values(paths)) mkdirSync(path, { recursive: true, mode: 0o700 });
  return { dir, ...paths, [Symbol.asyncDispose]: async () => rmSync(dir, { recursive: true, force: true }) };
}

/** The sanitized test environment (tests/preload.ts) with every proxy dropped, homes moved in. */
function baseEnv(box: CliSandbox): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !/proxy$/i.test(name)) env[name] = value;
  return {
    ...env,
    HOME: box.home,
    USERPROFILE: box.home,
    XDG_CONFIG_HOME: join(box.home, ".config"),
    XDG_DATA_HOME: join(box.home, ".local", "share"),
    XDG_STATE_HOME: join(box.home, ".local", "state"),
    XDG_CACHE_HOME: join(box.home, ".cache"),
    XDG_RUNTIME_DIR: join(box.dir, "run"),
    TMPDIR: box.tmp,
    NO_PROXY: "127.0.0.1,localhost",
  };
}

/** The URL itself, if it is on 127.0.0.1: no CLI is ever pointed anywhere else. */
function loopback(url: string): string {
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`real-cli: ${url} is not a 127.0.0.1 fake`);
  return url;
}

/** claude pointed at the fake, with every non-essential call (HEAD /api/hello, DNS, telemetry) off. */
export function claudeEnv(box: CliSandbox, baseUrl: string): Record<string, string> {
  return {
    ...baseEnv(box),
    ANTHROPIC_BASE_URL: loopback(baseUrl),
    ANTHROPIC_API_KEY: "fake",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_TELEMETRY: "1",
    DISABLE_ERROR_REPORTING: "1",
    DISABLE_AUTOUPDATER: "1",
    CLAUDE_CODE_MAX_RETRIES: "1",
    CLAUDE_CODE_TMPDIR: box.tmp,
    ...(IS_ROOT ? { IS_SANDBOX: "1" } : {}),
  };
}

/** codex's env: the fake provider's key. The provider itself comes from `codexProviderArgs`. */
export function codexEnv(box: CliSandbox): Record<string, string> {
  return { ...baseEnv(box), CODEX_HOME: box.codexHome, FAKE_OPENAI_KEY: "fake" };
}

/** `-c` pairs that make codex use the fake Responses API as its model provider (and nothing else). */
export function codexProviderConfig(baseUrl: string, options: { retries?: boolean } = {}): string[] {
  const retries = options.retries === false ? ",request_max_retries=0,stream_max_retries=0" : "";
  const provider = `{name="fake",base_url="${loopback(baseUrl)}/v1",env_key="FAKE_OPENAI_KEY",wire_api="responses"${retries}}`;
  return ["model_provider=fake", `model_providers.fake=${provider}`];
}

/** Flags that send codex to the fake only, with analytics and plugins (GitHub, chatgpt.com) off. */
export function codexProviderArgs(baseUrl: string, options: { retries?: boolean } = {}): string[] {
  return [
    ...codexProviderConfig(baseUrl, options).flatMap((pair) => ["-c", pair]),
    "-c",
    "analytics.enabled=false",
    "--disable",
    "plugins",
  ];
}

export type CliRun = {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  stdout: string;
  stderr: string;
  /** Every stdout line that parses as a JSON object, in order. */
  events: Record<string, unknown>[];
};

/** Runs argv in its own process group, stdin ignored or fed `input`; the whole group is killed at the timeout. */
export async function runCli(
  argv: string[],
  options: { cwd: string; env: Record<string, string>; timeoutMs?: number; input?: string },
): Promise<CliRun> {
  const started = performance.now();
  const stdin = options.input === undefined ? "ignore" : new TextEncoder().encode(options.input);
  const proc = Bun.spawn(argv, { cwd: options.cwd, env: options.env, stdin, stdout: "pipe", stderr: "pipe", detached: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-proc.pid, "SIGKILL");
    } catch {
      proc.kill("SIGKILL");
    }
  }, options.timeoutMs ?? 60_000);
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  await proc.exited;
  clearTimeout(timer);
  return {
    exitCode: proc.exitCode,
    signal: proc.signalCode === null ? null : String(proc.signalCode),
    timedOut,
    durationMs: Math.round(performance.now() - started),
    stdout,
    stderr,
    events: jsonLines(stdout),
  };
}

/**
 * The HelpInfo a provider record expects, read with loki's own help parser but spawned through
 * `runCli` with the fake-pointing `env` (readHelp would spawn the CLI with the test's bare env).
 */
export async function helpOf(binary: string, subcommand: string[], env: Record<string, string>, cwd: string): Promise<HelpInfo> {
  // Imported here so the namespace relay (this file run as a script) stays light.
  const { parseHelpFlags } = await import("../../src/providers/help.ts");
  const version = await runCli([binary, "--version"], { cwd, env, timeoutMs: 15_000 });
  const help = await runCli([binary, ...subcommand, "--help"], { cwd, env, timeoutMs: 15_000 });
  return { version: /\d+\.\d+\.\d+/.exec(version.stdout)?.[0] ?? null, flags: parseHelpFlags(`${help.stdout}\n${help.stderr}`) };
}

export function jsonLines(text: string): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const value: unknown = JSON.parse(line);
      if (typeof value === "object" && value !== null && !Array.isArray(value)) events.push(value as Record<string, unknown>);
    } catch {
      // not JSON: progress text
    }
  }
  return events;
}

let netns: boolean | undefined;

/** `unshare` can give a child its own network namespace here, with `lo` brought up by `ip`. */
export function netnsAvailable(): boolean {
  try {
    netns ??= Bun.spawnSync(["unshare", IS_ROOT ? "-n" : "-rn", "ip", "link", "set", "lo", "up"], { stdin: "ignore" }).exitCode === 0;
  } catch {
    netns = false;
  }
  return netns;
}

export type LoopbackOnly = { wrap: (argv: string[]) => string[]; [Symbol.asyncDispose]: () => Promise<void> };

/**
 * Opt-in: run a CLI in a fresh network namespace where only `lo` is up, so nothing can leave the
 * machine. The host's 127.0.0.1 is not reachable from there, so a relay started inside the
 * namespace listens on the fake's port and forwards over a unix socket (which crosses namespaces)
 * to a host-side proxy for the fake.
 */
export async function loopbackOnly(fakeUrl: string, box: CliSandbox): Promise<LoopbackOnly> {
  const target = new URL(loopback(fakeUrl));
  const socket = join(box.dir, "run", `fake-${target.port}.sock`);
  const proxy = Bun.serve({ unix: socket, fetch: (request) => forward(request, fakeUrl) });
  return {
    wrap: (argv) => ["unshare", IS_ROOT ? "-n" : "-rn", process.execPath, import.meta.path, "--relay", target.port, socket, "--", ...argv],
    [Symbol.asyncDispose]: async () => void (await proxy.stop(true)),
  };
}

function forward(request: Request, base: string, init: { unix?: string } = {}): Promise<Response> {
  const url = new URL(request.url);
  const body = request.method === "GET" || request.method === "HEAD" ? undefined : request.body;
  return fetch(new URL(url.pathname + url.search, base), {
    method: request.method,
    headers: request.headers,
    body,
    redirect: "manual",
    ...init,
  });
}

/** Inside the namespace: bring `lo` up, relay 127.0.0.1:<port> to the unix socket, run argv. */
async function relayMain(args: string[]): Promise<never> {
  const [port = "", socket = "", dashes, ...argv] = args;
  if (dashes !== "--" || argv.length === 0) throw new Error("usage: real-cli.ts --relay <port> <socket> -- argv…");
  Bun.spawnSync(["ip", "link", "set", "lo", "up"], { stdin: "ignore" });
  Bun.serve({ hostname: "127.0.0.1", port: Number(port), fetch: (request) => forward(request, "http://localhost", { unix: socket }) });
  const child = Bun.spawn(argv, { stdio: ["ignore", "inherit", "inherit"] });
  process.exit(await child.exited);
}

if (import.meta.main && process.argv[2] === "--relay") await relayMain(process.argv.slice(3));
