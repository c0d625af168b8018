// Runs a compose stack as loki's own project (`-p <project> -f <file>`): creates it, starts the services one by
// one in dependency order, waiting for each depends_on condition itself (compose-health.ts), and takes all of
// it down on stop. Re-checks the trust policy first: the file may have changed since detection.
import type { ComposeChoice } from "../core/app-schema.ts";
import { run } from "../core/exec.ts";
import type { Engine } from "./compose-engine.ts";
import { waitForDependency } from "./compose-health.ts";
import { type ComposeModel, readComposeModel } from "./compose-model.ts";
import { composePolicyProblems } from "./compose-policy.ts";
import {
  act,
  ask,
  endedLine,
  followLogs,
  publishedPort,
  type Runtime,
  removeLabelled,
  waitNotRunning,
  withSystemPath,
} from "./container-runtime.ts";
import type { LaunchContext, Launched } from "./launcher.ts";

const UP_MS = 20 * 60_000;
const START_MS = 2 * 60_000;
const DOWN_MS = 3 * 60_000;
/** Seconds a service gets to stop on SIGTERM before it is killed: a preview is taken down promptly. */
export const STOP_GRACE_S = 5;

export const projectLabel = (project: string) => `com.docker.compose.project=${project}`;

type Stack = {
  model: ComposeModel;
  engine: Engine;
  rt: Runtime;
  project: string;
  signal: AbortSignal;
  /** Service → its container ids, once created. */
  containers: Map<string, string[]>;
  started: Set<string>;
  followers: Promise<void>[];
};

const composeArgv = (s: Stack, args: string[]) => [...s.engine.compose, "-p", s.project, "-f", s.model.file, ...args];

/** Creates every container without starting any (podman-compose 1.0 ignores `up --no-deps`, so loki starts them). */
async function createStack(s: Stack): Promise<string | null> {
  // The project is loki's: anything left under its name is from an earlier run that did not end cleanly.
  await removeLabelled(s.rt, projectLabel(s.project));
  const up = await act(s.rt, composeArgv(s, ["up", "--no-start"]), UP_MS, s.signal);
  if (s.signal.aborted) return "stopped before the stack was created";
  // podman-compose 1.0 exits 0 when a container could not be created: what exists is the answer.
  for (const name of s.model.order) {
    const service = `label=com.docker.compose.service=${name}`;
    const r = await ask(s.rt, ["ps", "-a", "-q", "--no-trunc", "--filter", `label=${projectLabel(s.project)}`, "--filter", service]);
    const ids = r.ok ? r.stdout.split("\n").filter((id) => id.trim() !== "") : [];
    if (ids.length === 0) return `${s.engine.name} did not create ${name}: ${up.digest || `exit ${up.exitCode}`}`;
    s.containers.set(name, ids);
  }
  return null;
}

/** Starts the services in order, each once its dependencies meet their conditions; null, or why it stopped. */
async function startStack(s: Stack): Promise<string | null> {
  const waits = new Map<string, Promise<string | null>>();
  for (const name of s.model.order) {
    const service = s.model.services.find((x) => x.name === name);
    for (const dep of service?.depends_on ?? []) {
      const depIds = s.containers.get(dep.service);
      if (!depIds?.[0]) continue;
      const key = `${dep.service}/${dep.condition}`;
      const healthcheck = s.model.services.find((x) => x.name === dep.service)?.healthcheck ?? null;
      if (!waits.has(key)) waits.set(key, waitForDependency(s.rt, dep, depIds[0], healthcheck, s.signal));
      const failure = await waits.get(key);
      if (failure) return `${name} was not started: ${failure}`;
    }
    if (s.signal.aborted) return `stopped before ${name} started`;
    const ids = s.containers.get(name) ?? [];
    s.rt.log(`loki: starting ${name}\n`);
    const r = await act(s.rt, [s.rt.bin, "start", ...ids], START_MS, s.signal);
    if (s.signal.aborted) return `stopped before ${name} started`;
    if (!r.ok) return `${name} did not start: ${r.digest || `exit ${r.exitCode}`}`;
    s.started.add(name);
    for (const id of ids) s.followers.push(followLogs(s.rt, id, `${name} | `, s.signal));
  }
  return null;
}

/** Takes the stack down: `down` (named volumes kept), then whatever still carries the project's label. */
async function takeDown(s: Stack): Promise<void> {
  const grace = ["-t", String(STOP_GRACE_S)];
  const down = await run(composeArgv(s, ["down", "--remove-orphans", ...grace]), {
    cwd: s.rt.cwd,
    env: s.rt.env,
    replaceEnv: true,
    timeoutMs: DOWN_MS,
  });
  // podman-compose 1.0 has no --remove-orphans (and leaves the network): its usage text is not worth logging.
  const output = `${down.stdout}${down.stderr}`;
  if (/unrecognized arguments: --remove-orphans/.test(down.stderr)) await act(s.rt, composeArgv(s, ["down", ...grace]), DOWN_MS);
  else if (output.trim() !== "") s.rt.log(output.endsWith("\n") ? output : `${output}\n`);
  await removeLabelled(s.rt, projectLabel(s.project));
}

/**
 * Starts `choice`'s stack under `project` and returns at once: `port()` answers once the primary service has
 * started, `ended` settles when it is no longer running or the stack could not start (with why).
 */
export async function launchCompose(ctx: LaunchContext, choice: ComposeChoice, engine: Engine, project: string): Promise<Launched> {
  // ctx.env is the whole environment the app gets: the file is read in it, and the engine gets nothing more.
  const env = ctx.env;
  const { model, problems } = readComposeModel(ctx.root, choice.file, env);
  const refusal = model ? [...composePolicyProblems(model, ctx.root), ...problems] : problems;
  if (model && !model.order.includes(choice.primary)) refusal.push(`service ${choice.primary} is no longer in ${choice.file}`);
  const abort = new AbortController();
  const rt: Runtime = { bin: engine.runtime, env: withSystemPath(model?.env ?? env), cwd: ctx.root, log: ctx.log };
  if (!model || refusal.length > 0) {
    const why = `loki will not run ${choice.file}: ${refusal.join("; ")}`;
    ctx.log(`loki: ${why}\n`);
    return { pid: null, port: async () => null, ended: Promise.resolve(why), stop: async () => {} };
  }
  const s: Stack = { model, engine, rt, project, signal: abort.signal, containers: new Map(), started: new Set(), followers: [] };
  let stopping = false;
  const startup = (async () => (await createStack(s)) ?? (await startStack(s)))().catch(
    (error: unknown) => `could not start the stack: ${error instanceof Error ? error.message : String(error)}`,
  );
  const ended = startup.then(async (failure) => {
    if (failure && stopping) return `${choice.primary} was stopped by loki before it started`;
    if (failure) {
      ctx.log(`loki: ${failure}\n`);
      return failure;
    }
    const state = await waitNotRunning(rt, s.containers.get(choice.primary)?.[0] ?? choice.primary);
    return stopping ? `${choice.primary} was stopped by loki` : endedLine(choice.primary, state);
  });
  // What the runtime says it published is the truth (the file or its .env may have changed since detection).
  let published: number | null = null;
  let stopped: Promise<void> | null = null;
  return {
    pid: null,
    port: async () => {
      const id = s.containers.get(choice.primary)?.[0];
      if (!id || !s.started.has(choice.primary)) return null;
      published ??= await publishedPort(rt, id, choice.container_port);
      const port = published ?? choice.host_port;
      return port === null ? null : { port, source: "compose" };
    },
    ended,
    stop: () => {
      stopped ??= (async () => {
        stopping = true;
        abort.abort();
        await startup;
        await takeDown(s);
        await Promise.all(s.followers);
        await ended;
      })();
      return stopped;
    },
  };
}
