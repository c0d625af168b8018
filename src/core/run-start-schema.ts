// Schemas of what a run fixes when it (re)starts, kept in its state: the fingerprints of what grades
// it, the flags of the invocation that started it, and the settings it keeps whatever loki.yaml says
// later (run/settings.ts). Re-exported by run-schema.ts, whose orchestrator state holds them.
import { z } from "zod";
import { TrackersConfig } from "./config.ts";
import { ProvidersConfig } from "./endpoints.ts";
import { MODEL_TIERS } from "./model-tiers.ts";
import { lazySchema } from "./lazy-schema.ts";

/** path → fingerprint of the code that grades a run: loki's own files and the provider CLIs'. */
export const RunIntegrity = lazySchema(() =>
  z.object({
    loki: z.record(z.string(), z.string()),
    provider: z.record(z.string(), z.string()),
    /** The user config the providers' graders read, by what it says (loki/integrity.ts configPrint); absent in older states. */
    config: z.record(z.string(), z.string()).optional(),
  }),
);
export type RunIntegrity = z.infer<typeof RunIntegrity>;

/**
 * The run flags of the invocation that (re)started a run, as that invocation resolved them
 * (commands/run.ts). Saved in the run's state so that every later process of the run — a `--bg`
 * child, a `loki resume` — runs with them instead of depending on its own argv.
 */
export const RunFlags = lazySchema(() =>
  z.object({
    provider: z.string().optional(),
    model: z.string().optional(),
    budget_usd: z.number().optional(),
    max_iterations: z.number().int().optional(),
    max_duration: z.string().optional(),
    failover: z.array(z.string()).optional(),
    /** --yes: let the provider use its sandbox-bypass mode as root. */
    allow_root: z.boolean().optional(),
    /** false: --no-sandbox. */
    sandbox: z.boolean().optional(),
    /** Not a config key (a diff could set it): only the user's flag accepts a change to the grader. */
    accept_config_change: z.boolean().optional(),
  }),
);
export type RunFlags = z.infer<typeof RunFlags>;

/** What a run keeps from its start, whatever loki.yaml says later (run/settings.ts). */
export const RunSettings = lazySchema(() =>
  z.object({
    heldout: z.boolean(),
    council: z.boolean(),
    sandbox: z.boolean(),
    allow_root: z.boolean(),
    /** The model levers (who judges and reviews, and their ceiling); absent in older states. `model`: null = no pin. */
    models: z.object({ reason: z.string().optional(), act: z.string().optional(), verify: z.string().optional() }).optional(),
    max_tier: z.enum(MODEL_TIERS).optional(),
    model: z.string().nullable().optional(),
    fallback_model: z.string().nullable().optional(),
    /** The endpoints, models and prices per provider (where graders run, what calls cost), and the override. */
    providers: ProvidersConfig.optional(),
    model_override: z.string().nullable().optional(),
    /** Where each provider's calls went when not to its vendor: the origin of its custom base URL (ANTHROPIC_BASE_URL too). */
    endpoints: z.record(z.string(), z.string()).optional(),
    /** Where the forge tokens go (issue fetch, PR, merge, comments): delivery after the run uses these, not loki.yaml as the agent left it. */
    trackers: TrackersConfig.optional(),
  }),
);
export type RunSettings = z.infer<typeof RunSettings>;
