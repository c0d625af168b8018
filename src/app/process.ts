// Runs an app command as a process of its own session and group (in the sandbox when given one),
// streams its output to the log, and learns its port: the PORT it was given if it listens there, else
// the port its "listening on" line names, else the one its processes hold. Stop ends the whole group.
import { join } from "node:path";
import { PORT_TOKEN } from "../core/app-schema.ts";
import { processTree, signalGroup } from "../core/proc.ts";
import type { LaunchContext, Launched } from "./launcher.ts";
import { listeningLine, listeningPorts } from "./port.ts";

const KILL_GRACE_MS = 3000;

export type ProcessSpec = { command: string[]; cwd: string; fixedPort: number | null };

/** The app's environment: the caller's, the chosen PORT, and no browser or colour from dev servers. */
export function appEnv(ctx: LaunchContext): Record<string, string | undefined> {
  return { ...ctx.env, PORT: String(ctx.port), BROWSER: "none", NO_COLOR: "1", FORCE_COLOR: "0", CI: ctx.env.CI };
}

export function launchProcess(ctx: LaunchContext, spec: ProcessSpec): Launched {
  const cwd = join(ctx.root, spec.cwd);
  const argv = spec.command.map((part) => part.replaceAll(PORT_TOKEN, String(ctx.port)));
  const wrapped = ctx.wrap ? ctx.wrap(argv, appEnv(ctx), cwd) : { argv, env: appEnv(ctx) };
  let announced: number | null = null;
  let socketSeen: number | null = null;
  const spawned = spawnApp(wrapped.argv, wrapped.env, cwd);
  const child = typeof spawned === "string" ? null : spawned;
  const spawnError = typeof spawned === "string" ? spawned : null;
  const onLine = (line: string) => {
    announced ??= listeningLine(line);
  };
  const streams = child ? [pump(child.stdout, ctx.log, onLine), pump(child.stderr, ctx.log, onLine)] : [];
  const pid = child?.pid ?? null;
  const ended: Promise<string> = child
    ? Promise.all([child.exited, ...streams]).then(([code]) => {
        const signal = child?.signalCode;
        return signal ? `it was ended by ${signal}` : `it exited with code ${code}`;
      })
    : Promise.resolve(`it could not start: ${spawnError}`);
  let stopping: Promise<void> | null = null;
  return {
    pid,
    async port() {
      if (pid === null) return null;
      const held = listeningPorts(pid);
      if (held.includes(ctx.port)) return { port: ctx.port, source: "env" };
      // Where sockets can be read (Linux), the announced port must be the app's own: a line naming a port
      // something else serves would otherwise make that something the app.
      const readable = process.platform === "linux";
      if (announced !== null && (held.includes(announced) || (!readable && held.length === 0))) return { port: announced, source: "log" };
      if (spec.fixedPort !== null && held.includes(spec.fixedPort)) return { port: spec.fixedPort, source: "fixed" };
      const first = held[0];
      if (first === undefined) return null;
      // A socket seen before the line that announces it (the output is read a moment later): one more
      // look first, so an app that says where it listens is credited to its line, every time.
      if (socketSeen !== first) {
        socketSeen = first;
        return null;
      }
      return { port: first, source: "socket" };
    },
    ended,
    stop() {
      stopping ??= (async () => {
        if (pid === null || child === null) return;
        // The whole tree, not only the group: the sandbox puts the app in a session of its own, and
        // bwrap passes no signal on — the app itself must get the SIGTERM to end cleanly.
        const tree = processTree(pid);
        signalGroup(pid, "SIGTERM");
        for (const member of tree) signal(member, "SIGTERM");
        let timer: ReturnType<typeof setTimeout> | undefined;
        const grace = new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), KILL_GRACE_MS);
        });
        const done = await Promise.race([child.exited.then(() => true), grace]);
        clearTimeout(timer);
        // Whatever is left (a server that ignores SIGTERM, its workers) goes now.
        signalGroup(pid, "SIGKILL");
        if (done) return;
        for (const member of tree) signal(member, "SIGKILL");
        await child.exited;
      })();
      return stopping;
    },
  };
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

type Child = ReturnType<typeof Bun.spawn<"ignore", "pipe", "pipe">>;

/** The app's process in a session and group of its own (stop ends every process it started); or why it could not start. */
function spawnApp(argv: string[], env: Record<string, string | undefined>, cwd: string): Child | string {
  try {
    return Bun.spawn(argv, {
      cwd,
      env: env as Record<string, string>,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      detached: true,
    }) as Child;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Reads a stream to its end, handing the log each chunk and each complete line to `onLine`. */
async function pump(stream: ReadableStream<Uint8Array>, log: (chunk: string) => void, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let rest = "";
  try {
    for await (const bytes of stream) {
      const chunk = decoder.decode(bytes, { stream: true });
      log(chunk);
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    }
  } catch {
    // the pipe broke: what was read is the output
  }
  if (rest) onLine(rest);
}
