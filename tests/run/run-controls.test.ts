// The run controls the dashboard shares with the CLI (src/run/control.ts) against a real run: a model
// switch and a higher cap asked while an agent call is under way take effect at the next boundary
// (the next call is dispatched with the model), each phase's length is an event, a forged or refused
// request changes nothing, and "stop after this iteration" / "stop now" end the run as they say.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { requestBudget, requestModel, runModels, stopRun } from "../../src/run/control.ts";
import { HELD, NO_COUNCIL, scenarioRepo, spawnLoki, until, type Scenario } from "../helpers/scenario.ts";

const spawnStart = (s: Scenario, args: string[]) => spawnLoki(s, ["start", "prd.md", ...args]);

const inCall = (s: Scenario) => () =>
  existsSync(join(s.path, ".loki", "events.jsonl")) && s.events().some((e) => e.kind === "agent_started");
const argvOf = (s: Scenario): string[][] =>
  readFileSync(join(s.state, "argv.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as string[]);
const modelOf = (argv: string[]) => argv[argv.indexOf("--model") + 1];

describe("run controls", () => {
  test("a model and a higher cap asked mid-call hold from the next iteration; every phase's length is recorded", async () => {
    await using s = await scenarioRepo("break-then-fix", NO_COUNCIL, HELD);
    const run = spawnStart(s, ["--budget", "5", "--max-iterations", "3"]);
    await until(inCall(s));
    expect(await runModels(s.path)).toContain("claude-haiku-5-5");
    // Refused at the door: a model the provider does not run, a cap that is not higher.
    const unknown = await requestModel(s.path, "gpt-6.1-sol", "test");
    expect(unknown).toMatchObject({ ok: false, status: 422 });
    expect(await requestBudget(s.path, 4, "test")).toMatchObject({ ok: false, status: 422 });
    expect(await requestModel(s.path, "claude-haiku-5-5", "test")).toMatchObject({ ok: true });
    expect(await requestBudget(s.path, 12.5, "test")).toMatchObject({ ok: true });
    s.release();
    expect(await exitOf(run)).toBe(0);

    const argv = argvOf(s);
    expect(argv.map(modelOf)).toEqual(["claude-sonnet-5-5", "claude-haiku-5-5"]);
    const events = s.events();
    const switched = events.find((e) => e.kind === "model_switched");
    expect(switched).toMatchObject({ iteration: 1, from: "claude-sonnet-5-5", to: "claude-haiku-5-5", by: "test" });
    expect(events.find((e) => e.kind === "agent_started" && e.iteration === 2)).toMatchObject({ model: "claude-haiku-5-5" });
    expect(events.find((e) => e.kind === "budget_raised")).toMatchObject({ from: 5, to: 12.5, by: "test" });
    expect(s.orchestrator().budget.limit_usd).toBe(12.5);
    expect(s.orchestrator().model).toBe("claude-haiku-5-5");
    // Each iteration's phases, in order, each once, with a measured length; the ship gate too.
    const phases = (n: number) => events.flatMap((e) => (e.kind === "phase_finished" && e.iteration === n ? [e] : []));
    expect(phases(1).map((e) => e.phase)).toEqual(["reason", "act", "reflect", "verify", "compound", "ship"]);
    expect(phases(2).map((e) => e.phase)).toEqual(["reason", "act", "reflect", "verify", "compound", "ship"]);
    for (const e of [...phases(1), ...phases(2)]) expect(e.ms).toBeGreaterThanOrEqual(0);
    // The run's active time counts its last iteration too (it used to stop at the last boundary).
    const measured = [...phases(1), ...phases(2)].reduce((sum, e) => sum + e.ms, 0);
    expect(s.orchestrator().elapsed_ms).toBeGreaterThanOrEqual(measured);
    const act = phases(1).find((e) => e.phase === "act");
    expect(Date.parse(act?.started_at ?? "")).toBeGreaterThan(0);
  });

  test("a run on a provider's own models (providers.<id>.model) offers no switch and refuses one to a vendor model", async () => {
    await using s = await scenarioRepo("break-then-fix", `${NO_COUNCIL}providers:\n  claude:\n    model: local-coder\n`, HELD);
    const run = spawnStart(s, ["--budget", "5", "--max-iterations", "3"]);
    await until(inCall(s));
    expect(await runModels(s.path)).toEqual([]);
    const refused = await requestModel(s.path, "claude-haiku-5-5", "test");
    expect(refused).toMatchObject({ ok: false, status: 422, message: expect.stringContaining("own models") });
    s.release();
    await exitOf(run);
    expect(argvOf(s).map(modelOf)).toEqual(expect.arrayContaining(["local-coder"]));
    expect(new Set(argvOf(s).map(modelOf))).toEqual(new Set(["local-coder"]));
  });

  test("a request file forged or torn in .loki/control/ is refused by the run and changes nothing", async () => {
    await using s = await scenarioRepo("break-then-fix", NO_COUNCIL, HELD);
    const run = spawnStart(s, ["--budget", "5", "--max-iterations", "3"]);
    await until(inCall(s));
    const control = join(s.path, ".loki", "control");
    mkdirSync(control, { recursive: true });
    // Past the CLI's checks: a model of another vendor, a request left from another run, a torn file.
    const at = new Date().toISOString();
    const runId = s.orchestrator().run_id;
    writeFileSync(
      join(control, "model.json"),
      JSON.stringify({ schema_version: 1, run_id: runId, model: "gpt-6.1-sol", requested_at: at, by: "x" }),
    );
    writeFileSync(join(control, "budget.json"), '{"schema_version":1,"limit_usd":1');
    s.release();
    expect(await exitOf(run)).toBe(0);
    expect(argvOf(s).map(modelOf)).toEqual(["claude-sonnet-5-5", "claude-sonnet-5-5"]);
    const events = s.events();
    expect(events.some((e) => e.kind === "model_switched" || e.kind === "budget_raised")).toBe(false);
    const warnings = events.flatMap((e) => (e.kind === "warning" ? [e.message] : []));
    expect(warnings.some((m) => m.includes("gpt-6.1-sol is not one claude runs here"))).toBe(true);
    expect(warnings.some((m) => m.includes("budget.json is not a valid request"))).toBe(true);
    // A request asked of an earlier run is not this run's, whatever it asks.
    const stale = JSON.stringify({ schema_version: 1, run_id: "20250101-000000-old0", limit_usd: 50, requested_at: at, by: "x" });
    writeFileSync(join(control, "budget.json"), stale);
    const next = spawnStart(s, ["--budget", "5", "--max-iterations", "1"]);
    await exitOf(next);
    const newRun = s.orchestrator().run_id;
    expect(newRun).not.toBe(runId);
    const own = s.events().filter((e) => e.run_id === newRun);
    expect(own.some((e) => e.kind === "warning" && e.message.includes("was asked of run 20250101-000000-old0"))).toBe(true);
    expect(own.some((e) => e.kind === "budget_raised")).toBe(false);
    expect(s.orchestrator().budget.limit_usd).toBe(5);
    expect(s.orchestrator().budget.limit_usd).toBe(5);
    expect(existsSync(join(control, "model.json")) || existsSync(join(control, "budget.json"))).toBe(false);
  });

  test('"stop after this iteration" ends the run at the boundary, the call in flight finishing', async () => {
    await using s = await scenarioRepo("break-then-fix", NO_COUNCIL, HELD);
    const run = spawnStart(s, ["--max-iterations", "3"]);
    await until(inCall(s));
    expect(await stopRun(s.path, "iteration", "test")).toMatchObject({ ok: true });
    s.release();
    expect(await exitOf(run)).toBe(1);
    expect(s.completion()).toMatchObject({ outcome: "stopped", iterations: 1, reason: "stopped by test after the iteration" });
    expect(s.events().find((e) => e.kind === "agent_finished")).toMatchObject({ ok: true });
    // No run is live now: every control says so instead of leaving a request nobody applies.
    expect(await requestModel(s.path, "claude-haiku-5-5", "test")).toMatchObject({ ok: false, status: 409 });
    expect(await runModels(s.path)).toEqual([]);
  });

  test('"stop now" ends the call in flight and the run with it', async () => {
    await using t = await scenarioRepo("break-then-fix", NO_COUNCIL, HELD);
    const now = spawnStart(t, ["--max-iterations", "3"]);
    await until(inCall(t));
    expect(await stopRun(t.path, "now", "test")).toMatchObject({ ok: true });
    // The held call never finished on its own: it was ended, and the run saved its state as stopped.
    expect(await exitOf(now)).toBe(1);
    expect(t.completion()).toMatchObject({ outcome: "stopped", iterations: 1, reason: "stopped by test during the iteration" });
    const finished = t.events().find((e) => e.kind === "agent_finished");
    expect(finished).toMatchObject({ ok: false, error_class: "stopped" });
    expect(t.events().some((e) => e.kind === "agent_started" && e.iteration === 2)).toBe(false);
  });
});

/** The run's exit code; its stderr in the failure if it has not ended within 30 s. */
async function exitOf(run: ReturnType<typeof spawnLoki>): Promise<number> {
  const timeout = Bun.sleep(30_000).then(() => null);
  const code = await Promise.race([run.exited, timeout]);
  if (code !== null) return code;
  run.kill("SIGKILL");
  throw new Error(`the run did not end in 30 s:\n${await new Response(run.stderr).text()}`);
}
