// A dashboard session as the page makes one from the link loki prints: the one-use launch key traded
// over POST /api/session (our Origin, JSON) for the token, then every request with it in X-Loki-Token.
export type DashboardSession = {
  token: string;
  get: (path: string) => Promise<Response>;
  post: (path: string, body: unknown) => Promise<Response>;
};

/** The link's `?k=` traded for the token; throws with the server's answer when the key is refused. */
export async function signIn(link: URL): Promise<DashboardSession> {
  const origin = link.origin;
  const headers = { origin, "content-type": "application/json" };
  const answer = await fetch(`${origin}/api/session`, {
    method: "POST",
    headers,
    body: JSON.stringify({ key: link.searchParams.get("k") }),
  });
  if (answer.status !== 200) throw new Error(`launch key refused (${answer.status}): ${await answer.text()}`);
  const { token } = (await answer.json()) as { token: string };
  return {
    token,
    get: (path) => fetch(`${origin}${path}`, { headers: { "x-loki-token": token } }),
    post: (path, body) =>
      fetch(`${origin}${path}`, { method: "POST", headers: { ...headers, "x-loki-token": token }, body: JSON.stringify(body) }),
  };
}
