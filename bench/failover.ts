// `bun bench/failover.ts`: how fast a rate-limited run moves on. The real claude CLI against a fake API
// that answers 429 to everything, codex next in the chain: the time from the first 429 to codex's first
// request, against its floor — codex alone, from its spawn to its first request. Loopback only.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startFakeAnthropic } from "../tests/helpers/fake-anthropic.ts";
import { startFakeOpenAI } from "../tests/helpers/fake-openai.ts";
import { type Measured, median } from "./measure.ts";

const ROOT = resolve(import.meta.dir, "..");
const BIN = join(ROOT, "node_modules", ".bin");
const WORK = join(tmpdir(), "loki-bench-failover");
/** The switch must take at most this long (the bound; Claude Code's own retries take minutes). */
export const FAILOVER_TARGET_MS = 15_000;
const RUNS = 3;
const GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "-c", "commit.gpgsign=false"];

function hermeticEnv(home: string, extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env))
    if (value !== undefined && !/proxy$|^ANTHROPIC_|^OPENAI_/i.test(name)) env[name] = value;
  return {
    ...env,
    HOME: home,
    CODEX_HOME: join(home, ".codex"),
    PATH: `${BIN}:${process.env.PATH}`,
    CI: "true",
    NO_COLOR: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
    ...extra,
  };
}

/** One `loki start` that fails over: ms from claude's first 429 to codex's first request. */
async function switchOnce(n: number): Promise<number> {
  let first429 = 0;
  let firstCodex = 0;
  await using anthropic = await startFakeAnthropic(() => {
    first429 ||= performance.now();
    return { status: 429, message: "rate limited" };
  });
  await using openai = await startFakeOpenAI(() => {
    firstCodex ||= performance.now();
    return { status: 500, message: "bench: stop here" };
  });
  const dir = join(WORK, `run-${n}`);
  rmSync(dir, { recursive: true, force: true });
  const repo = join(dir, "repo");
  const home = join(dir, "home");
  mkdirSync(repo, { recursive: true });
  mkdirSync(join(home, ".codex"), { recursive: true });
  writeFileSync(join(repo, "prd.md"), "# Bench\n\n## Acceptance criteria\n- [ ] add(a, b) returns the sum\n- [ ] it has a test\n");
  const yaml = `allow_root: true\ncouncil: false\nmax_iterations: 1\nmax_retries: 0\nfailover: [codex]\nproviders:\n  claude:\n    base_url: ${anthropic.url}\n    api_key_env: BENCH_KEY\n  codex:\n    base_url: ${openai.url}/v1\n    api_key_env: BENCH_KEY\n    model: fake-model\n`;
  writeFileSync(join(repo, "loki.yaml"), yaml);
  for (const args of [
    ["init", "-q"],
    ["add", "-A"],
    ["commit", "-qm", "bench"],
  ])
    Bun.spawnSync([...GIT, ...args], { cwd: repo });
  const proc = Bun.spawn([process.execPath, join(ROOT, "src", "cli.ts"), "start", "prd.md"], {
    cwd: repo,
    env: hermeticEnv(home, { BENCH_KEY: "bench" }),
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
  });
  const stderr = await new Response(proc.stderr).text();
  await proc.exited;
  if (!first429 || !firstCodex) throw new Error(`bench failover run ${n}: no switch (${stderr.slice(-400)})`);
  return firstCodex - first429;
}

/** codex alone, as the failover spawns it: ms from its spawn to its first request. */
async function codexAlone(n: number): Promise<number> {
  let first = 0;
  await using openai = await startFakeOpenAI(() => {
    first ||= performance.now();
    return { status: 500, message: "bench: stop here" };
  });
  const home = join(WORK, `codex-${n}`);
  mkdirSync(join(home, ".codex"), { recursive: true });
  const provider = `{name="loki",base_url="${openai.url}/v1",env_key="BENCH_KEY",wire_api="responses",request_max_retries=0,stream_max_retries=0}`;
  const argv = [
    join(BIN, "codex"),
    "exec",
    "--json",
    "--skip-git-repo-check",
    "-m",
    "fake-model",
    "-c",
    'model_provider="loki"',
    "-c",
    `model_providers.loki=${provider}`,
    "-c",
    "analytics.enabled=false",
    "--disable",
    "plugins",
    "-",
  ];
  const started = performance.now();
  const proc = Bun.spawn(argv, {
    cwd: home,
    env: hermeticEnv(home, { BENCH_KEY: "bench" }),
    stdin: new TextEncoder().encode("hi"),
    stdout: "ignore",
    stderr: "ignore",
  });
  await proc.exited;
  if (!first) throw new Error("bench failover floor: codex made no request");
  return first - started;
}

/** The switch time over RUNS runs, and codex's own start-to-first-request as the floor, interleaved. */
export async function benchFailover(): Promise<Measured> {
  const work: number[] = [];
  const floor: number[] = [];
  for (let n = 0; n < RUNS; n++) {
    floor.push(await codexAlone(n));
    work.push(await switchOnce(n));
  }
  rmSync(WORK, { recursive: true, force: true });
  return { median: median(work), floor: median(floor), runs: RUNS };
}

if (import.meta.main) console.log(await benchFailover());
