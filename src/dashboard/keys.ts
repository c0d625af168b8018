// The dashboard's one-use keys traded over POST: the launch link's key for the run's token (POST
// /api/session, before any token exists) and the token for a proof tab's address (POST /api/proof/key),
// so no URL a browser navigates to, and so keeps in its history, ever holds the token.
import { readRunStart } from "./diff.ts";
import { json, proofKey, refuseMutation, type Session, spendLaunchKey } from "./guard.ts";

/** A launch request is `{"key": "<43 characters>"}`; anything bigger is not one. */
const MAX_BODY = 1024;
const KEY = /^[\w-]{43}$/;

export const LAUNCH_SPENT = "this link was used already: run `loki dashboard` again for a new one";

/**
 * `{"key": k}` → `{token}`, once. Same Origin and JSON as any mutation; no token (this is how the page gets it).
 * A spent, unknown or malformed key is 401, and a wrong guess does not burn the real key.
 */
export async function handleSession(req: Request, session: Session): Promise<Response> {
  const refused = refuseMutation(req, session);
  if (refused) return refused;
  const raw = await req.text();
  let key: unknown = null;
  try {
    if (raw.length <= MAX_BODY) key = (JSON.parse(raw) as { key?: unknown } | null)?.key;
  } catch {
    key = null;
  }
  if (typeof key !== "string" || !KEY.test(key) || !spendLaunchKey(session, key)) return json(401, { ok: false, message: LAUNCH_SPENT });
  return json(200, { token: session.token });
}

/** The token (header) → `{url: "/proof/<one-use key>"}` for the page to open in a new tab; 404 before the run has a proof. */
export function handleProofKey(req: Request, session: Session, root: string): Response {
  const refused = refuseMutation(req, session);
  if (refused) return refused;
  if (!readRunStart(root)) return json(404, { ok: false, message: "this run has no proof page yet" });
  return json(200, { url: `/proof/${proofKey(session)}` });
}
