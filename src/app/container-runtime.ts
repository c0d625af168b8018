// What compose.ts and dockerfile.ts ask the container runtime (docker or podman, same CLI): a container's
// state, its published port, its logs into loki's app log, and removal by label. Every call is a bounded
// core/exec run; none throws.
import { type ExecResult, run } from "../core/exec.ts";
import type { AppEnv } from "./launcher.ts";

export type Runtime = {
  bin: "docker" | "podman";
  /** The whole environment of every call (as the app's own process gets it: nothing more of loki's). */
  env: AppEnv;
  cwd: string;
  log: (chunk: string) => void;
};

export type ContainerState = { running: boolean; exitCode: number | null; status: string };

const QUERY_MS = 20_000;
export const POLL_MS = 500;
/** Log bytes kept in memory per follower before it is restarted from the present (lines go to the log as they come). */
const FOLLOW_BYTES = 1024 * 1024;

/** A query: bounded, quiet, not a child a run must account for. */
export function ask(rt: Runtime, args: string[], timeoutMs = QUERY_MS): Promise<ExecResult> {
  return run([rt.bin, ...args], { cwd: rt.cwd, env: rt.env, replaceEnv: true, timeoutMs, ephemeral: true });
}

/** A step whose output belongs in the app log (build, create, start, down). */
export function act(rt: Runtime, argv: string[], timeoutMs: number, signal?: AbortSignal): Promise<ExecResult> {
  return run(argv, { cwd: rt.cwd, env: rt.env, replaceEnv: true, timeoutMs, signal, onLine: (line) => rt.log(`${line}\n`) });
}

/** The container's state, or null when it does not exist (or the runtime does not answer). */
export async function containerState(rt: Runtime, container: string): Promise<ContainerState | null> {
  const r = await ask(rt, ["inspect", "--format", "{{.State.Running}} {{.State.ExitCode}} {{.State.Status}}", container]);
  if (!r.ok) return null;
  const [running, code, status] = r.stdout.trim().split(/\s+/);
  const exitCode = Number(code);
  return { running: running === "true", exitCode: Number.isInteger(exitCode) ? exitCode : null, status: status ?? "unknown" };
}

/** The host port `containerPort` (any TCP port when null) is published on, as the runtime reports it. */
export async function publishedPort(rt: Runtime, container: string, containerPort: number | null): Promise<number | null> {
  const r = await ask(rt, ["port", container, ...(containerPort === null ? [] : [`${containerPort}/tcp`])]);
  if (!r.ok) return null;
  // "127.0.0.1:43635", "[::]:43635", or without a port argument "8080/tcp -> 0.0.0.0:43635".
  for (const line of r.stdout.split("\n")) {
    if (containerPort === null && !/\/tcp\s*->/.test(line)) continue;
    const m = /:(\d+)\s*$/.exec(line.trim());
    if (m?.[1]) return Number(m[1]);
  }
  return null;
}

/** One line saying how a container ended, from its state. */
export function endedLine(label: string, state: ContainerState | null): string {
  if (state === null) return `${label} is gone (its container was removed)`;
  return state.exitCode === null ? `${label} stopped (${state.status})` : `${label} exited with code ${state.exitCode}`;
}

/** Polls until the container is not running (or `signal` aborts); the last state seen. */
export async function waitNotRunning(rt: Runtime, container: string, signal?: AbortSignal): Promise<ContainerState | null> {
  for (;;) {
    const state = await containerState(rt, container);
    if (!state?.running || signal?.aborted) return state;
    await Bun.sleep(POLL_MS);
  }
}

/**
 * Sends the container's output to the app log, each line prefixed, until it ends or `signal` aborts.
 * A follower past FOLLOW_BYTES is ended by exec's bound and restarted from the present (`--tail 0`).
 */
export function followLogs(rt: Runtime, container: string, prefix: string, signal: AbortSignal): Promise<void> {
  const follow = async (fromStart: boolean): Promise<void> => {
    const r = await run([rt.bin, "logs", "-f", ...(fromStart ? [] : ["--tail", "0"]), container], {
      cwd: rt.cwd,
      env: rt.env,
      replaceEnv: true,
      signal,
      maxOutputBytes: FOLLOW_BYTES,
      killGraceMs: 500,
      onLine: (line) => rt.log(`${prefix}${line}\n`),
    });
    if (r.truncated && !signal.aborted) return follow(false);
  };
  return follow(true);
}

/** Ids of every container (running or not) carrying `label` ("key=value"). */
export async function containersLabelled(rt: Runtime, label: string): Promise<string[]> {
  const r = await ask(rt, ["ps", "-a", "-q", "--no-trunc", "--filter", `label=${label}`]);
  return r.ok ? r.stdout.split("\n").filter((id) => id.trim() !== "") : [];
}

/** Removes containers at once: podman's `rm -f` would otherwise wait 10 s for a PID 1 that ignores SIGTERM. */
export async function removeContainers(rt: Runtime, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await act(rt, [rt.bin, "rm", "-f", ...(rt.bin === "podman" ? ["-t", "0"] : []), ...ids], QUERY_MS * 3);
}

/** Removes the containers and networks carrying `label`; volumes are kept (they hold the app's data). */
export async function removeLabelled(rt: Runtime, label: string): Promise<void> {
  await removeContainers(rt, await containersLabelled(rt, label));
  const nets = await ask(rt, ["network", "ls", "-q", "--filter", `label=${label}`]);
  const ids = nets.ok ? nets.stdout.split("\n").filter((id) => id.trim() !== "") : [];
  if (ids.length > 0) await act(rt, [rt.bin, "network", "rm", ...ids], QUERY_MS);
}

/**
 * The engine's environment with the system directories on PATH: podman's network backend (netavark)
 * runs iptables from /usr/sbin, which a user's (or CI's) PATH may lack — then every container fails to start.
 */
export function withSystemPath(env: AppEnv): AppEnv {
  const parts = (env.PATH ?? "").split(":").filter((part) => part !== "");
  for (const dir of ["/usr/local/sbin", "/usr/sbin", "/sbin"]) if (!parts.includes(dir)) parts.push(dir);
  return { ...env, PATH: parts.join(":") };
}
