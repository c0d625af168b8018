// Runs a repository's Dockerfile: builds it (the repository as context, .loki/ left out of it) and runs the
// image with the port it EXPOSEs published on 127.0.0.1:<the port loki chose>. Same contract as a compose stack.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { act, ask, containerState, endedLine, followLogs, type Runtime, waitNotRunning, withSystemPath } from "./container-runtime.ts";
import type { LaunchContext, Launched } from "./launcher.ts";

const BUILD_MS = 30 * 60_000;
const RUN_MS = 2 * 60_000;
const STOP_GRACE_S = 5;
/** The container port when the Dockerfile EXPOSEs none. */
export const DEFAULT_CONTAINER_PORT = 8080;

/** The Dockerfile loki builds, relative to the root: Dockerfile, else Containerfile; null when neither exists. */
export function findDockerfile(root: string): string | null {
  return ["Dockerfile", "Containerfile"].find((name) => existsSync(join(root, name))) ?? null;
}

type Stage = { name: string | null; from: string; expose: number | null };

function expand(word: string, vars: Map<string, string>): string {
  return word.replace(/\$(?:\{([A-Za-z_]\w*)(?::?-([^}]*))?\}|([A-Za-z_]\w*))/g, (_all, braced, fallback, bare) => {
    const value = vars.get((braced ?? bare) as string);
    return value !== undefined && value !== "" ? value : ((fallback as string | undefined) ?? "");
  });
}

/**
 * The first TCP port the final stage EXPOSEs (through the stages it is built FROM), or null. Reads ARG/ENV
 * defaults and ${VAR:-default} in the port; line continuations and comments are handled, heredocs are not.
 */
export function exposedPort(dockerfileText: string): number | null {
  const lines = dockerfileText.replace(/\\\r?\n/g, " ").split(/\r?\n/);
  const stages: Stage[] = [];
  const vars = new Map<string, string>();
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const [keyword = "", ...rest] = line.split(/\s+/);
    const instruction = keyword.toUpperCase();
    if (instruction === "FROM") {
      const words = rest.filter((w) => !w.startsWith("--"));
      const as = words.findIndex((w) => w.toUpperCase() === "AS");
      stages.push({ name: as >= 0 ? (words[as + 1] ?? null) : null, from: words[0] ?? "", expose: null });
    } else if (instruction === "ARG" || instruction === "ENV") {
      const text = rest.join(" ");
      const pairs = [...text.matchAll(/([A-Za-z_]\w*)=("[^"]*"|'[^']*'|\S*)/g)];
      if (pairs.length > 0) for (const [, k, v] of pairs) vars.set(k as string, expand((v ?? "").replace(/^["']|["']$/g, ""), vars));
      else if (instruction === "ENV" && rest[0] && rest.length > 1) vars.set(rest[0], rest.slice(1).join(" "));
    } else if (instruction === "EXPOSE") {
      const stage = stages[stages.length - 1];
      for (const word of rest) {
        const [port, proto = "tcp"] = expand(word, vars).split("/");
        const n = Number((port ?? "").split("-")[0]);
        if (stage && stage.expose === null && proto.toLowerCase() === "tcp" && Number.isInteger(n) && n > 0 && n < 65536) stage.expose = n;
      }
    }
  }
  // EXPOSE is inherited: follow the final stage down the stages it is built FROM.
  let stage = stages[stages.length - 1];
  for (let hops = 0; stage && hops < stages.length; hops++) {
    if (stage.expose !== null) return stage.expose;
    const from: string = stage.from;
    stage = stages.find((s) => s.name !== null && s.name.toLowerCase() === from.toLowerCase());
  }
  return null;
}

/** Build arguments that leave .loki/ (loki's private run data) out of the context, whatever .dockerignore says. */
function ignoreArgs(root: string, dockerfile: string, runtime: Runtime["bin"], scratch: string): string[] {
  const own = existsSync(join(root, ".dockerignore")) ? readFileSync(join(root, ".dockerignore"), "utf8") : "";
  const ignore = `${own}\n.loki\n.loki/**\n`;
  if (runtime === "podman") {
    writeFileSync(join(scratch, "ignore"), ignore);
    return ["-f", dockerfile, "--ignorefile", join(scratch, "ignore")];
  }
  // BuildKit reads <Dockerfile>.dockerignore beside the Dockerfile in preference to the context's.
  writeFileSync(join(scratch, "Dockerfile"), readFileSync(join(root, dockerfile)));
  writeFileSync(join(scratch, "Dockerfile.dockerignore"), ignore);
  return ["-f", join(scratch, "Dockerfile")];
}

/**
 * Builds `tag` from the root's Dockerfile and runs it as `containerName`, returning at once: `port()` answers
 * once the container runs, `ended` settles when it stops running or could not be built or started.
 */
export async function launchDockerfile(
  ctx: LaunchContext,
  engineRuntime: Runtime["bin"],
  tag: string,
  containerName: string,
): Promise<Launched> {
  // ctx.env is the whole environment, as for an app's own process; the container itself gets only PORT.
  const rt: Runtime = { bin: engineRuntime, env: withSystemPath(ctx.env), cwd: ctx.root, log: ctx.log };
  const dockerfile = findDockerfile(ctx.root);
  const containerPort = dockerfile
    ? (exposedPort(readFileSync(join(ctx.root, dockerfile), "utf8")) ?? DEFAULT_CONTAINER_PORT)
    : DEFAULT_CONTAINER_PORT;
  const abort = new AbortController();
  const followers: Promise<void>[] = [];
  let running = false;
  let stopping = false;

  const start = async (): Promise<string | null> => {
    if (!dockerfile) return `no Dockerfile in ${ctx.root}`;
    const scratch = mkdtempSync(join(tmpdir(), "loki-build-"));
    try {
      const build = await act(
        rt,
        [rt.bin, "build", "-t", tag, ...ignoreArgs(ctx.root, dockerfile, rt.bin, scratch), "."],
        BUILD_MS,
        abort.signal,
      );
      if (abort.signal.aborted) return "stopped during the build";
      if (!build.ok) return `${rt.bin} build failed: ${build.digest || `exit ${build.exitCode}`}`;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    await ask(rt, ["rm", "-f", ...(rt.bin === "podman" ? ["-t", "0"] : []), containerName]);
    const publish = `127.0.0.1:${ctx.port}:${containerPort}`;
    rt.log(`loki: running ${tag} as ${containerName}, container port ${containerPort} on ${publish.replace(/:\d+$/, "")}\n`);
    const r = await act(
      rt,
      // The label lets `loki preview stop` find it after a supervisor killed outright (launch.ts removeProject).
      [
        rt.bin,
        "run",
        "-d",
        "--name",
        containerName,
        "--label",
        `loki.preview=${containerName}`,
        "-p",
        publish,
        "-e",
        `PORT=${containerPort}`,
        tag,
      ],
      RUN_MS,
      abort.signal,
    );
    if (abort.signal.aborted) return "stopped before the container started";
    if (!r.ok) return `${rt.bin} run failed: ${r.digest || `exit ${r.exitCode}`}`;
    running = true;
    followers.push(followLogs(rt, containerName, "", abort.signal));
    return null;
  };
  // A throw (a scratch file that cannot be written) is a start that failed, never an unsettled `ended`.
  const startup = start().catch((error: unknown) => `could not start: ${error instanceof Error ? error.message : String(error)}`);
  const ended = startup.then(async (failure) => {
    if (failure && stopping) return `${containerName} was stopped by loki before it started`;
    if (failure) {
      ctx.log(`loki: ${failure}\n`);
      return failure;
    }
    const state = await waitNotRunning(rt, containerName);
    return stopping ? `${containerName} was stopped by loki` : endedLine(containerName, state);
  });
  let stopped: Promise<void> | null = null;
  return {
    pid: null,
    port: async () => (running ? { port: ctx.port, source: "env" } : null),
    ended,
    stop: () => {
      stopped ??= (async () => {
        stopping = true;
        abort.abort();
        await startup;
        if ((await containerState(rt, containerName))?.running)
          await act(rt, [rt.bin, "stop", "-t", String(STOP_GRACE_S), containerName], RUN_MS);
        await ask(rt, ["rm", "-f", ...(rt.bin === "podman" ? ["-t", "0"] : []), containerName]);
        await Promise.all(followers);
        await ended;
      })();
      return stopped;
    },
  };
}
