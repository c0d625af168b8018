// `bun bench/loop.ts`: loki's own overhead per iteration (prompt, checkpoint, gates, state, events)
// with a zero-latency fake agent on a 1,000-file repo over three runs, against its floor (a plain git
// commit of the same one-file change, timed before and after each run); and the size .loki/ reaches in 50 iterations.
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { LokiEvent } from "../src/core/run-schema.ts";
import { readJsonl } from "../src/core/workspace.ts";
import { execWall, type Measured, median } from "./measure.ts";

const ROOT = resolve(import.meta.dir, "..");
// Outside this checkout: loki looks for a provider CLI in node_modules/.bin above the repository
// first, and would find the real claude of loki's own devDependencies instead of the fake on PATH.
const WORK = join(tmpdir(), "loki-bench-loop");
export const ITERATIONS = 50;
/** Checkpoint commits timed for the floor, half before the run and half after it, each half after one warm-up. */
const FLOOR_RUNS = 20;
const GIT = ["git", "-c", "user.name=loki-bench", "-c", "user.email=bench@loki.invalid", "-c", "commit.gpgsign=false"];

/** A `claude` that answers instantly: one changed file (`stepFile`) per call, never claims done. Each call
 *  appends its own start and end (epoch ms) to .bench-agent: the call's time outside them is loki's sandbox. */
const fakeAgent = (stepFile: string) => `#!/bin/sh
case "$1" in --version) echo "2.1.330 (Claude Code)"; exit 0;; --help) echo "  -p, --print  --output-format  --verbose  --model  --append-system-prompt"; exit 0;; esac
t0=$(date +%s%3N)
n=$(cat .bench-n 2>/dev/null || echo 0); n=$((n+1)); echo $n > .bench-n
echo "export const step = $n;" > ${stepFile}
echo '{"type":"result","subtype":"success","is_error":false,"result":"step","model_usage_since_last_result":{"claude-sonnet-5-5":{"inputTokens":10,"outputTokens":1,"costUSD":0.0001}}}'
echo "$t0 $(date +%s%3N)" >> .bench-agent
`;

/**
 * A fresh `<work>/repo` committed with a PRD, `config` as loki.yaml and whatever `files` writes, and
 * `<work>/bin/claude`, the zero-latency fake agent writing `stepFile`. Shared by the loop and dashboard benches.
 */
export function benchRepo(work: string, options: { stepFile: string; config: string; files?: (repo: string) => void }) {
  rmSync(work, { recursive: true, force: true });
  const repo = join(work, "repo");
  const bin = join(work, "bin");
  mkdirSync(repo, { recursive: true });
  mkdirSync(bin, { recursive: true });
  options.files?.(repo);
  writeFileSync(join(repo, "prd.md"), "# Bench\n\n## Acceptance criteria\n- [ ] step increments\n- [ ] nothing else changes\n");
  writeFileSync(join(repo, "loki.yaml"), options.config);
  writeFileSync(join(repo, ".gitignore"), ".bench-n\n.bench-agent\n");
  writeFileSync(join(bin, "claude"), fakeAgent(options.stepFile));
  chmodSync(join(bin, "claude"), 0o755);
  for (const args of [
    ["init", "-q"],
    ["add", "-A"],
    ["commit", "-qm", "bench"],
  ])
    Bun.spawnSync([...GIT, ...args], { cwd: repo });
  return { repo, bin };
}

let bundled: string[] | undefined;

/**
 * loki as the package runs it (bin/loki.js once installed): the bytecode bundle `npm pack` builds,
 * dist/cli/cli.js, on the Bun the package installs, with the launcher's runtime flags. Built afresh once
 * per bench process, so that it is this checkout's code. (From the sources, every agent call's integrity
 * check also walks src/, about 330 files: a cost only a checkout pays.)
 */
function packageCli(): string[] {
  if (bundled) return bundled;
  const build = Bun.spawnSync([process.execPath, "run", "build:cli"], { cwd: ROOT, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  if (build.exitCode !== 0) throw new Error(`bun run build:cli failed: ${build.stderr.toString()}`);
  bundled = [process.execPath, "--no-env-file", `--config=${join(ROOT, "bin", "loki.bunfig.toml")}`, join(ROOT, "dist", "cli", "cli.js")];
  return bundled;
}

/** `loki start prd.md` as the package runs it (packageCli) in a bench repo, with `bin` (the fake agent) first on PATH, no model traffic. */
export function benchStart(repo: string, bin: string) {
  const env = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    ANTHROPIC_API_KEY: "bench",
    ANTHROPIC_BASE_URL: "http://127.0.0.1:9",
    CI: "true",
    NO_COLOR: "1",
  };
  return Bun.spawnSync([...packageCli(), "start", "prd.md"], {
    cwd: repo,
    env,
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
}

function setup(): string {
  return benchRepo(WORK, {
    stepFile: "src/step.js",
    config: `allow_root: true\nstagnation_limit: 100\nmax_iterations: ${ITERATIONS}\n`,
    files: (repo) => {
      for (let i = 0; i < 1000; i++) {
        const dir = join(repo, "src", `m${Math.floor(i / 50)}`);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, `f${i}.js`), `export const v${i} = ${i};\n`.repeat(20));
      }
    },
  }).repo;
}

function sizeOf(dir: string, skip: (path: string) => boolean): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isFile() && !skip(path)) total += statSync(path).size;
  }
  return total;
}

/**
 * The floor of an iteration: what must happen at the least once the agent has changed a file —
 * recording that change in git (`git add -A` then `git commit`), as loki's checkpoint does, with
 * nothing else. Timed in the loop's repository on the same one-file change, `runs` times after one
 * warm-up; half the samples are taken before the run and half after it, so that a change in the
 * machine's load during the run weighs on the floor as on the run.
 */
async function checkpointFloor(repo: string, runs: number, label: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    writeFileSync(join(repo, "src", "step.js"), `export const step = "floor ${label} ${i}";\n`);
    const started = performance.now();
    await execWall(["git", "add", "-A", "--", "."], repo);
    await execWall([...GIT, "commit", "--quiet", "--no-verify", "-m", `floor ${label} ${i}`], repo);
    if (i > 0) times.push(performance.now() - started);
  }
  return times;
}

/** Per agent call, its time outside the agent process itself (.bench-agent): the sandbox's start and end, the spawn. */
function outsideAgent(repo: string, events: LokiEvent[]): number[] {
  const own = readFileSync(join(repo, ".bench-agent"), "utf8")
    .trim()
    .split("\n")
    .map((line) => line.split(" ").map(Number));
  const calls = events.filter((e) => e.kind === "agent_finished");
  return calls.flatMap((call, i) => {
    const [start, end] = own[i] ?? [];
    return call.kind === "agent_finished" && start !== undefined && end !== undefined ? [call.duration_ms - (end - start)] : [];
  });
}

/** One run's per-iteration overheads and the floor samples around it (`runLoop`), and what the run left. */
async function oneRound(): Promise<{
  overheads: number[];
  floors: number[];
  sandbox: number[];
  lokiBytes: number;
  eventBytes: number;
  prompts: [number, number];
}> {
  const repo = setup();
  const before = await checkpointFloor(repo, FLOOR_RUNS / 2, "before");
  const result = benchStart(repo, join(WORK, "bin"));
  if (result.exitCode !== 1) throw new Error(`bench run exited ${result.exitCode}: ${result.stderr.toString().slice(-500)}`);
  const eventsPath = join(repo, ".loki", "events.jsonl");
  const events = readJsonl(eventsPath, LokiEvent);
  const starts = events.filter((e) => e.kind === "iteration_started");
  const finished = events.find((e) => e.kind === "run_finished");
  // Per iteration: from its start to the next one's (or the run's end), minus the agent's own time.
  const overheads = starts.map((start, i) => {
    const end = Date.parse((starts[i + 1] ?? finished)?.ts ?? "");
    const agent = events.find((e) => e.kind === "agent_finished" && e.iteration === start.iteration);
    return end - Date.parse(start.ts) - (agent?.kind === "agent_finished" ? agent.duration_ms : 0);
  });
  // The prompt of the last iteration against iteration 2's, the first to carry the same feedback (the run
  // fails the same way every time): what the learnings, past failures and checks add as iterations pile up.
  const prompt = (n: number) => statSync(join(repo, ".loki", "iterations", String(n), "prompt.md")).size;
  return {
    overheads,
    floors: [...before, ...(await checkpointFloor(repo, FLOOR_RUNS / 2, "after"))],
    sandbox: outsideAgent(repo, events),
    lokiBytes: sizeOf(join(repo, ".loki"), (path) => path.endsWith("agent.jsonl")),
    eventBytes: statSync(eventsPath).size,
    prompts: [prompt(starts.length), prompt(2)],
  };
}

/** Runs whose iterations and floor samples are pooled: the floor (a few hundred ms of commits each side of
 *  a run) and the run see this machine's load swings alike only when both are sampled over several runs. */
const ROUNDS = 3;

/**
 * Median per-iteration overhead over ROUNDS runs' iterations against the median of the checkpoint floor
 * samples taken around each run; `.loki/` bytes (without agent transcripts) against the bytes of
 * events.jsonl, the events as written, and the prompts, from the last run.
 */
export async function benchLoop(): Promise<{ overhead: Measured; lokiBytes: Measured; promptBytes: Measured; sandboxMs: number }> {
  const rounds = [];
  for (let i = 0; i < ROUNDS; i++) rounds.push(await oneRound());
  const last = rounds[rounds.length - 1] as Awaited<ReturnType<typeof oneRound>>;
  const overheads = rounds.flatMap((r) => r.overheads);
  return {
    sandboxMs: median(rounds.flatMap((r) => r.sandbox)),
    overhead: { median: median(overheads), floor: median(rounds.flatMap((r) => r.floors)), runs: overheads.length },
    lokiBytes: { median: last.lokiBytes, floor: last.eventBytes, runs: 1 },
    promptBytes: { median: last.prompts[0], floor: last.prompts[1], runs: 1 },
  };
}

if (import.meta.main) {
  const { overhead, lokiBytes, promptBytes, sandboxMs } = await benchLoop();
  console.log(
    `loop overhead: median ${overhead.median.toFixed(1)} ms per iteration over ${overhead.runs} iterations (${ROUNDS} runs), floor (git add + commit) ${overhead.floor.toFixed(1)} ms, ${(overhead.median / overhead.floor).toFixed(1)}×`,
  );
  console.log(
    `agent call outside the agent itself (sandbox start and end, spawn; counted as the agent's, not above): median ${sandboxMs.toFixed(1)} ms`,
  );
  console.log(`prompt: iteration ${ITERATIONS} ${promptBytes.median} bytes, iteration 2 ${promptBytes.floor} bytes`);
  console.log(
    `.loki/: ${(lokiBytes.median / 1024).toFixed(0)} KB without transcripts, events.jsonl ${(lokiBytes.floor / 1024).toFixed(0)} KB, ${(lokiBytes.median / lokiBytes.floor).toFixed(1)}×`,
  );
}
