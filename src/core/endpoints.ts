// Custom endpoints per provider (`providers.<id>` in loki.yaml, LOKI_PROVIDERS_<ID>_*): the schema, the
// endpoint each provider record maps onto its CLI, the models and the price the user declares for it,
// and LOKI_MODEL_OVERRIDE, honoured only where a custom base URL is set. Pure: the caller passes the env.
import { z } from "zod";
import { MODEL_TIERS, type ModelTier } from "./model-tiers.ts";
import { PROVIDER_IDS, type ProviderId as ProviderIdName } from "./provider-ids.ts";
import { lazySchema } from "./lazy-schema.ts";

const EnvName = lazySchema(() =>
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected the NAME of an environment variable, such as LOCAL_LLM_KEY"),
);
const Usd = lazySchema(() => z.number().nonnegative());

/**
 * A provider's custom endpoint, from `providers.<id>`. Each record maps it onto its
 * CLI: env (claude), `-c` config (codex), config files it generates in the call's scratch dir (cline,
 * opencode) — never the user's own config files. The model is the request's `model`.
 */
export type Endpoint = {
  /** The API base URL the CLI calls instead of its vendor's; null = the vendor's own. */
  baseUrl: string | null;
  /** The wire protocol at baseUrl: Anthropic Messages, or OpenAI-compatible (chat completions; codex: Responses). */
  api: "anthropic" | "openai";
  /** The name of the variable that holds the key, and its value in loki's environment (null when unset). */
  apiKeyEnv: string | null;
  apiKey: string | null;
  /** Appended to the CLI's argv (before a prompt argument). */
  extraArgs: readonly string[];
  /** Merged into the config the record generates (codex: `-c` pairs; cline: the provider settings; opencode: opencode.json). */
  config: Readonly<Record<string, unknown>>;
};

export const ProviderSettings = lazySchema(() =>
  z
    .object({
      /** The API the CLI calls instead of its vendor's (a gateway, Ollama, vLLM, LM Studio). */
      base_url: z.url({ protocol: /^https?$/, message: "expected an http(s) URL such as http://127.0.0.1:11434/v1" }).optional(),
      /** The wire protocol at base_url (cline, opencode, aider): Anthropic Messages or OpenAI-compatible. */
      api: z.enum(["anthropic", "openai"]).optional(),
      /** The variable that holds the key for base_url: loki.yaml names it, the key itself stays in the environment. */
      api_key_env: EnvName.optional(),
      /** The model this provider runs for every phase, unless `models` names one for the phase's tier. */
      model: z.string().min(1).optional(),
      models: z.object(Object.fromEntries(MODEL_TIERS.map((tier) => [tier, z.string().min(1).optional()]))).optional(),
      /** USD per million tokens; 0 is allowed: a free local model. Every call on this provider is then billed "declared". */
      price: z.object({ input: Usd, output: Usd }).strict().optional(),
      /** Escape hatches: argv appended to every call, and config merged into what loki generates for the CLI. */
      extra_args: z.array(z.string()).optional(),
      config: z.record(z.string(), z.unknown()).optional(),
    })
    // A misspelt key (baseurl) would send the calls to the vendor's API with the vendor's key: an error, not a warning.
    .strict(),
);
export type ProviderSettings = z.infer<typeof ProviderSettings>;

/** Each protocol's vendor URL, written out for an endpoint with a key and no URL (so ANTHROPIC_BASE_URL & co. cannot redirect the key). */
const VENDOR_URL: Readonly<Record<Endpoint["api"], string>> = {
  anthropic: "https://api.anthropic.com",
  openai: "https://api.openai.com/v1",
};

/**
 * The base URL as SDK clients take it (cline's providers, opencode's @ai-sdk ones): Anthropic's with `/v1`
 * (loki's is ANTHROPIC_BASE_URL's form, without it); OpenAI-compatible URLs end in /v1 by convention already.
 */
export function sdkBaseUrl(endpoint: Pick<Endpoint, "baseUrl" | "api">): string {
  const url = (endpoint.baseUrl ?? VENDOR_URL[endpoint.api]).replace(/\/+$/, "");
  return endpoint.api === "anthropic" && !/\/v1$/.test(url) ? `${url}/v1` : url;
}

/** What each CLI can speak at a custom base URL: claude only Anthropic's API, codex only OpenAI's (Responses). */
const ONLY_API: Readonly<Partial<Record<ProviderIdName, Endpoint["api"]>>> = { claude: "anthropic", codex: "openai" };

/** `providers:` without its default: a field takes `ProvidersObject.default(…)` (ProvidersConfig), so that
 *  the JSON Schema generator meets a default whose inner schema is this stand-in, never a stand-in default. */
export const ProvidersObject = lazySchema(() =>
  z
    .object(
      Object.fromEntries(PROVIDER_IDS.map((id) => [id, ProviderSettings.optional()])) as Record<
        ProviderIdName,
        z.ZodOptional<typeof ProviderSettings>
      >,
    )
    .strict()
    .superRefine((providers, ctx) => {
      for (const id of PROVIDER_IDS) {
        const api = providers[id]?.api;
        const only = ONLY_API[id];
        if (api && only && api !== only)
          ctx.addIssue({
            code: "custom",
            path: [id, "api"],
            message: `${id} speaks only the ${only} API; remove api or set it to ${only}`,
          });
      }
    }),
);
export const ProvidersConfig = lazySchema(() => ProvidersObject.default(() => ({})));
export type ProvidersConfig = z.infer<typeof ProvidersConfig>;

/** The variable each CLI itself reads for its base URL, taken as `providers.<id>.base_url` when that is unset. */
export const NATIVE_BASE_URL: Readonly<Partial<Record<ProviderIdName, string>>> = { claude: "ANTHROPIC_BASE_URL" };

/** What the CLI speaks when `api` is unset: claude speaks Anthropic; the others default to OpenAI-compatible. */
const DEFAULT_API: Readonly<Record<ProviderIdName, Endpoint["api"]>> = {
  claude: "anthropic",
  codex: "openai",
  cline: "openai",
  aider: "openai",
  opencode: "openai",
};

type Settings = { providers: ProvidersConfig; model_override?: string | undefined };

/** The provider's settings with its CLI's own base-URL variable filled in (ANTHROPIC_BASE_URL for claude). */
export function settingsOf(config: Settings, id: ProviderIdName, env: Record<string, string | undefined>): ProviderSettings {
  const own = config.providers[id] ?? {};
  const native = NATIVE_BASE_URL[id];
  const fromEnv = native ? env[native] : undefined;
  return own.base_url || !fromEnv ? own : { ...own, base_url: fromEnv };
}

/** The endpoint a call on `id` gets, or undefined when the user configured nothing for it. */
export function endpointOf(config: Settings, id: ProviderIdName, env: Record<string, string | undefined>): Endpoint | undefined {
  const own = config.providers[id];
  if (!own) return undefined;
  const keyEnv = own.api_key_env ?? null;
  return {
    // loki.yaml's own: a CLI's own base-URL variable (ANTHROPIC_BASE_URL) reaches it through the environment.
    baseUrl: own.base_url ?? null,
    api: own.api ?? DEFAULT_API[id],
    apiKeyEnv: keyEnv,
    apiKey: keyEnv ? (env[keyEnv] ?? null) : null,
    extraArgs: own.extra_args ?? [],
    config: own.config ?? {},
  };
}

/** Every provider's configured endpoint (detection reads their key variables as the login). */
export function configuredEndpoints(config: Settings, env: Record<string, string | undefined>): Partial<Record<ProviderIdName, Endpoint>> {
  const out: Partial<Record<ProviderIdName, Endpoint>> = {};
  for (const id of PROVIDER_IDS) {
    const endpoint = endpointOf(config, id, env);
    if (endpoint) out[id] = endpoint;
  }
  return out;
}

/**
 * What a call on `id` adds to its request: the endpoint its record maps, the price it is billed at, and
 * whether it goes to a custom base URL (where the CLI's own cost figure is a guess for a model it does not know).
 */
export function callEndpoint(
  config: Settings,
  id: ProviderIdName,
  env: Record<string, string | undefined>,
): { endpoint?: Endpoint; price?: { input: number; output: number }; customBaseUrl?: true } {
  const endpoint = endpointOf(config, id, env);
  const price = config.providers[id]?.price;
  const custom = Boolean(settingsOf(config, id, env).base_url);
  return { ...(endpoint ? { endpoint } : {}), ...(price ? { price } : {}), ...(custom ? { customBaseUrl: true as const } : {}) };
}

/** LOKI_MODEL_OVERRIDE (`model_override`) for `id`: only where a custom base URL is set, so a vendor-native run is never rerouted. */
export function overrideFor(config: Settings, id: ProviderIdName, env: Record<string, string | undefined>): string | undefined {
  return config.model_override && settingsOf(config, id, env).base_url ? config.model_override : undefined;
}

/** The per-provider model levers core/models.ts reads: the override, the provider's own model(s), its declared price. */
export type ProviderLevers = {
  override?: string | undefined;
  model?: string | undefined;
  models?: Partial<Record<ModelTier, string | undefined>> | undefined;
  price?: { input: number; output: number } | undefined;
};

export function providerLevers(config: Settings, env: Record<string, string | undefined>): Partial<Record<ProviderIdName, ProviderLevers>> {
  const levers: Partial<Record<ProviderIdName, ProviderLevers>> = {};
  for (const id of PROVIDER_IDS) {
    const own = config.providers[id];
    const override = overrideFor(config, id, env);
    if (!own && !override) continue;
    levers[id] = { override, model: own?.model, models: own?.models, price: own?.price };
  }
  return levers;
}

/** What the proof and `status` show of an endpoint: its origin only (a path or query may carry a token). */
export function endpointLabel(baseUrl: string | null | undefined): string | null {
  if (!baseUrl) return null;
  try {
    return new URL(baseUrl).origin;
  } catch {
    return "(invalid URL)";
  }
}
