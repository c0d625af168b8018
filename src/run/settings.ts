// The settings a run keeps from its start: held-out evaluation, the council, the sandbox and root
// mode, the model levers (who judges and reviews, and the ceiling), the providers' endpoints and
// prices (where the graders' calls go, what they cost) and the trackers' API URLs (where the forge
// tokens go). The agent can write loki.yaml;
// a resume that read them from it again would let the diff turn off its own grading or cheapen its
// reviewers, so they are saved in the run's state and only a flag given to resume wins.
import type { Config } from "../core/config.ts";
import type { RunFlags, RunSettings } from "../core/run-schema.ts";
import { endpointLabel, settingsOf } from "../core/endpoints.ts";
import { PROVIDER_IDS } from "../core/provider-ids.ts";

const KEPT = ["heldout", "council", "sandbox", "allow_root"] as const satisfies readonly (keyof RunSettings)[];

/** What the run starts with (the loaded config: files, environment and flags). */
export function startSettings(config: Config, env: Record<string, string | undefined> = process.env): RunSettings {
  const endpoints: Record<string, string> = {};
  for (const id of PROVIDER_IDS) {
    const origin = endpointLabel(settingsOf(config, id, env).base_url);
    if (origin) endpoints[id] = origin;
  }
  return {
    heldout: config.heldout,
    council: config.council,
    sandbox: config.sandbox,
    allow_root: config.allow_root,
    models: config.models,
    max_tier: config.max_tier,
    model: config.model ?? null,
    fallback_model: config.fallback_model ?? null,
    providers: config.providers,
    model_override: config.model_override ?? null,
    endpoints,
    trackers: config.trackers,
  };
}

/**
 * The configuration a resume runs with: `current` (read now) with the run's saved settings put back,
 * except where a flag given now sets one. `ignored` names each setting the files now set otherwise.
 */
export function keptSettings(current: Config, saved: RunSettings, flags: RunFlags): { config: Config; ignored: string[] } {
  const config = { ...current };
  const ignored: string[] = [];
  for (const key of KEPT) {
    const flag = key === "sandbox" || key === "allow_root" ? flags[key] : undefined;
    config[key] = flag ?? saved[key];
    if (flag === undefined && current[key] !== saved[key]) ignored.push(`${key}: ${current[key]} (the run keeps ${saved[key]})`);
  }
  // The model levers, when the run recorded them: --model given to resume is the one lever a flag sets.
  if (saved.max_tier !== undefined) keep(config, ignored, "max_tier", current.max_tier, saved.max_tier);
  if (saved.models !== undefined) keep(config, ignored, "models", current.models, saved.models);
  if (saved.model !== undefined && flags.model === undefined) keep(config, ignored, "model", current.model, saved.model ?? undefined);
  if (saved.fallback_model !== undefined)
    keep(config, ignored, "fallback_model", current.fallback_model, saved.fallback_model ?? undefined);
  if (saved.providers !== undefined) keep(config, ignored, "providers", current.providers, saved.providers);
  if (saved.model_override !== undefined)
    keep(config, ignored, "model_override", current.model_override, saved.model_override ?? undefined);
  if (saved.trackers !== undefined) keep(config, ignored, "trackers", current.trackers, saved.trackers);
  return { config, ignored };
}

function keep<K extends "max_tier" | "models" | "model" | "fallback_model" | "providers" | "model_override" | "trackers">(
  config: Config,
  ignored: string[],
  key: K,
  now: Config[K],
  saved: Config[K],
): void {
  config[key] = saved;
  const show = (value: unknown) => (value === undefined ? "(none)" : JSON.stringify(value));
  if (JSON.stringify(now) !== JSON.stringify(saved)) ignored.push(`${key}: ${show(now)} (the run keeps ${show(saved)})`);
}
