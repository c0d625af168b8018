// The planning pass and task queue with the REAL claude CLI (and codex, for failover) against fake model
// APIs on 127.0.0.1: a task graph worked task by task, a malformed plan's fallback, a dead-lettered task,
// and `loki plan`'s quote equal to the model each call is dispatched with, for every model lever.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadConfig } from "../../src/core/config.ts";
import { configLevers, modelFor } from "../../src/core/models.ts";
import { QueuePlan } from "../../src/core/queue-schema.ts";
import { Completion, CostEntry, LokiEvent, ModelRequest } from "../../src/core/run-schema.ts";
import { GateResult, type Plan, Spec } from "../../src/core/schema.ts";
import { readJsonl, workspaceAt, writeJson } from "../../src/core/workspace.ts";
import { requestModel } from "../../src/run/control.ts";
import { selectHeldOut } from "../../src/spec/heldout.ts";
import { type AnthropicRequest, type AnthropicTurn, cwd, isRecord, startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { codeModeExec, cwd as codexCwd, execCommand, type ResponsesTurn, startFakeOpenAI } from "../helpers/fake-openai.ts";
import { loki } from "../helpers/cli.ts";
import { claudeEnv, cliSandbox, codexEnv, codexProviderConfig } from "../helpers/real-cli.ts";
import { git, tmpdir } from "../helpers/tmp.ts";
import { PRD_MATH4 } from "../helpers/scenario.ts";

const BIN = resolve(import.meta.dir, "..", "..", "node_modules", ".bin");
const OPS: Record<string, [string, number]> = { add: ["+", 9], sub: ["-", 3], mul: ["*", 18], div: ["/", 2] };
const ALL = Object.keys(OPS);
const PLANNED = "allow_root: true\ncouncil: false\nplanner:\n  mode: on\n";
const ARCHITECTURE = "# Architecture\n\nmath.js holds every function; math.test.js tests each one.";
const ITEM = /^- \[(ac-[0-9a-f]+(?:-\d+)?)\] (.+)$/gm;
const fnOf = (text: string) => /^(\w+)\(/.exec(text)?.[1] ?? "";

/** The text of every string and text block in a request's messages (claude) or input (codex), one per line. */
function asked(body: Record<string, unknown>): string {
  const texts: string[] = [];
  for (const m of [body.messages, body.input].flatMap((list) => (Array.isArray(list) ? list.filter(isRecord) : []))) {
    if (typeof m.content === "string") texts.push(m.content);
    else if (Array.isArray(m.content)) for (const b of m.content.filter(isRecord)) if (typeof b.text === "string") texts.push(b.text);
  }
  return texts.join("\n");
}
type Kind = "plan" | "judge" | "review" | "build" | "other";
function kindOf(text: string): Kind {
  if (text.includes("# Plan: ")) return "plan";
  if (/# (Held-out acceptance check|Acceptance check)/.test(text)) return "judge";
  if (/# (Review: |Devil's advocate)/.test(text)) return "review";
  return text.includes("# Task: ") ? "build" : "other";
}
const itemsIn = (text: string) => [...text.matchAll(ITEM)].map((m) => ({ id: m[1] ?? "", fn: fnOf(m[2] ?? "") }));

type PlanMode = "per-item" | "one" | "garbage";
function planAnswer(mode: PlanMode, text: string): string {
  if (mode === "garbage") return "First add, then the rest. (No json here.)";
  const shown = itemsIn(text);
  const tasks =
    mode === "one"
      ? [{ id: "t1", title: "Implement the library", items: shown.map((i) => i.id), deps: [], size: "M", role: "backend" }]
      : shown.map((i, n) => ({
          id: `t${n + 1}`,
          title: `Implement ${i.fn}`,
          items: [i.id],
          deps: n ? [`t${n}`] : [],
          size: "S",
          role: "backend",
        }));
  return `The plan:\n\n\`\`\`json\n${JSON.stringify({ architecture: ARCHITECTURE, tasks })}\n\`\`\``;
}

/** The shell command that writes math.js and its test for `fns`; `wrong` gets an implementation its test fails. */
function writeMath(fns: string[], wrong?: { fn: string; by: number }): string {
  const impl = fns.map((f) => `export const ${f} = (a, b) => a ${OPS[f]?.[0]} b${f === wrong?.fn ? ` + ${wrong.by}` : ""};`);
  const tests = fns.map((f) => `test("${f}", () => assert.strictEqual(${f}(6, 3), ${OPS[f]?.[1]}));`);
  const head = `import { test } from "node:test";\nimport assert from "node:assert";\nimport { ${fns.join(", ")} } from "./math.js";`;
  return `cat > math.js <<'EOF'\n${impl.join("\n")}\nEOF\ncat > math.test.js <<'EOF'\n${head}\n${tests.join("\n")}\nEOF`;
}

/**
 * A build call: task tK builds the functions of tasks t1..tK (the last task, or no task, all four), in one
 * shell command, then answers; the last task claims done. `stuck`: task t1's function is always wrong and
 * the tasks after it leave it out.
 */
function buildTurn(text: string, step: number, stuck: boolean, attempt: number): { turn: AnthropicTurn; fns: string[] } {
  const shown = itemsIn(text).map((i) => i.fn);
  const k = Number(/^## Your task now: \[t(\d+)\]/m.exec(text)?.[1] ?? 0);
  const of = /task (\d+) of (\d+)\)/.exec(text);
  const last = k === 0 || (of !== null && of[1] === of[2]);
  const stuckFn = stuck ? shown[0] : undefined;
  const fns = stuckFn && k === 1 ? [stuckFn] : (last ? ALL : shown.slice(0, k)).filter((f) => f !== stuckFn);
  if (step > 1) return { turn: { text: `Worked task t${k}.${last ? "\nLOKI_DONE" : ""}` }, fns };
  const command = writeMath(fns, stuckFn && k === 1 ? { fn: stuckFn, by: attempt } : undefined);
  return { turn: { toolUse: { name: "Bash", input: { command, description: "write math" } } }, fns };
}

/** A judge's verdict: each item it lists passes when its function is in math.js of the judged copy. */
function judgeVerdict(text: string, dir: string): string {
  let math = "";
  try {
    math = readFileSync(join(dir, "math.js"), "utf8");
  } catch {}
  const items = itemsIn(text).map((i) => ({ id: i.id, status: math.includes(`const ${i.fn} `) ? "pass" : "fail", evidence: "math.js:1" }));
  const verdict = items.every((i) => i.status === "pass") ? "APPROVE" : "REJECT";
  return `\`\`\`json\n${JSON.stringify({ verdict, findings: [], items })}\n\`\`\``;
}

/** The fake model for a whole run; `rateLimitBuilds`: every build call gets a 429 (the provider fails over). */
function claudeScript(o: { plan: PlanMode; stuck?: boolean; rateLimitBuilds?: boolean }) {
  let attempts = 0;
  return (req: AnthropicRequest, step: number): AnthropicTurn => {
    const text = asked(req.body);
    const kind = kindOf(text);
    if (kind === "plan") return { text: planAnswer(o.plan, text) };
    if (kind === "judge" || kind === "review") return { text: judgeVerdict(text, cwd(req)) };
    if (o.rateLimitBuilds) return { status: 429, message: "rate limited" };
    if (step === 1) attempts += 1;
    return buildTurn(text, step, o.stuck ?? false, attempts).turn;
  };
}

/** One throwaway repo with the 4-item math PRD, its CLI homes and the env that points claude (and codex) at the fakes. */
async function runRepo(config: string, anthropicUrl: string, extraEnv: Record<string, string> = {}) {
  const box = await cliSandbox();
  const repo = await tmpdir({
    commit: true,
    files: {
      "package.json": JSON.stringify({ name: "m", type: "module", private: true, scripts: { test: "node --test" } }),
      "prd.md": PRD_MATH4,
      "loki.yaml": config,
    },
  });
  const env = {
    ...claudeEnv(box, anthropicUrl),
    ...codexEnv(box),
    ANTHROPIC_API_KEY: "fake",
    PATH: `${BIN}:${process.env.PATH}`,
    ...extraEnv,
  };
  const ws = (...parts: string[]) => join(repo.path, ".loki", ...parts);
  return {
    path: repo.path,
    env,
    loki: (args: string[]) => loki(args, { cwd: repo.path, env }),
    quote: async (args: string[] = []) => {
      const r = await loki(["plan", "prd.md", "--json", ...args], { cwd: repo.path, env });
      expect(r.code, r.stderr).toBe(0);
      return r.json<Plan>().models;
    },
    events: () => readJsonl(ws("events.jsonl"), LokiEvent),
    ledger: () => readJsonl(ws("metrics", "cost.jsonl"), CostEntry),
    completion: () => Completion.parse(JSON.parse(readFileSync(ws("state", "completion.json"), "utf8"))),
    queuePlan: () => QueuePlan.parse(JSON.parse(readFileSync(ws("queue", "plan.json"), "utf8"))),
    gates: (n: number) => GateResult.array().parse(JSON.parse(readFileSync(ws("iterations", String(n), "gates.json"), "utf8"))),
    spec: () => Spec.parse(JSON.parse(readFileSync(ws("state", "run-spec.json"), "utf8"))),
    [Symbol.asyncDispose]: async () => void (await Promise.all([box, repo].map((d) => d[Symbol.asyncDispose]()))),
  };
}

/** The model calls of a fake, each with its kind and the text it carried. */
function callsOf(api: { modelCalls: () => { model: string | null; tools: string[]; body: Record<string, unknown> }[] }) {
  return api.modelCalls().map((c) => ({ ...c, text: asked(c.body), kind: kindOf(asked(c.body)) }));
}
const modelsOf = (calls: ReturnType<typeof callsOf>, kind: Kind) => [...new Set(calls.filter((c) => c.kind === kind).map((c) => c.model))];
const ledgerModels = (ledger: CostEntry[], role: CostEntry["role"]) => [
  ...new Set(ledger.filter((e) => e.role === role).map((e) => e.model)),
];

describe("planning pass with the real claude", () => {
  test("a task graph is built task by task on the quoted models, blind to the held-out item, and verifies", async () => {
    await using api = await startFakeAnthropic(claudeScript({ plan: "per-item" }));
    await using r = await runRepo(PLANNED, api.url);
    const quote = await r.quote();
    expect(quote).toMatchObject({ plan: "claude-opus-5-5", build: "claude-sonnet-5-5", review: "claude-sonnet-5-5" });
    const result = await r.loki(["start", "prd.md"]);
    expect(result.code, result.stderr).toBe(0);
    expect(r.completion().outcome).toBe("verified");

    const calls = callsOf(api);
    expect(calls.filter((c) => c.kind === "other")).toHaveLength(0);
    const plans = calls.filter((c) => c.kind === "plan");
    expect(plans.map((c) => c.model)).toEqual([quote.plan]);
    expect(plans[0]?.tools).toContain("Read");
    expect(plans[0]?.tools).not.toContain("Write");
    expect(plans[0]?.tools).not.toContain("Edit");
    expect(calls.find((c) => c.kind === "build")?.tools).toContain("Write");
    // Each build request carries exactly one task heading; the calls go t1, t2, t3, in the plan's order.
    const builds = calls.filter((c) => c.kind === "build");
    const headings = builds.map((c) => [...c.text.matchAll(/^## Your task now: \[(t\d+)\]/gm)].map((m) => m[1]));
    for (const h of headings) expect(h).toHaveLength(1);
    expect(headings.flat().filter((t, i, all) => t !== all[i - 1])).toEqual(["t1", "t2", "t3"]);
    expect(r.events().flatMap((e) => (e.kind === "task_started" ? [e.task] : []))).toEqual(["t1", "t2", "t3"]);
    expect(modelsOf(calls, "build")).toEqual([quote.build]);
    expect(modelsOf(calls, "judge")).toEqual([quote.review]);
    const ledger = r.ledger();
    expect(ledger.filter((e) => e.role === "plan")).toMatchObject([{ model: quote.plan, iteration: 0 }]);
    expect(ledgerModels(ledger, "build")).toEqual([quote.build]);
    expect(ledgerModels(ledger, "judge")).toEqual([quote.review]);
    // The held-out item reached neither the planner nor a build call.
    const spec = r.spec();
    const [hidden, ...more] = selectHeldOut(spec.items);
    expect(more).toHaveLength(0);
    const leaks = [...plans, ...builds].filter((c) => [hidden?.text, hidden?.id].some((s) => JSON.stringify(c.body).includes(s ?? "?")));
    expect(leaks.map((c) => c.kind)).toEqual([]);
    expect(plans[0]?.text).toContain(spec.items.find((i) => i.id !== hidden?.id)?.text ?? "?");
    // The architecture note is committed by loki, as the run's base.
    expect(git(r.path, ["log", "--format=%s", "--", "docs/architecture.md"]).trim()).toBe("loki: architecture note (planning pass)");
    expect(git(r.path, ["show", "HEAD:docs/architecture.md"])).toContain("math.js holds every function");
  });

  test("a malformed plan is asked for once more, then the run works the checklist as one task and verifies", async () => {
    await using api = await startFakeAnthropic(claudeScript({ plan: "garbage" }));
    await using r = await runRepo(PLANNED, api.url);
    const result = await r.loki(["start", "prd.md"]);
    expect(result.code, result.stderr).toBe(0);
    const plans = callsOf(api).filter((c) => c.kind === "plan");
    expect(plans).toHaveLength(2);
    expect(plans[0]?.text).not.toContain("## Your previous answer was unusable");
    expect(plans[1]?.text).toContain("## Your previous answer was unusable");
    expect(r.queuePlan()).toMatchObject({ source: "fallback", calls: 2, architecture: null });
    expect(r.ledger().filter((e) => e.role === "plan")).toHaveLength(2);
    const builds = callsOf(api).filter((c) => c.kind === "build");
    expect(builds.length).toBeGreaterThan(0);
    for (const c of builds) expect(c.text).not.toContain("## Your task now");
    expect(r.completion().outcome).toBe("verified");
  });

  test("a task failing five times is dead-lettered, later tasks run, and the run does not end verified", async () => {
    await using api = await startFakeAnthropic(claudeScript({ plan: "per-item", stuck: true }));
    await using r = await runRepo(`${PLANNED}max_iterations: 7\nstagnation_limit: 20\n`, api.url);
    const result = await r.loki(["start", "prd.md"]);
    const finished = r.events().flatMap((e) => (e.kind === "task_finished" ? [[e.task, e.outcome]] : []));
    expect(finished).toEqual([...Array.from({ length: 4 }, () => ["t1", "retry"]), ["t1", "dead_letter"], ["t2", "done"], ["t3", "done"]]);
    // Each of t1's attempts left a red test behind.
    for (const n of [1, 2, 3, 4, 5]) expect(r.gates(n).find((g) => g.id === "tests")?.status).toBe("fail");
    // From its fourth attempt on, the build prompt asks for a simpler approach.
    const firsts = callsOf(api).filter((c) => c.kind === "build" && !JSON.stringify(c.body).includes("tool_result"));
    expect(firsts.map((c) => /## Your task now: \[(t\d+)\]/.exec(c.text)?.[1])).toEqual(["t1", "t1", "t1", "t1", "t1", "t2", "t3"]);
    expect(firsts.slice(0, 3).some((c) => c.text.includes("simpler approach"))).toBe(false);
    expect(firsts[3]?.text).toContain("## This task has failed 3 times");
    expect(firsts[3]?.text).toContain("simpler approach");
    expect(r.completion()).toMatchObject({ outcome: "blocked", dead_letter: [{ id: "t1", attempts: 5 }] });
    expect(result.code, result.stderr).toBe(2);
    // With a task dead-lettered, the ship gate judged every visible item, and t1's is not met.
    expect(callsOf(api).some((c) => c.kind === "judge" && c.text.includes("# Acceptance check (dead-lettered tasks)"))).toBe(true);
    const hidden = new Set(selectHeldOut(r.spec().items).map((i) => i.id));
    const stuck = r.spec().items.find((i) => !hidden.has(i.id));
    const ship = r.events().flatMap((e) => (e.kind === "ship_gate" ? [e] : []));
    expect(ship.map((e) => e.verdict)).toEqual(["BLOCKED"]);
    expect(ship[0]?.reasons.join("\n")).toContain(`item ${stuck?.id} is not met`);
  });
});

describe("quote == dispatch, every model lever, with the real CLIs", () => {
  const OPUS = "claude-opus-5-5";
  const SONNET = "claude-sonnet-5-5";
  const HAIKU = "claude-haiku-5-5";
  const levers: { name: string; config?: string; args?: string[]; env?: Record<string, string>; want: [string, string, string] }[] = [
    { name: "tier default", want: [OPUS, SONNET, SONNET] },
    { name: "--model alias", args: ["--model", "sonnet"], want: [SONNET, SONNET, SONNET] },
    { name: "--model full id", args: ["--model", HAIKU], want: [HAIKU, HAIKU, HAIKU] },
    { name: "model: pin", config: "model: opus\n", want: [OPUS, OPUS, OPUS] },
    { name: "LOKI_MODEL", env: { LOKI_MODEL: "haiku" }, want: [HAIKU, HAIKU, HAIKU] },
    { name: "models per phase", config: "models:\n  reason: development\n  verify: claude-haiku-5-5\n", want: [SONNET, SONNET, HAIKU] },
  ];

  test("tier default, --model (alias and id), model:, LOKI_MODEL and models.<phase>: each call runs the quoted model", async () => {
    const runs = levers.map(async (lever) => {
      await using api = await startFakeAnthropic(claudeScript({ plan: "one" }));
      await using r = await runRepo(`${PLANNED}max_iterations: 1\n${lever.config ?? ""}`, api.url, lever.env);
      const quote = await r.quote(lever.args);
      expect([lever.name, quote.plan, quote.build, quote.review]).toEqual([lever.name, ...lever.want]);
      const result = await r.loki(["start", "prd.md", ...(lever.args ?? [])]);
      expect([lever.name, result.code], result.stderr).toEqual([lever.name, 0]);
      const calls = callsOf(api);
      const ledger = r.ledger();
      for (const [kind, role, model] of [
        ["plan", "plan", quote.plan ?? "no planning pass quoted"],
        ["build", "build", quote.build],
        ["judge", "judge", quote.review],
      ] as const) {
        expect([lever.name, kind, modelsOf(calls, kind)]).toEqual([lever.name, kind, [model]]);
        expect([lever.name, role, ledgerModels(ledger, role)]).toEqual([lever.name, role, [model]]);
      }
    });
    await Promise.all(runs);
  });

  test("max_tier caps the planning pass and refuses a model above it; a dashboard switch holds from the next build, within the ceiling", async () => {
    await using refusing = await startFakeAnthropic(claudeScript({ plan: "one" }));
    await using fast = await runRepo(`${PLANNED}max_tier: fast\n`, refusing.url);
    for (const command of ["plan", "start"]) {
      const refused = await fast.loki([command, "prd.md", "--model", "opus"]);
      expect([command, refused.code]).toEqual([command, 3]);
      expect(refused.stderr).toMatch(/above max_tier fast/);
    }
    expect(refusing.modelCalls()).toHaveLength(0);

    // max_tier development: the plan pass runs sonnet; mid-call an opus switch is refused, a haiku one holds.
    const held = new Map([1, 2].map((n) => [n, { reached: Promise.withResolvers<void>(), release: Promise.withResolvers<void>() }]));
    await using api = await startFakeAnthropic(claudeScript({ plan: "per-item" }), {
      hold: (req) => {
        const text = asked(req.body);
        const gate = kindOf(text) === "build" ? held.get(Number(/## Iteration (\d+) of/.exec(text)?.[1])) : undefined;
        gate?.reached.resolve();
        return gate?.release.promise;
      },
    });
    await using r = await runRepo(`${PLANNED}max_tier: development\nmax_iterations: 3\n`, api.url);
    const quote = await r.quote();
    expect(quote).toMatchObject({ plan: SONNET, build: SONNET, review: SONNET, max_tier: "development" });
    const run = r.loki(["start", "prd.md"]);
    for (const [n, model] of [
      [1, OPUS],
      [2, HAIKU],
    ] as const) {
      await held.get(n)?.reached.promise;
      if (model === OPUS) {
        // The dashboard's control refuses a model above the run's ceiling; a request file written by
        // hand is data to the run, which checks it again through modelFor.
        expect(await requestModel(r.path, model, "test")).toMatchObject({
          ok: false,
          status: 422,
          message: expect.stringMatching(/max_tier/),
        });
        const runId = r.events().find((e) => e.kind === "run_started")?.run_id ?? "";
        writeJson(workspaceAt(r.path).modelRequest, ModelRequest, {
          schema_version: 1,
          run_id: runId,
          model,
          requested_at: new Date().toISOString(),
          by: "test",
        });
      } else expect(await requestModel(r.path, model, "test")).toMatchObject({ ok: true });
      held.get(n)?.release.resolve();
    }
    const result = await run;
    expect(result.code, result.stderr).toBe(0);
    const calls = callsOf(api);
    expect(modelsOf(calls, "plan")).toEqual([quote.plan]);
    const buildModels = (n: number) => [
      ...new Set(calls.filter((c) => c.kind === "build" && c.text.includes(`## Iteration ${n} of`)).map((c) => c.model)),
    ];
    const { config } = loadConfig(r.path, r.env, {});
    const switched = modelFor({
      provider: "claude",
      tier: r.spec().complexity.tier,
      phase: "act",
      levers: { ...configLevers(config), switched: HAIKU },
    });
    expect([buildModels(1), buildModels(2), buildModels(3)]).toEqual([[quote.build], [quote.build], [switched.model]]);
    expect(switched.model).toBe(HAIKU);
    expect(r.ledger().flatMap((e) => (e.role === "build" ? [e.model] : []))).toEqual([SONNET, SONNET, HAIKU]);
    // The switch is the build calls' only: the judge runs the quoted review model.
    expect(modelsOf(calls, "judge")).toEqual([quote.review]);
    const events = r.events();
    expect(events.some((e) => e.kind === "warning" && /claude-opus-5-5 refused: .*above max_tier development/.test(e.message))).toBe(true);
    expect(events.filter((e) => e.kind === "model_switched")).toMatchObject([{ from: SONNET, to: HAIKU, by: "test" }]);
  });

  test("failover: a rate-limited claude hands the build to the real codex, which runs the model modelFor and `plan` name for it", async () => {
    await using anthropic = await startFakeAnthropic(claudeScript({ plan: "one", rateLimitBuilds: true }));
    await using openai = await startFakeOpenAI((req, step) => {
      const text = asked(req.body);
      const kind = kindOf(text);
      if (kind === "judge" || kind === "review") return { text: judgeVerdict(text, codexCwd(req)) };
      if (step > 1) return { text: "Built the library.\nLOKI_DONE" };
      const command = writeMath(ALL);
      return req.tools.includes("exec_command") ? execCommand(command) : (codeModeExec(command) as ResponsesTurn);
    });
    await using r = await runRepo(`${PLANNED}failover:\n  - codex\n`, anthropic.url, {
      OPENAI_API_KEY: "fake",
      LOKI_CODEX_CONFIG: codexProviderConfig(openai.url).join("\n"),
    });
    const quote = await r.quote();
    const codexQuote = await r.quote(["--provider", "codex"]);
    const result = await r.loki(["start", "prd.md"]);
    expect(result.code, result.stderr).toBe(0);
    expect(r.events().find((e) => e.kind === "provider_failover")).toMatchObject({ from: "claude", to: "codex", reason: "rate_limit" });
    const { config } = loadConfig(r.path, r.env, {});
    const tier = r.spec().complexity.tier;
    const codexModel = (phase: "act" | "verify") => modelFor({ provider: "codex", tier, phase, levers: configLevers(config) }).model;
    expect(codexQuote).toMatchObject({ provider: "codex", build: codexModel("act"), review: codexModel("verify") });
    // Planned on claude at the quoted model; built and judged on codex at the model modelFor gives codex.
    expect(modelsOf(callsOf(anthropic), "plan")).toEqual([quote.plan]);
    expect(modelsOf(callsOf(anthropic), "build")).toEqual([quote.build]);
    const codexCalls = callsOf(openai);
    expect(modelsOf(codexCalls, "build")).toEqual([codexModel("act")]);
    expect(modelsOf(codexCalls, "judge")).toEqual([codexModel("verify")]);
    const codexLedger = r.ledger().filter((e) => e.provider === "codex");
    expect(ledgerModels(codexLedger, "build")).toEqual([codexModel("act")]);
    expect(ledgerModels(codexLedger, "judge")).toEqual([codexModel("verify")]);
  });
});
