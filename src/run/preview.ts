// The preview's side of a run and of `loki preview`: how the supervisor is spawned (this same loki,
// detached), the sandbox its app runs in (the building agent's own policy), and the hooks a run calls
// — stop the app while loki grades, (re)start it after an iteration that changed the tree, and at the
// end wait for it to be live before the summary says so.
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import type { AppState } from "../core/app-schema.ts";
import type { Config } from "../core/config.ts";
import type { Outcome } from "../core/run-schema.ts";
import { processStartSync } from "../core/process-identity.ts";
import { userHome, type Workspace } from "../core/workspace.ts";
import { effectiveStatus, ensurePreview, readPreview, type Spawned, stopPreview } from "../app/control.ts";
import type { Wrap } from "../app/launcher.ts";
import { runSpecPath } from "../core/run-spec.ts";
import { specPaths } from "../sandbox/spec-paths.ts";
import { lokiCodePaths } from "../loop/integrity.ts";
import { cacheEnv } from "../loop/sandbox.ts";
import { sandboxPolicy, standardHidden, standardReadOnly } from "../sandbox/policy.ts";
import { sandboxCommand } from "../sandbox/wrap.ts";
import { selfCommand } from "../core/self.ts";

/** Starts `loki preview __supervise` for the repository, detached, its own output appended to supervisor.log. */
export function spawnSupervisor(ws: Workspace, env: Record<string, string | undefined>, runId: string | null, noSandbox = false): Spawned {
  mkdirSync(ws.appDir, { recursive: true, mode: 0o700 });
  const fd = openSync(join(ws.appDir, "supervisor.log"), "a", 0o600);
  const [file, ...args] = selfCommand();
  const child = spawn(
    file as string,
    [...args, "preview", "__supervise", ...(runId ? ["--run", runId] : []), ...(noSandbox ? ["--no-sandbox"] : [])],
    { cwd: ws.root, env: { ...env, NO_COLOR: "1" }, stdio: ["ignore", fd, fd], detached: true },
  );
  closeSync(fd);
  // A spawn that fails (ENOENT, EAGAIN) is reported as an event, not thrown: it must not end the run.
  child.on("error", () => {});
  child.unref();
  const pid = child.pid ?? 0;
  if (pid === 0) throw new Error("the preview's supervisor could not be started");
  return { pid, start: processStartSync(pid) ?? null };
}

/**
 * The sandbox the app runs in: the build agent's policy (the repository writable, the rest read-only,
 * a private /tmp; ~/.loki, .loki/ and the spec that names held-out items, wherever it lies, hidden),
 * so running what the agent wrote gives it no reach it did not already have.
 */
export function appWrap(ws: Workspace, bwrap: string | null): Wrap | undefined {
  if (process.platform === "linux" && bwrap === null) return undefined;
  const home = userHome();
  const scratch = join(ws.dir, "tmp", "app");
  mkdirSync(scratch, { recursive: true, mode: 0o700 });
  const policy = sandboxPolicy({
    role: "build",
    repo: ws.root,
    scratch,
    providerStateDirs: [],
    hidden: [
      ...standardHidden(home, ws.root),
      ...specPaths(runSpecPath(ws.root) ?? undefined, [ws.root]).filter((path) => existsSync(path)),
    ],
    // .git stays read-only: what the app runs is never what commits (and after a verified ship gate,
    // nothing may move the branch a delivery pushes).
    readOnly: [...standardReadOnly(home), ...lokiCodePaths(), join(ws.root, ".git")],
  });
  const caches = cacheEnv(scratch);
  return (argv, env, cwd) => {
    const wrapped = sandboxCommand({ ...policy, cwd }, argv, { ...caches, ...env }, bwrap ? { bwrap } : {});
    return { argv: wrapped.argv, env: wrapped.env };
  };
}

/** Whether a run starts the app: auto = yes, except under CI. */
export function previewEnabled(config: Config, env: Record<string, string | undefined>): boolean {
  if (config.app.preview === "off") return false;
  if (config.app.preview === "on") return true;
  return !(env.CI && env.CI !== "false" && env.CI !== "0");
}

export type RunApp = {
  /** Before loki grades (gates, ship gate): the app must not hold ports or write the tree meanwhile. */
  beforeGrading: () => Promise<void>;
  /** After an iteration (or a ship gate that did not verify): (re)start the app when the tree changed. */
  afterIteration: (changed: boolean) => Promise<void>;
  /** The end of the run: start it and wait for live (bounded) after the outcomes that leave work to see; the state to report, or null. */
  finish: (outcome: Outcome) => Promise<AppState | null>;
};

/** Outcomes after which the run starts the app and waits for it: a stop, a time cap or an error end now. */
const SHOW_AFTER: readonly Outcome[] = ["verified", "blocked", "max_iterations", "stalled", "failed", "budget_exceeded"];

/**
 * The preview never changes a run's verdict: each hook that fails says so in one line and the run goes on.
 * `sandboxed`: the run's own sandbox decision (never the tree's loki.yaml).
 */
export function runApp(
  ws: Workspace,
  config: Config,
  env: Record<string, string | undefined>,
  runId: string,
  sandboxed: boolean,
  warn: (line: string) => void,
): RunApp {
  const spawnOne = () => spawnSupervisor(ws, env, runId, !sandboxed);
  const base = { spawn: spawnOne, env, by: `run ${runId}`, ...(config.app.command ? { override: config.app.command } : {}) };
  const guarded =
    <A extends unknown[], R>(what: string, fallback: R, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args);
      } catch (error) {
        warn(`app preview: ${what} failed (${error instanceof Error ? error.message : String(error)}); the run goes on`);
        return fallback;
      }
    };
  return {
    beforeGrading: guarded("stopping the app before grading", undefined, async () => {
      if (readPreview(ws).supervisor) await stopPreview(ws, `run ${runId} (loki grades the tree)`);
    }),
    afterIteration: guarded("starting the app", undefined, async (changed: boolean) => {
      const running = readPreview(ws).supervisor;
      if (running && !changed) return;
      await ensurePreview(ws, { ...base, restart: running, waitMs: 0 });
    }),
    finish: guarded("the app at the end of the run", null, async (outcome: Outcome) => {
      if (!SHOW_AFTER.includes(outcome)) {
        await stopPreview(ws, `run ${runId} (${outcome.replaceAll("_", " ")})`);
        return null;
      }
      const ensured = await ensurePreview(ws, { ...base, waitMs: config.app.ready_timeout_seconds * 1000 });
      if (ensured.kind === "none" || !ensured.state) return null;
      // A supervisor gone since its last record leaves nothing live.
      return { ...ensured.state, status: effectiveStatus(ensured) as AppState["status"] };
    }),
  };
}
