// `bun bench/planning.ts`: what the planning pass costs a run. The quote of every standard starter
// template with and without it (the pass must add ≤ 5 %), the agent calls a planned run makes before
// its first build call (≤ 1), and the wall time it adds to that first call over an unplanned run.
import { chmodSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadConfig } from "../src/core/config.ts";
import { LokiEvent } from "../src/core/run-schema.ts";
import { readJsonl } from "../src/core/workspace.ts";
import { buildPlan } from "../src/plan/plan.ts";
import { loadProvider } from "../src/providers/registry.ts";
import { readSpec } from "../src/spec/read.ts";
import { benchRepo, benchStart } from "./loop.ts";
import { type Measured, median } from "./measure.ts";

const ROOT = resolve(import.meta.dir, "..");
const WORK = join(tmpdir(), "loki-bench-planning");
/** The planning pass may add at most this share to a standard run's estimated cost. */
export const PLANNING_SHARE = 0.05;
const RUNS = 5;

/** A zero-latency `claude`: a task graph for the planning prompt, one file per build call, and done. */
const fakeAgent = `#!/usr/bin/env bun
const args = process.argv.slice(2);
if (args.includes("--version")) { console.log("2.1.330 (Claude Code)"); process.exit(0); }
if (args.includes("--help")) { console.log("  -p, --print  --output-format  --verbose  --model  --append-system-prompt"); process.exit(0); }
const prompt = await Bun.stdin.text();
const ids = [...prompt.matchAll(/^- \\[([^\\]]+)\\]/gm)].map((m) => m[1]);
let text = "done\\nLOKI_DONE";
if (/^# Plan: /m.test(prompt)) {
  const tasks = ids.map((id, i) => ({ id: "t" + (i + 1), title: "step " + (i + 1), items: [id], deps: i ? ["t" + i] : [], size: "S", role: "backend" }));
  text = "\`\`\`json\\n" + JSON.stringify({ architecture: "# Architecture\\n\\nOne module.", tasks }) + "\\n\`\`\`";
} else await Bun.write("src/step.js", "export const step = " + Date.now() + ";\\n");
console.log(JSON.stringify({ type: "result", subtype: "success", is_error: false, result: text, model_usage_since_last_result: { "claude-sonnet-5-5": { inputTokens: 10, outputTokens: 1, costUSD: 0.0001 } } }));
`;

/** The quotes of every starter template graded standard, with and without the planning pass. */
export async function planningQuotes(): Promise<{ name: string; with: number; without: number }[]> {
  const config = loadConfig(WORK, {}).config;
  const firstClass = await loadProvider("claude");
  const dir = join(ROOT, "templates");
  const out: { name: string; with: number; without: number }[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".md") && f !== "README.md")) {
    const spec = await readSpec(join(dir, file), { cwd: ROOT, config, env: {} });
    if (spec.complexity.tier !== "standard") continue;
    const plan = buildPlan(spec, {
      provider: "claude",
      providerChosen: true,
      maxIterations: 25,
      heldOut: 1,
      installed: ["claude"],
      firstClass,
    });
    out.push({ name: file, with: plan.cost.usd.estimate, without: plan.cost.without_planning.estimate });
  }
  return out;
}

type StartRun = { calls: number; firstBuildMs: number };

/** One `loki start` of a two-item spec with the zero-latency agent: calls before the first build, and ms to it. */
function startRun(planner: "on" | "off"): StartRun {
  const { repo, bin } = benchRepo(WORK, {
    stepFile: "src/step.js",
    config: `allow_root: true\ncouncil: false\nheldout: false\nmax_iterations: 1\nplanner:\n  mode: ${planner}\n`,
  });
  writeFileSync(join(bin, "claude"), fakeAgent);
  chmodSync(join(bin, "claude"), 0o755);
  const started = Date.now();
  const result = benchStart(repo, bin);
  if (result.exitCode === 3) throw new Error(`bench run failed: ${result.stderr.toString().slice(-500)}`);
  const events = readJsonl(join(repo, ".loki", "events.jsonl"), LokiEvent);
  const runStart = Date.parse(events.find((e) => e.kind === "run_started")?.ts ?? String(started));
  const firstBuild = events.find((e) => e.kind === "agent_started");
  const ledger = readFileSync(join(repo, ".loki", "metrics", "cost.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  const calls = ledger.filter((e: { role: string }) => e.role === "plan").length;
  return { calls, firstBuildMs: Date.parse(firstBuild?.ts ?? "") - runStart };
}

/** Planned against unplanned runs, alternately (drift hits both alike): calls, and ms to the first build call. */
export function planningRuns(): { calls: Measured; firstBuild: Measured } {
  const planned: StartRun[] = [];
  const floor: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const off = startRun("off");
    const on = startRun("on");
    if (i === 0) continue;
    floor.push(off.firstBuildMs);
    planned.push(on);
  }
  return {
    calls: { median: Math.max(...planned.map((p) => p.calls)), floor: 1, runs: RUNS },
    firstBuild: { median: median(planned.map((p) => p.firstBuildMs)), floor: median(floor), runs: RUNS },
  };
}

if (import.meta.main) {
  for (const q of await planningQuotes())
    console.log(
      `${q.name}: $${q.with.toFixed(2)} with planning, $${q.without.toFixed(2)} without (+${((q.with / q.without - 1) * 100).toFixed(1)} %)`,
    );
  const runs = planningRuns();
  console.log(`planning calls before the first build call: ${runs.calls.median} (of ${runs.calls.runs} runs, the most)`);
  console.log(`run start → first build call: ${runs.firstBuild.median} ms planned, ${runs.firstBuild.floor} ms unplanned`);
}
