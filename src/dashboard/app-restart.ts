// POST /api/app/restart: the Live App panel's restart button. The same checks as every control (token in
// server.ts; Origin, JSON, an empty body and the rate limit in controls.ts), then only a request left in
// .loki/control/app-restart.json for the preview's supervisor to claim. It never signals a process itself.
import { readAppView, requestAppRestart, SUPERVISOR_GONE } from "../core/app-control.ts";
import { workspaceAt } from "../core/workspace.ts";
import { type ControlContext, Empty, readControl } from "./controls.ts";
import { json } from "./guard.ts";

export async function handleAppRestart(req: Request, ctx: ControlContext & { root: string }): Promise<Response> {
  const body = await readControl(req, "app-restart", Empty, ctx);
  if (body instanceof Response) return body;
  const ws = workspaceAt(ctx.root);
  const view = readAppView(ws);
  // A request nobody claims now would restart a preview started later, at a moment nobody asked for.
  if (view.state === null) return json(409, { ok: false, message: "no app preview runs here; start one with: loki preview" });
  if (!view.supervisor_alive) return json(409, { ok: false, message: SUPERVISOR_GONE });
  requestAppRestart(ws, "dashboard");
  // 202: asked, not done; the page shows "restarting…" until state.json's started_at moves on.
  return json(202, { ok: true, message: "restart requested: the preview restarts the app", started_at: view.state.started_at });
}
