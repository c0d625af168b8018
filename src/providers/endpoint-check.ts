// `loki doctor`'s check of each custom endpoint loki.yaml configures (`providers.<id>`): one cheap,
// non-billed request — the API's model list — that tells whether the endpoint answers, takes the key,
// and serves the configured model. The only network call doctor makes, and only to the user's own URL.
import type { Endpoint } from "../core/endpoints.ts";
import type { ProviderId } from "../core/provider-ids.ts";
import { messageOf } from "../core/errors.ts";

export type EndpointCheck = { name: string; status: "ok" | "warn" | "fail"; version: null; detail: string; fix: string | null };

/** GET <base>/v1/models for an Anthropic API (its base URL has no /v1), GET <base>/models for an OpenAI-compatible one. */
export function modelsUrl(endpoint: Pick<Endpoint, "baseUrl" | "api">): string | null {
  if (!endpoint.baseUrl) return null;
  const base = endpoint.baseUrl.replace(/\/+$/, "");
  return endpoint.api === "anthropic" ? `${base.replace(/\/v1$/, "")}/v1/models` : `${base}/models`;
}

/** The request's headers: the key where the endpoint has one, in the API's own header. */
function headersFor(endpoint: Pick<Endpoint, "api" | "apiKey">): Record<string, string> {
  if (!endpoint.apiKey) return {};
  return endpoint.api === "anthropic"
    ? { "x-api-key": endpoint.apiKey, "anthropic-version": "2023-06-01" }
    : { authorization: `Bearer ${endpoint.apiKey}` };
}

/** Model ids in a models-list answer (Anthropic, OpenAI and Ollama's /v1 all use data[].id); `more`: a page of a longer list. */
export function listedModels(body: unknown): { ids: string[]; more: boolean } | null {
  const data = body && typeof body === "object" ? (body as { data?: unknown }).data : undefined;
  if (!Array.isArray(data)) return null;
  const ids = data.flatMap((m) =>
    m && typeof m === "object" && typeof (m as { id?: unknown }).id === "string" ? [(m as { id: string }).id] : [],
  );
  return { ids, more: (body as { has_more?: unknown }).has_more === true };
}

/** One endpoint's check. `model`: the model loki will send it (modelFor), checked against the list when there is one. */
export async function checkEndpoint(
  id: ProviderId,
  endpoint: Endpoint,
  model: string,
  options: { timeoutMs?: number } = {},
): Promise<EndpointCheck> {
  const name = `endpoint:${id}`;
  const url = modelsUrl(endpoint);
  const key = endpoint.apiKeyEnv;
  if (key && !endpoint.apiKey)
    return {
      name,
      status: "fail",
      version: null,
      detail: `$${key} is not set (providers.${id}.api_key_env)`,
      fix: `export ${key}=<your key>`,
    };
  if (!url)
    return { name, status: "ok", version: null, detail: `${id}'s own API${key ? `, key in $${key}` : ""}; model ${model}`, fix: null };
  const origin = new URL(url).origin;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: headersFor(endpoint),
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      redirect: "manual",
    });
  } catch (error) {
    const why = (error as { cause?: { code?: string } }).cause?.code ?? messageOf(error);
    return {
      name,
      status: "fail",
      version: null,
      detail: `${origin} did not answer (${why})`,
      fix: `start the model server at ${origin}, or fix providers.${id}.base_url in loki.yaml`,
    };
  }
  if (response.status === 401 || response.status === 403)
    return {
      name,
      status: "fail",
      version: null,
      detail: `${origin} refused the key (HTTP ${response.status})${key ? ` in $${key}` : "; no key is configured"}`,
      fix: key ? `check the key in $${key}` : `name the key's variable in providers.${id}.api_key_env`,
    };
  if (!response.ok)
    return {
      name,
      status: "warn",
      version: null,
      detail: `${origin} answers, but GET ${new URL(url).pathname} returned HTTP ${response.status}: model ${model} not checked`,
      fix: null,
    };
  const listed = listedModels(await response.json().catch(() => null));
  const models = listed?.ids ?? null;
  // A dated id (claude-sonnet-4-5-20250929) serves its alias; a paged list may hold the model further on.
  const served = models === null || models.length === 0 || models.some((m) => m === model || m.startsWith(`${model}-`));
  if (!served && models)
    return {
      name,
      status: listed?.more ? "warn" : "fail",
      version: null,
      detail: `${origin} ${listed?.more ? "does not list" : "does not serve"} ${model}${listed?.more ? " on the first page of its models" : ""} (it lists ${models.slice(0, 8).join(", ")}${models.length > 8 ? ", …" : ""})`,
      fix: listed?.more ? null : `set providers.${id}.model to one it serves (or pull ${model} there)`,
    };
  return {
    name,
    status: "ok",
    version: null,
    detail: `${origin} answers${models ? ` and serves ${model}` : ""}${key ? `; key in $${key}` : ""}`,
    fix: null,
  };
}
