// The dashboard's doors: which requests reach a route at all (Host allowlist; the run's token in the
// X-Loki-Token header, or `t=` for the stream only; one-use launch and proof keys), which may change the
// run (Origin, JSON, rate limit), and the headers every response leaves with. No cookies, no CORS header.
import { randomBytes, timingSafeEqual } from "node:crypto";

/**
 * The secret of one dashboard process, in memory only: never in .loki/, argv or env, which the agent can read.
 * Not a cookie: browsers send 127.0.0.1's cookies to every port on it, the agent's own app included.
 */
export type Session = {
  port: number;
  /** Never in a URL a browser navigates to (its history is on disk, readable by the agent's sandbox): the page
   *  gets it by spending the launch key, keeps it in its memory only (no web storage), sends it in a header. */
  token: string;
  /** The one-use key of the link that is printed and opened (`/?k=`); null once spent. */
  launchKey: string | null;
  /** One-use keys for the proof tab, so the token itself never sits in that tab's address or referrer. */
  proofKeys: Map<string, number>;
};

/**
 * frame-src: the Live App panel frames the app the run built, which the preview serves on another port of
 * 127.0.0.1 (or localhost) that can change on every restart — so any port there, and nothing else: a page the
 * app navigates its frame to elsewhere is refused by the browser too. The page itself frames only a URL that
 * passed core/app-control.ts's previewUrl and is not on the dashboard's own port.
 */
export const PAGE_CSP = "default-src 'self'; img-src 'self' data:; frame-src http://127.0.0.1:* http://localhost:*; frame-ancestors 'none'";
export const PROOF_CSP = "sandbox";
/** How long a proof key from POST /api/proof/key waits for its one GET. */
const PROOF_KEY_MS = 30_000;

const secret = () => randomBytes(32).toString("base64url");

export function newSession(port: number): Session {
  return { port, token: secret(), launchKey: secret(), proofKeys: new Map() };
}

/** Spends the launch key: true once, for the right key, then never again (a spent link in history opens nothing). */
export function spendLaunchKey(session: Session, key: string): boolean {
  if (session.launchKey === null || !same(key, session.launchKey)) return false;
  session.launchKey = null;
  return true;
}

/** Whole-literal comparison (a prefix check would let `127.0.0.1.evil.example` through): DNS rebinding ends here. */
export function hostAllowed(host: string | null, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}` || host === `[::1]:${port}`;
}

export function originAllowed(origin: string | null, port: number): boolean {
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}

/** Constant time for equal lengths; a length mismatch is refused before timingSafeEqual (which would throw). */
export function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The token in `X-Loki-Token`; only where a browser cannot set a header (`inQuery`: the EventSource URL,
 * a subresource fetch, never a navigation in history) also `?t=`. A cookie proves nothing and is never read.
 */
export function hasToken(req: Request, url: URL, session: Session, inQuery = false): boolean {
  const header = req.headers.get("x-loki-token");
  if (header !== null) return same(header, session.token);
  const query = inQuery ? url.searchParams.get("t") : null;
  return query !== null && same(query, session.token);
}

/** A one-use key for `/proof/<key>` (the proof tab's address), alive for PROOF_KEY_MS. */
export function proofKey(session: Session, now = Date.now()): string {
  for (const [key, expires] of session.proofKeys) if (expires <= now) session.proofKeys.delete(key);
  const key = secret();
  session.proofKeys.set(key, now + PROOF_KEY_MS);
  return key;
}

/** Spends the key: true once, for a live key, then never again. */
export function spendProofKey(session: Session, key: string, now = Date.now()): boolean {
  for (const [known, expires] of session.proofKeys)
    if (same(known, key)) {
      session.proofKeys.delete(known);
      return expires > now;
    }
  return false;
}

export function unauthorized(): Response {
  return text(401, "This dashboard needs its token: open the link `loki dashboard` printed (a one-use key for this run).\n");
}

/**
 * What a state-changing request needs beyond the token: the dashboard's own Origin and a JSON body
 * (a cross-origin page can send neither without a preflight we never answer). null = allowed.
 */
export function refuseMutation(req: Request, session: Session): Response | null {
  if (!originAllowed(req.headers.get("origin"), session.port)) return json(403, { ok: false, message: "cross-origin request refused" });
  const type = (req.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") return json(415, { ok: false, message: "send Content-Type: application/json" });
  return null;
}

/** At most one accepted request per `intervalMs` per action: a stuck button or a loop cannot flood the run. */
export function rateLimiter(intervalMs = 1000): (action: string, now?: number) => boolean {
  const last = new Map<string, number>();
  return (action, now = Date.now()) => {
    const previous = last.get(action);
    if (previous !== undefined && now - previous < intervalMs) return false;
    last.set(action, now);
    return true;
  };
}

/** The headers every response carries; any Access-Control-* header is dropped, whoever set it. */
export function secure(response: Response, csp: string = PAGE_CSP): Response {
  const headers = response.headers;
  for (const name of [...headers.keys()]) if (name.toLowerCase().startsWith("access-control-")) headers.delete(name);
  headers.set("content-security-policy", csp);
  headers.set("x-content-type-options", "nosniff");
  headers.set("referrer-policy", "no-referrer");
  headers.set("cache-control", "no-store");
  return response;
}

export function text(status: number, body: string, type = "text/plain; charset=utf-8"): Response {
  return secure(new Response(body, { status, headers: { "content-type": type } }));
}

export function json(status: number, value: unknown): Response {
  return text(status, JSON.stringify(value), "application/json; charset=utf-8");
}
