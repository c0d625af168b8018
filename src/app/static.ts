// A static site (an index.html and its files) served by loki itself on 127.0.0.1: GET and HEAD only,
// files under the site's directory only (after symlinks), index.html for directories.
import { realpathSync, statSync } from "node:fs";
import { join, normalize, sep } from "node:path";
import type { LaunchContext, Launched } from "./launcher.ts";

export function launchStatic(ctx: LaunchContext, dir: string): Launched {
  const root = realpathSync(join(ctx.root, dir));
  let resolveEnded: (why: string) => void = () => {};
  const ended = new Promise<string>((resolve) => {
    resolveEnded = resolve;
  });
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: ctx.port,
    fetch(request) {
      if (request.method !== "GET" && request.method !== "HEAD") return new Response("method not allowed\n", { status: 405 });
      const file = fileFor(root, new URL(request.url).pathname);
      ctx.log(`${request.method} ${new URL(request.url).pathname} ${file ? 200 : 404}\n`);
      return file ? new Response(Bun.file(file)) : new Response("not found\n", { status: 404 });
    },
  });
  ctx.log(`serving ${dir} on http://127.0.0.1:${server.port}/\n`);
  let stopped = false;
  return {
    pid: null,
    port: async () => ({ port: server.port ?? ctx.port, source: "env" }),
    ended,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop(true);
      resolveEnded("it was stopped");
    },
  };
}

/** The file a URL path names under `root`, or null when there is none or it lies outside (pure but for stat). */
export function fileFor(root: string, pathname: string): string | null {
  let path: string;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (path.includes("\0")) return null;
  let candidate = join(root, normalize(`/${path}`));
  try {
    if (statSync(candidate).isDirectory()) candidate = join(candidate, "index.html");
    const real = realpathSync(candidate);
    if (real !== root && !real.startsWith(root + sep)) return null;
    return statSync(real).isFile() ? real : null;
  } catch {
    return null;
  }
}
