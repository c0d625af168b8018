// `bun run bench`: measures what users wait for, each figure next to its floor measured in the same
// run (the physical lower bound of that work here) and the ratio between them; sets exit code 1 when
// any row misses its absolute target. Builds the compiled binary first when missing (or --rebuild).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { loadConfig } from "../src/core/config.ts";
import { readSpec } from "../src/spec/read.ts";
import { benchDashboard } from "./dashboard.ts";
import { benchDiff } from "./diff.ts";
import { benchDifferential } from "./differential.ts";
import { bigOpenApi, longPrd } from "./fixtures.ts";
import { benchFailover, FAILOVER_TARGET_MS } from "./failover.ts";
import { benchLoop, ITERATIONS } from "./loop.ts";
import { type Measured, paired, spawnWall, timed } from "./measure.ts";
import { misses, type Row, renderRows, summary, type Target } from "./report.ts";
import { benchMemory, recallMeets, renderRecall } from "./memory.ts";
import { benchPreview } from "./preview.ts";
import { PLANNING_SHARE, planningQuotes, planningRuns } from "./planning.ts";
import { benchSandbox, SANDBOX_TARGET_MS } from "./sandbox.ts";
import { benchSecrets } from "./secrets.ts";
import { benchHistory, HISTORY_RATIO } from "./history.ts";
import { barePlanLine, benchBigPlan, PLAN_TARGET } from "./plan-big.ts";
import { benchStartup, STARTUP_RATIO } from "./startup.ts";
import { benchVerify, VERIFY_TARGETS } from "./verify.ts";

const ROOT = resolve(import.meta.dir, "..");
const TMP = join(ROOT, "bench", ".tmp");
const BIN = join(ROOT, "dist", "loki");
const MB = 1024 * 1024;

const rows: Row[] = [];
/** Lines printed under the table: what a row's figure is to be read against, beyond its floor. */
const notes: string[] = [];
const atMost = (value: number): Target => ({ kind: "at-most", value });
function record(name: string, floorIs: string, measured: Measured, target: Target, unit: Row["unit"] = "ms") {
  rows.push({ name, floorIs, unit, target, ...measured });
}

mkdirSync(TMP, { recursive: true });
if (!existsSync(BIN) || process.argv.includes("--rebuild")) {
  // process.execPath: bun itself, whether or not it is on PATH (`npx bun run bench`).
  const build = Bun.spawnSync([process.execPath, "run", "build"], { cwd: ROOT, stdout: "ignore", stderr: "inherit" });
  if (build.exitCode !== 0) throw new Error("build failed");
}
const prd = join(TMP, "prd-2000.md");
writeFileSync(prd, longPrd(2000));
const openapi = join(TMP, "openapi-5mb.json");
writeFileSync(openapi, bigOpenApi(5_000_000));
const repo = join(TMP, "repo");
mkdirSync(repo, { recursive: true });
const loadBefore = loadavg();

// The compiled binary: floor = spawning a binary that does nothing (and, for plan, reads the PRD).
const wall = (argv: string[], floor: string[], runs: number) =>
  paired(
    () => spawnWall(argv, repo),
    () => spawnWall(floor, repo),
    runs,
    2,
  );
Bun.spawnSync(["git", "init", "-q", repo]);
for (const { name, measured } of await benchStartup(TMP, repo))
  record(`startup, compiled: ${name} (wall)`, "compiled hello-world", measured, { kind: "ratio-at-most", value: STARTUP_RATIO });
record(
  "binary: loki plan prd-2000.md --json (wall)",
  "spawn cat prd-2000.md",
  await wall([BIN, "plan", prd, "--json"], ["cat", prd], 20),
  atMost(100),
);

const bigPlan = await benchBigPlan(BIN);
record("binary: loki plan prd-20000.md --json (wall)", "spawn cat prd-20000.md", bigPlan.wall, atMost(PLAN_TARGET.ms));
record("binary: loki plan prd-20000.md --json, peak RSS", "RSS of loki version", bigPlan.rss, atMost(PLAN_TARGET.rssMb), "MB");
notes.push(barePlanLine(bigPlan.bare));
for (const { name, floorIs, measured } of await benchHistory())
  record(name, floorIs, measured, { kind: "ratio-at-most", value: HISTORY_RATIO });

// In-process spec reading: floor = reading the same bytes and doing the least any reader must.
const config = loadConfig(repo, {}).config;
const read = (path: string) => () => timed(() => readSpec(path, { cwd: repo, config, env: {} }));
record(
  "in-process: read 5 MB OpenAPI JSON spec",
  "read + JSON.parse",
  await paired(read(openapi), () => timed(() => JSON.parse(readFileSync(openapi, "utf8"))), 7),
  atMost(1000),
);
record(
  "in-process: read 2,000-line PRD",
  "read + split lines",
  await paired(read(prd), () => timed(() => readFileSync(prd, "utf8").split("\n")), 20),
  atMost(100),
);

record("in-process: diff subject, 1,000 files / 50,000 lines in a 20,000-file repo", "git diff --numstat", await benchDiff(), atMost(1500));
const small = await benchVerify("small", 15);
record("loki verify, compiled: 10-file / 500-line change in a 20,000-file repo (wall)", "git diff --numstat", small.wall, {
  kind: "ratio-at-most",
  value: VERIFY_TARGETS.smallRatio,
});
const big = await benchVerify("feature", 7);
record("loki verify, compiled: 1,000-file / 50,000-line change (wall)", "git diff --numstat", big.wall, {
  kind: "ratio-at-most",
  value: VERIFY_TARGETS.bigRatio,
});
record("loki verify peak RSS on that change", "RSS of loki version", big.rss, atMost(VERIFY_TARGETS.bigRssMb), "MB");
const huge = await benchVerify("huge", 3);
record("loki verify peak RSS, 10,000-file / 500,000-line change", "RSS of loki version", huge.rss, atMost(VERIFY_TARGETS.hugeRssMb), "MB");
record(
  "secret scanning throughput (50 MB of added text)",
  "one regex, one pass",
  await benchSecrets(),
  { kind: "at-least", value: 50 },
  "MB/s",
);
// The differential check beside the tests gate must not more than double that gate's time.
for (const [files, perFile] of [
  [2, 3],
  [20, 10],
] as const)
  record(
    `tests + differential gates, node:test project of ${files * perFile} tests (wall)`,
    "tests gate alone",
    await benchDifferential(files, perFile, 5),
    { kind: "ratio-at-most", value: 2 },
  );
const loop = await benchLoop();
record(
  `loop overhead per iteration (zero-latency agent, 1,000-file repo, ${ITERATIONS} iterations, ${loop.overhead.runs / ITERATIONS} runs)`,
  "git add -A + commit",
  loop.overhead,
  { kind: "ratio-at-most", value: 2 },
);
const bytes = loop.lokiBytes;
record(
  `.loki/ after ${ITERATIONS} iterations, without agent transcripts`,
  "events.jsonl bytes",
  { ...bytes, median: bytes.median / MB, floor: bytes.floor / MB },
  atMost(5),
  "MB",
);
record(
  `prompt size at iteration ${ITERATIONS}, the same feedback every iteration`,
  "iteration 2's prompt",
  { ...loop.promptBytes, median: loop.promptBytes.median / 1024, floor: loop.promptBytes.floor / 1024 },
  { kind: "ratio-at-most", value: 1.5 },
  "KB",
);
const sandbox = await benchSandbox();
record(
  `sandbox (${sandbox.kind}) per agent call, \`true\` via core/exec`,
  "plain `true`",
  { median: sandbox.sandboxedMs, floor: sandbox.plainMs, runs: sandbox.runs },
  { kind: "over-floor-at-most", value: SANDBOX_TARGET_MS },
);

const dashboard = await benchDashboard();
record("dashboard: p95 events.jsonl append → row in the page's DOM (Chromium)", "bare SSE push → DOM", dashboard.latency, atMost(100));
record("dashboard: 5,000-event run, navigation → every panel drawn", "bare page parsing the same snapshot", dashboard.render, atMost(1000));
const weight = dashboard.weight;
record(
  "dashboard: page weight, html + js + css + svg (target 300 KB)",
  "gzip -9 of the same bytes",
  { ...weight, median: weight.median / MB, floor: weight.floor / MB },
  atMost(0.29),
  "MB",
);
record(
  "dashboard server CPU ms in 10 s idle with one tab (1 % = 100 ms)",
  "bare Bun.serve, one SSE stream",
  dashboard.idleCpu,
  atMost(100),
);

const preview = await benchPreview();
record("preview: app ready → reported live (3 healthy answers in a row)", "3 back-to-back GETs", preview.lag, atMost(1000));
record("preview: `loki preview` on a live app (wall)", "loki version (wall)", preview.attach, atMost(200));

const quotes = await planningQuotes();
const dearest = quotes.reduce((a, b) => (b.with / b.without > a.with / a.without ? b : a));
record(
  `planning pass: standard run's quote with it (dearest share of ${quotes.length} standard templates: ${dearest.name})`,
  "the quote without it",
  { median: dearest.with, floor: dearest.without, runs: quotes.length },
  { kind: "ratio-at-most", value: 1 + PLANNING_SHARE },
  "USD",
);
const planning = planningRuns();
record("planning pass: agent calls before a planned run's first build call", "one planning call", planning.calls, atMost(1), "calls");
record("planning pass: run start → first build call (zero-latency agent)", "the same run unplanned", planning.firstBuild, {
  kind: "over-floor-at-most",
  value: 1000,
});

const failover = await benchFailover();
record(
  "failover: first 429 → first request at the next provider (real claude → real codex)",
  "codex alone: spawn → first request",
  failover,
  atMost(FAILOVER_TARGET_MS),
);

const memory = await benchMemory();
for (const row of memory.rows) record(row.name, row.floorIs, row, row.target, row.unit);

const load = (l: number[]) => l.map((n) => n.toFixed(2)).join(" ");
console.log(
  `loki benchmarks (bun ${Bun.version}, ${process.platform}-${process.arch}; load average ${load(loadBefore)} at the start, ${load(loadavg())} at the end)`,
);
console.log("ratio: the work's cost over its floor's (for the throughput, floor MB/s over median MB/s); 1.0× is the floor");
for (const line of renderRows(rows)) console.log(line);
// Recall is unitless and judged against a multiple of its floor (plain token overlap): its own line.
console.log(renderRecall(memory.recall));
for (const note of notes) console.log(note);
if (!recallMeets(memory.recall)) process.exitCode = 1;
const outcome = summary(rows);
if (misses(rows).length > 0) {
  console.error(outcome);
  process.exitCode = 1;
} else console.log(outcome);
