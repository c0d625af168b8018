// Chooses the compose engine at run time: docker compose (with a daemon that answers), podman compose, then
// podman-compose; LOKI_COMPOSE (e.g. "podman-compose") overrides the choice. Only asks; never starts anything.
import { run } from "../core/exec.ts";
import { withSystemPath } from "./container-runtime.ts";
import type { AppEnv } from "./launcher.ts";

export type Engine = {
  /** The compose command's argv prefix: ["docker", "compose"], ["podman-compose"], … */
  compose: string[];
  /** The container runtime its containers live in (exec, inspect, port, logs, ps, rm). */
  runtime: "docker" | "podman";
  /** For people: "docker compose", "podman-compose". */
  name: string;
};

const CHECK_MS = 15_000;

/** What to tell the user when composeEngine finds none. */
export const NO_COMPOSE_ENGINE = "no compose engine found: install docker (with the compose plugin) or podman (with podman-compose)";

async function works(argv: string[], env: AppEnv): Promise<boolean> {
  const [bin] = argv;
  if (!bin || !Bun.which(bin, { PATH: env.PATH ?? process.env.PATH ?? "" })) return false;
  const result = await run(argv, { env: withSystemPath(env), replaceEnv: true, timeoutMs: CHECK_MS, ephemeral: true });
  return result.ok;
}

const runtimeOf = (argv: string[]): Engine["runtime"] => (/docker/.test(argv[0] ?? "") ? "docker" : "podman");

/**
 * The engine to run compose stacks with, or null when none works. `LOKI_COMPOSE` is split on spaces
 * ("docker compose", "podman-compose"); the runtime is docker when its first word names docker.
 */
export async function composeEngine(env: AppEnv = process.env): Promise<Engine | null> {
  const override = env.LOKI_COMPOSE?.trim();
  if (override) {
    const compose = override.split(/\s+/);
    return (await works([...compose, "version"], env)) ? { compose, runtime: runtimeOf(compose), name: override } : null;
  }
  // docker compose needs a daemon: `docker` is often podman-docker or a client with no server behind it.
  const [dockerCompose, dockerInfo] = await Promise.all([works(["docker", "compose", "version"], env), works(["docker", "info"], env)]);
  if (dockerCompose && dockerInfo) return { compose: ["docker", "compose"], runtime: "docker", name: "docker compose" };
  if (await works(["podman", "compose", "version"], env))
    return { compose: ["podman", "compose"], runtime: "podman", name: "podman compose" };
  if ((await works(["podman-compose", "version"], env)) && Bun.which("podman", { PATH: env.PATH ?? process.env.PATH ?? "" }))
    return { compose: ["podman-compose"], runtime: "podman", name: "podman-compose" };
  return null;
}

/** The runtime for a plain Dockerfile, which needs no compose: docker when its daemon answers, else podman; null when neither works. */
export async function containerRuntime(env: AppEnv = process.env): Promise<Engine["runtime"] | null> {
  if (await works(["docker", "info"], env)) return "docker";
  if (await works(["podman", "info"], env)) return "podman";
  return null;
}
