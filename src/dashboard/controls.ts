// The dashboard's POST /api/control/<action> routes: pause, resume, stop, model, budget. Each request
// passes guard.ts's mutation checks and the rate limit, its body is validated, then the injected
// control (the one `loki pause|stop|…` uses) decides; readControl is those checks for any other POST (the
// app's restart). Nothing here waives, skips or edits run state.
import { z } from "zod";
import type { ControlResult, DashboardDeps } from "./deps.ts";
import { json, refuseMutation, type Session } from "./guard.ts";
import { lazySchema } from "../core/lazy-schema.ts";

export const Empty = lazySchema(() => z.object({}).strict());
const BODIES = {
  pause: Empty,
  resume: Empty,
  stop: z.object({ mode: z.enum(["iteration", "now"]) }).strict(),
  model: z.object({ model: z.string().min(1).max(200) }).strict(),
  budget: z.object({ limit_usd: z.number().finite().positive() }).strict(),
} as const;

type Action = keyof typeof BODIES;

const ACTIONS: { [A in Action]: (controls: DashboardDeps["controls"], body: z.infer<(typeof BODIES)[A]>) => Promise<ControlResult> } = {
  pause: (controls) => controls.pause(),
  resume: (controls) => controls.resume(),
  stop: (controls, body) => controls.stop(body.mode),
  model: (controls, body) => controls.model(body.model),
  budget: (controls, body) => controls.budget(body.limit_usd),
};

/** A body bigger than this is no control request. */
const MAX_BODY = 16 * 1024;

export type ControlContext = { session: Session; deps: DashboardDeps; allow: (action: string) => boolean };

function isAction(name: string): name is Action {
  return Object.hasOwn(BODIES, name);
}

export async function handleControl(req: Request, name: string, ctx: ControlContext): Promise<Response> {
  if (!isAction(name)) return json(404, { ok: false, message: "no such control" });
  const body = await readControl(req, name, BODIES[name], ctx);
  if (body instanceof Response) return body;
  const result = await run(name, body, ctx.deps.controls);
  return result.ok ? json(200, { ok: true, message: result.message }) : json(result.status, { ok: false, message: result.message });
}

/**
 * Every state-changing request's checks in one order: guard.ts's mutation checks (Origin, JSON), a small
 * body that parses and matches `schema`, then the rate limit for `name`. The body, or the refusal to send.
 */
export async function readControl<S extends z.ZodType>(
  req: Request,
  name: string,
  schema: S,
  ctx: ControlContext,
): Promise<z.output<S> | Response> {
  const refused = refuseMutation(req, ctx.session);
  if (refused) return refused;
  const raw = await req.text();
  if (raw.length > MAX_BODY) return json(413, { ok: false, message: "request body too large" });
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return json(400, { ok: false, message: "the body is not JSON" });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) return json(400, { ok: false, message: `bad ${name} request: ${parsed.error.issues[0]?.message ?? "invalid"}` });
  if (!ctx.allow(name)) return json(429, { ok: false, message: `one ${name} per second: try again` });
  return parsed.data;
}

function run<A extends Action>(name: A, body: z.infer<(typeof BODIES)[A]>, controls: DashboardDeps["controls"]): Promise<ControlResult> {
  return ACTIONS[name](controls, body);
}
