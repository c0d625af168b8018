// `loki plan <spec> [--json]`: read the spec (refusing one whose prompt no run could send), write
// .loki/spec/spec.json and the visible checklist, print the quote — tier, iterations, tokens, dollars
// per model, time — and warn when `loki start` would refuse right now (the rules of run/prepare.ts).
import { relative } from "node:path";
import { type Config, loadConfig, type ProviderId } from "../core/config.ts";
import { endpointLabel, settingsOf } from "../core/endpoints.ts";
import { color, info, out, outJson, warn } from "../core/log.ts";
import { PROVIDER_IDS } from "../core/provider-ids.ts";
import type { Plan, Spec } from "../core/schema.ts";
import { findRoot, workspaceAt } from "../core/workspace.ts";
import { buildPlan } from "../plan/plan.ts";
import { assertChoicesRun, configLevers } from "../core/models.ts";
import { installedProviders } from "../providers/detect.ts";
import { loadProvider } from "../providers/registry.ts";
import { assertPromptFits, startRefusals } from "../run/prepare.ts";
import { readSpec, writeIntake } from "../spec/read.ts";
import { COMMAND_EXIT, type ExitCode } from "../core/exit-codes.ts";

type PlanOptions = {
  prd?: string;
  issue?: string;
  openspec?: string;
  provider?: string;
  model?: string;
  maxIterations?: number;
  json?: boolean;
};

export async function runPlan(arg: string | undefined, options: PlanOptions): Promise<ExitCode> {
  const root = findRoot();
  const flags = {
    provider: options.provider,
    model: options.model,
    max_iterations: options.maxIterations,
  };
  const loaded = loadConfig(root, process.env, flags);
  for (const line of loaded.warnings) warn(line);
  const cwd = process.cwd();
  // Started first: the sandbox probe spawns, and overlaps reading the spec.
  const refusals = startRefusals(loaded.config, { env: process.env, cwd: root });
  const spec = await readSpec(arg, {
    cwd,
    config: loaded.config,
    env: process.env,
    explicit: { prd: options.prd, issue: options.issue, openspec: options.openspec },
  });
  // Refused below, the probe's own failure must not surface as an unhandled rejection.
  refusals.catch(() => {});
  assertPromptFits(spec, loaded.config);
  const ws = workspaceAt(root);
  const checklist = writeIntake(ws, spec);
  const quote = await quoteSpec(spec, loaded.config, {
    providerChosen: loaded.origins.has("provider"),
    heldOut: checklist.held_out_count,
    cwd,
  });
  const plan: Plan = { ...quote, start_refusals: await refusals };
  if (options.json) {
    outJson(plan);
    return COMMAND_EXIT.ok;
  }
  for (const line of plan.warnings) warn(line);
  for (const refusal of plan.start_refusals ?? []) warn(`loki start would refuse now: ${refusal.message} (fix: ${refusal.fix})`);
  printPlan(plan);
  info(color.dim(`wrote ${relative(cwd, ws.spec)} and ${relative(cwd, ws.checklist)}`));
  return COMMAND_EXIT.ok;
}

/** The quote of a spec under `config`, with the providers installed here: `loki plan`'s, and what quickstart and demo show. */
export async function quoteSpec(spec: Spec, config: Config, context: { providerChosen: boolean; heldOut: number; cwd: string }) {
  assertChoicesRun(config.provider as ProviderId, configLevers(config));
  return buildPlan(spec, {
    provider: config.provider as ProviderId,
    providerChosen: context.providerChosen,
    levers: configLevers(config),
    planner: config.planner.mode,
    maxIterations: config.max_iterations,
    heldOut: context.heldOut,
    installed: await installedProviders({ env: process.env, cwd: context.cwd }),
    firstClass: await loadProvider(PROVIDER_IDS[0]),
    endpoints: Object.fromEntries(
      PROVIDER_IDS.flatMap((id) => {
        const origin = endpointLabel(settingsOf(config, id, process.env).base_url);
        return origin ? [[id, origin]] : [];
      }),
    ),
  });
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;
const usd = (n: number) => `$${n.toFixed(2)}`;
const range = (r: { low: number; estimate: number; high: number }, f: (n: number) => string) =>
  `~${f(r.estimate)} (${f(r.low)}–${f(r.high)})`;
const tokens = (n: number) => (n >= 1_000_000 ? `${(n / 1_000_000).toFixed(1)}M` : `${Math.round(n / 1000)}k`);

function printPlan(plan: Plan): void {
  const { items, complexity, iterations, cost, tokens: t } = plan;
  out(`${color.bold(plan.spec.title)}  ${color.dim(`(${plan.spec.kind}: ${plan.spec.ref})`)}`);
  out(
    `items       ${plural(items.total, "acceptance item")}: ${items.visible} shown to the agent, ${items.held_out} held out for the final check`,
  );
  out(`complexity  ${color.bold(complexity.tier)} (score ${complexity.score})`);
  for (const reason of complexity.reasons) out(`              - ${reason}`);
  out(`iterations  ${range(iterations, String)}; cap ${iterations.cap}`);
  out(`provider    ${plan.provider.recommended} — ${plan.provider.reason}`);
  const m = plan.models;
  const planning = m.plan ? `, planning ${m.plan} (${m.tiers.reason})` : "";
  out(`models      build ${m.build} (${m.tiers.act}), review ${m.review} (${m.tiers.verify})${planning}; ${m.source}`);
  if (m.max_tier !== "planning") out(`              ceiling: max_tier ${m.max_tier}`);
  if (m.endpoint) out(`endpoint    ${m.endpoint} (providers.${m.provider} or its CLI's own base-URL variable)`);
  const total = t.total_estimate;
  out(
    `tokens      ~${tokens(total.input + total.cache_read + total.cache_write + total.output)} (input ${tokens(total.input)}, cache read ${tokens(total.cache_read)}, cache write ${tokens(total.cache_write)}, output ${tokens(total.output)})`,
  );
  out(
    `cost        ${color.bold(range(cost.usd, usd))}  ${cost.basis === "declared" ? `at the price declared in providers.${m.provider}.price` : `pricing as of ${cost.pricing_as_of}${cost.basis === "fallback" ? " (fallback price)" : ""}`}`,
  );
  if (cost.planning_usd > 0)
    out(`              includes the planning pass: ~${usd(cost.planning_usd)} (without it ${range(cost.without_planning, usd)})`);
  for (const row of cost.by_model) out(`              ${row.selected ? "*" : " "} ${row.model.padEnd(20)} ${range(row.usd, usd)}`);
  out(`time        ${range(plan.time.minutes, (m) => `${m} min`)}`);
  const ref = plan.spec.kind === "brief" ? JSON.stringify(plan.spec.ref) : plan.spec.ref;
  const budget = Math.ceil(plan.cost.usd.high) > 0 ? ` --budget ${Math.ceil(plan.cost.usd.high)}` : "";
  out(`next        loki start ${ref}${budget}   (checklist: .loki/checklist/checklist.json)`);
}
