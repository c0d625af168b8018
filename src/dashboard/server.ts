// The dashboard's HTTP server (Bun.serve on 127.0.0.1 only): the page's files open to our Host; the
// launch and proof keys (keys.ts); the snapshot, stream, diff, proof, memories given (memories.ts) and controls
// behind guard.ts's token and checks. It never starts, kills or edits a run: controls go through the injected
// DashboardDeps, and the app preview's restart only leaves a request for its supervisor (app-restart.ts).
import { realpathSync } from "node:fs";
import { sep } from "node:path";
import type { Server } from "bun";
import appJs from "../../templates/dashboard/app.js" with { type: "text" };
import favicon from "../../templates/dashboard/favicon.svg" with { type: "text" };
import indexHtml from "../../templates/dashboard/index.html" with { type: "text" };
import styleCss from "../../templates/dashboard/style.css" with { type: "text" };
import { usageError } from "../core/errors.ts";
import { redactText } from "../core/redact.ts";
import { workspaceAt } from "../core/workspace.ts";
import { handleAppRestart } from "./app-restart.ts";
import { type ControlContext, handleControl } from "./controls.ts";
import type { DashboardDeps } from "./deps.ts";
import { createDiffReader, readRunStart } from "./diff.ts";
import { hasToken, hostAllowed, json, newSession, PROOF_CSP, rateLimiter, secure, spendProofKey, text, unauthorized } from "./guard.ts";
import { handleProofKey, handleSession } from "./keys.ts";
import { handleMemories } from "./memories.ts";
import { readSnapshot, type Snapshot } from "./snapshot.ts";
import { createStreamHub } from "./stream.ts";
import { parseOffset } from "./tail.ts";

export const DEFAULT_PORT = 57374;
/** How many ports past the asked one are tried when it is taken. */
export const PORT_TRIES = 20;
const PROOF_CAP_BYTES = 16 * 1024 * 1024;

export type DashboardOptions = {
  root: string;
  /** Default 57374 (then the next 20); 0: any free port. */
  port?: number;
  deps: DashboardDeps;
  /** Under Bun's 10 s idle close, in case the per-request timeout is ever lost. */
  heartbeatMs?: number;
  snapshot?: (root: string, deps: DashboardDeps) => Promise<Snapshot>;
  /** Bun's idle timeout for every other connection, in seconds (tests shorten it). */
  idleTimeoutS?: number;
};

export type Dashboard = {
  /** `/?k=<launch key>`: THE link to print and open. The key works once (the page trades it for the token),
   *  so the copy the browser keeps in its history (on disk, readable by the agent's sandbox) opens nothing. */
  launchUrl: string;
  /** `/?t=<token>`, for programmatic callers and tests only: NEVER print or open it (a navigation to it
   *  puts the token itself in the browser's history). */
  url: string;
  origin: string;
  port: number;
  stop: () => Promise<void>;
};

type Context = ControlContext & { root: string; snapshot: NonNullable<DashboardOptions["snapshot"]> };

/** The page's files: no data and no secret in them, so no token needed. */
const ASSETS: Record<string, { body: string; type: string }> = {
  // Bun's own types call an .html import an HTMLBundle; `with { type: "text" }` makes it this text.
  "/": { body: String(indexHtml), type: "text/html; charset=utf-8" },
  "/app.js": { body: appJs, type: "text/javascript; charset=utf-8" },
  "/style.css": { body: styleCss, type: "text/css; charset=utf-8" },
  "/favicon.svg": { body: favicon, type: "image/svg+xml" },
};

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { root, deps, heartbeatMs = 5000, snapshot = readSnapshot, idleTimeoutS = 10 } = options;
  const hub = createStreamHub(root, heartbeatMs);
  const diff = createDiffReader(root);
  let ctx: Context | null = null;
  const server = listen(options.port ?? DEFAULT_PORT, idleTimeoutS, async (req, srv) => {
    if (!ctx) return text(503, "starting\n");
    try {
      return await route(req, srv, ctx, hub, diff);
    } catch {
      // Details of a failure stay in this process: the page may be open on a shared screen.
      return json(500, { ok: false, message: "the dashboard failed to answer; see the terminal running it" });
    }
  });
  const port = server.port ?? 0;
  ctx = { root, deps, session: newSession(port), snapshot, allow: rateLimiter() };
  const origin = `http://127.0.0.1:${port}`;
  return {
    launchUrl: `${origin}/?k=${ctx.session.launchKey}`,
    url: `${origin}/?t=${ctx.session.token}`,
    origin,
    port,
    stop: async () => {
      hub.close();
      diff.close();
      await server.stop(true);
    },
  };
}

type Handler = (req: Request, server: Server<undefined>) => Promise<Response>;

/** The asked port, else the next PORT_TRIES; a typed error naming --port when all are taken. */
function listen(port: number, idleTimeout: number, fetch: Handler): Server<undefined> {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`--port ${port} is not a port number (0-65535)`);
  const last = port === 0 ? 0 : Math.min(port + PORT_TRIES, 65535);
  for (let candidate = port; candidate <= last; candidate++) {
    try {
      return Bun.serve({ hostname: "127.0.0.1", port: candidate, idleTimeout, development: false, maxRequestBodySize: 1024 * 1024, fetch });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    }
  }
  throw usageError(`no free port for the dashboard in ${port}-${last} on 127.0.0.1`, {
    hint: "pass --port <n> with a free port (or --port 0 for any free one)",
  });
}

async function route(
  req: Request,
  server: Server<undefined>,
  ctx: Context,
  hub: ReturnType<typeof createStreamHub>,
  diff: ReturnType<typeof createDiffReader>,
): Promise<Response> {
  const { session, root, deps } = ctx;
  if (!hostAllowed(req.headers.get("host"), session.port)) return text(421, "unknown Host: open the dashboard at 127.0.0.1\n");
  const url = new URL(req.url);
  const path = url.pathname;
  // The page's files hold no data and no secret: served to anyone who names our Host.
  const asset = req.method === "GET" ? ASSETS[path] : undefined;
  if (asset) return text(200, asset.body, asset.type);
  const proofPath = /^\/proof\/([\w-]{43})$/.exec(path);
  if (req.method === "GET" && proofPath) return spendProofKey(session, proofPath[1] ?? "") ? serveProof(root) : proofGone();
  // The launch link's one-use key for the token: the one route that needs no token.
  if (req.method === "POST" && path === "/api/session") return handleSession(req, session);
  // Everything else is the run: the token, in the header (a URL's `t` only for the stream, a subresource the
  // browser keeps no history of; never a page address).
  if (!hasToken(req, url, session, req.method === "GET" && path === "/events")) return unauthorized();
  if (req.method === "POST" && path.startsWith("/api/control/")) return handleControl(req, path.slice("/api/control/".length), ctx);
  if (req.method === "POST" && path === "/api/proof/key") return handleProofKey(req, session, root);
  if (req.method === "POST" && path === "/api/app/restart") return handleAppRestart(req, ctx);
  if (req.method !== "GET") return text(404, "not found\n");

  if (path === "/api/snapshot") return json(200, await ctx.snapshot(root, deps));
  if (path === "/events") {
    // Bun closes a response quiet for idleTimeout; this one is quiet between heartbeats by design.
    server.timeout(req, 0);
    return secure(hub.open(parseOffset(req.headers.get("last-event-id") ?? url.searchParams.get("from")), req.signal));
  }
  if (path === "/api/diff") return json(200, await diff.list());
  const diffIndex = /^\/api\/diff\/(\d{1,6})$/.exec(path);
  if (diffIndex) {
    const file = await diff.file(Number(diffIndex[1]));
    return file ? json(200, file) : json(404, { ok: false, message: "no such file in the diff list" });
  }
  if (path.startsWith("/api/iterations/")) return handleMemories(path, root);
  if (path === "/api/proof/verify") {
    const run = readRunStart(root);
    const check = run && /^[A-Za-z0-9_-]{1,64}$/.test(run.run_id) ? await deps.verifyProof(root, run.run_id) : null;
    return check ? json(200, check) : json(404, { ok: false, message: "this run has no proof yet" });
  }
  return text(404, "not found\n");
}

function proofGone(): Response {
  return text(401, "This proof link was used already: open the proof again from the dashboard.\n");
}

/** The run's own proof page, sandboxed; only a file whose real path is inside .loki/ (a symlink out is refused). */
async function serveProof(root: string): Promise<Response> {
  const ws = workspaceAt(root);
  const run = readRunStart(root);
  const missing = () => text(404, "this run has no proof page yet\n", "text/plain; charset=utf-8");
  if (!run || !/^[A-Za-z0-9_-]{1,64}$/.test(run.run_id)) return missing();
  let real: string;
  try {
    real = realpathSync(`${ws.proof(run.run_id)}${sep}index.html`);
    if (!real.startsWith(`${realpathSync(ws.dir)}${sep}`)) return missing();
  } catch {
    return missing();
  }
  const file = Bun.file(real);
  if (file.size > PROOF_CAP_BYTES) return text(413, "the proof page is too large to serve; open it with: loki proof open\n");
  const html = redactText(await file.text()).text;
  return secure(new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } }), PROOF_CSP);
}
