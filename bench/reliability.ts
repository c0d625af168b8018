// `bun run reliability [--n N] [--seed S] [--keep]`: kill -9 a real run (the scripted fake agent, a
// throwaway repo) at N moments — after k events, or held before a finish step — then `loki resume`
// until it finishes, and hold it to an uninterrupted reference run: the same outcome (with its proof,
// each iteration once in history), every JSON/JSONL file under .loki readable, no process left in the
// repo. Not a speed benchmark (not part of `bun run bench`). Exits 1 when any trial is off.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { mulberry32 } from "./random.ts";

const ROOT = resolve(import.meta.dir, "..");
const CLI = join(ROOT, "src", "cli.ts");
const AGENTS = join(ROOT, "tests", "fixtures", "agents");
const FINISH_STEPS = ["proof", "state", "completion", "event"] as const;
/** Resumes a trial may take before it counts as not finishing. */
const MAX_RESUMES = 3;
const RUN_TIMEOUT_MS = 180_000;

const PRD = `# Math helpers

## Acceptance criteria
- [ ] add(a, b) returns the sum of two numbers
- [ ] sub(a, b) returns the difference of two numbers
- [ ] math.js exports both functions as ES modules
- [ ] every function has a unit test run by npm test
`;
/** A test that takes a moment: a gate's \`npm test\` is a window a kill often lands in. */
const SLOW_TEST = `import { test } from "node:test";\ntest("takes a moment", () => new Promise((resolve) => setTimeout(resolve, 400)));\n`;

type Plan = { kind: "events"; after: number } | { kind: "hold"; step: (typeof FINISH_STEPS)[number] };
type Ending = { outcome: string | null; exitCode: number; proof: boolean; repeated: string[] };
/** `said`: what each resume that left the run unfinished said last. */
type Trial = Ending & { plan: Plan; killed: boolean; resumes: number; said: string[]; corrupt: string[]; orphans: string[] };

function options(argv: string[]) {
  const value = (flag: string) => {
    const at = argv.indexOf(flag);
    return at === -1 ? undefined : argv[at + 1];
  };
  const n = Number(value("--n") ?? "10");
  if (!Number.isInteger(n) || n < 1) throw new Error(`--n must be a positive integer, not ${value("--n")}`);
  const seed = Number(value("--seed") ?? Math.floor(Math.random() * 2 ** 31));
  return { n, seed, keep: argv.includes("--keep") };
}

const random = mulberry32;

/** A hermetic environment like the tests' (tests/preload.ts): throwaway HOME, no credentials, the fake agent first on PATH. */
function baseEnv(home: string): Record<string, string> {
  const secret =
    /(_TOKEN|_API_KEY|_SECRET|_PASSWORD)$|^(GH_|GITHUB_|GITLAB_|JIRA_|AZURE_|ANTHROPIC_|OPENAI_|CLAUDE_|CODEX_|LOKI_)|^CI_API_V4_URL$/;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !secret.test(name)) env[name] = value;
  const gitconfig = join(home, ".gitconfig");
  writeFileSync(
    gitconfig,
    "[user]\n\tname = loki-bench\n\temail = bench@loki.invalid\n[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n",
  );
  return {
    ...env,
    HOME: home,
    USERPROFILE: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_DATA_HOME: join(home, ".local", "share"),
    XDG_STATE_HOME: join(home, ".local", "state"),
    GIT_CONFIG_GLOBAL: gitconfig,
    GIT_CONFIG_NOSYSTEM: "1",
    NO_COLOR: "1",
    TZ: "UTC",
    CI: "true",
    PATH: `${AGENTS}:${process.env.PATH ?? ""}`,
    FAKE_BUN: process.execPath,
    FAKE_AGENT_SCENARIO: "honest",
    ANTHROPIC_API_KEY: "test-key",
  };
}

/** A fresh repository with the fixture committed, and the fake agent's own memory beside it. */
function makeRepo(work: string, name: string, env: Record<string, string>): { repo: string; env: Record<string, string> } {
  const repo = join(work, name);
  mkdirSync(repo, { recursive: true });
  const files: Record<string, string> = {
    "package.json": `${JSON.stringify({ name: "math", type: "module", private: true, scripts: { test: "node --test" } }, null, 2)}\n`,
    "prd.md": PRD,
    "loki.yaml": "backoff_base_seconds: 0.01\nbackoff_max_seconds: 0.05\nallow_root: true\n",
    ".gitignore": "node_modules/\n",
    "slow.test.js": SLOW_TEST,
  };
  for (const [file, text] of Object.entries(files)) writeFileSync(join(repo, file), text);
  for (const args of [
    ["init", "-q"],
    ["add", "-A"],
    ["commit", "-qm", "initial"],
  ]) {
    const result = Bun.spawnSync(["git", ...args], { cwd: repo, env, stdin: "ignore" });
    if (result.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr.toString()}`);
  }
  // The sandbox lets a provider CLI write only its own state dir: the fake agent's memory lives there.
  const state = join(env.HOME ?? work, ".claude", `fake-agent-${name}`);
  mkdirSync(state, { recursive: true });
  return { repo, env: { ...env, FAKE_AGENT_STATE: state } };
}

function spawnLoki(repo: string, args: string[], env: Record<string, string>) {
  return Bun.spawn([process.execPath, CLI, ...args], { cwd: repo, env, stdin: "ignore", stdout: "ignore", stderr: "ignore" });
}

/** Runs loki to its end; the exit code, and the tail of what it said when that was not a run's outcome. */
async function runLoki(repo: string, args: string[], env: Record<string, string>): Promise<{ code: number; said: string }> {
  const proc = Bun.spawn([process.execPath, CLI, ...args], { cwd: repo, env, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), RUN_TIMEOUT_MS);
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, said: stderr.trim().split("\n").slice(-3).join(" / ") };
}

const lokiFile = (repo: string, ...parts: string[]) => join(repo, ".loki", ...parts);

function readJsonOr(path: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function eventCount(repo: string): number {
  try {
    return readFileSync(lokiFile(repo, "events.jsonl"), "utf8").split("\n").filter(Boolean).length;
  } catch {
    return 0;
  }
}

/** How the run stands: its outcome, whether its proof matches its summary, iterations committed twice. */
function ending(repo: string, exitCode: number): Ending {
  const state = readJsonOr(lokiFile(repo, "state", "orchestrator.json"));
  const completion = readJsonOr(lokiFile(repo, "state", "completion.json"));
  const runId = typeof state?.run_id === "string" ? state.run_id : "";
  const proof = readJsonOr(lokiFile(repo, "proofs", runId, "proof.json")) as { payload?: { run?: { finished_at?: string } } } | null;
  const subjects = Bun.spawnSync(["git", "log", "--format=%s"], { cwd: repo }).stdout.toString().trim().split("\n");
  const checkpoints = subjects.filter((s) => s.startsWith("loki: iteration "));
  return {
    outcome: state?.outcome === null || state?.outcome === undefined ? null : String(state.outcome),
    exitCode,
    proof: completion !== null && proof?.payload?.run?.finished_at === completion.finished_at,
    repeated: [...new Set(checkpoints.filter((s, i) => checkpoints.indexOf(s) !== i))],
  };
}

/** The run's end is whole: its state says finished, its proof matches its summary, and run_finished is its last event. */
function finished(repo: string): boolean {
  const now = ending(repo, 0);
  const last = existsSync(lokiFile(repo, "events.jsonl"))
    ? (readFileSync(lokiFile(repo, "events.jsonl"), "utf8").trimEnd().split("\n").at(-1) ?? "")
    : "";
  return now.outcome !== null && now.proof && last.includes('"run_finished"');
}

/** Every .json and .jsonl file under .loki that does not parse (a .jsonl line by line). */
function corruptFiles(repo: string): string[] {
  const dir = join(repo, ".loki");
  if (!existsSync(dir)) return [];
  const bad: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.jsonl?$/.test(entry.name)) continue;
    const path = join(entry.parentPath, entry.name);
    const text = readFileSync(path, "utf8");
    try {
      if (entry.name.endsWith(".jsonl")) for (const line of text.split("\n").filter((l) => l.trim() !== "")) JSON.parse(line);
      else JSON.parse(text);
    } catch {
      bad.push(path.slice(repo.length + 1));
    }
  }
  return bad;
}

/** Live processes (but this one) whose working directory or command line points into `dir`. */
function processesIn(dir: string): { pid: number; what: string }[] {
  const roots = [...new Set([dir, realpathSync(dir)])];
  const found: { pid: number; what: string }[] = [];
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!/^\d+$/.test(name) || pid === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      let cwd = "";
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {}
      if (roots.some((root) => cwd === root || cwd.startsWith(`${root}/`) || cmdline.includes(root)))
        found.push({ pid, what: cmdline.slice(0, 120) });
    } catch {}
  }
  return found;
}

async function reference(work: string, env: Record<string, string>): Promise<Ending & { events: number }> {
  const { repo, env: runEnv } = makeRepo(work, "reference", env);
  const { code } = await runLoki(repo, ["start", "prd.md"], runEnv);
  return { ...ending(repo, code), events: eventCount(repo) };
}

async function trial(work: string, index: number, plan: Plan, env: Record<string, string>): Promise<Trial> {
  const { repo, env: runEnv } = makeRepo(work, `trial-${index}`, env);
  const held = lokiFile(repo, "tmp", "held-at");
  const proc = spawnLoki(
    repo,
    ["start", "prd.md"],
    plan.kind === "hold" ? { ...runEnv, LOKI_TEST_HOLD_AT: `finish:${plan.step}` } : runEnv,
  );
  let exited: number | null = null;
  void proc.exited.then((code) => {
    exited = code;
  });
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  const due = () => (plan.kind === "hold" ? existsSync(held) : eventCount(repo) >= plan.after);
  while (exited === null && !due() && Date.now() < deadline) await Bun.sleep(10);
  const killed = exited === null;
  if (killed) proc.kill("SIGKILL");
  let code = await proc.exited;
  rmSync(held, { force: true });
  let resumes = 0;
  const said: string[] = [];
  while (!finished(repo) && resumes < MAX_RESUMES) {
    resumes += 1;
    const resumed = await runLoki(repo, ["resume"], runEnv);
    code = resumed.code;
    if (!finished(repo)) said.push(`resume ${resumes} exited ${code}: ${resumed.said}`);
  }
  // A run killed after it had finished (the kill came as it exited) exits as its summary says.
  if (killed && resumes === 0) code = Number(readJsonOr(lokiFile(repo, "state", "completion.json"))?.exit_code ?? code);
  const orphans = processesIn(repo);
  for (const orphan of orphans) process.kill(orphan.pid, "SIGKILL");
  return {
    ...ending(repo, code),
    plan,
    killed,
    resumes,
    said,
    corrupt: corruptFiles(repo),
    orphans: orphans.map((o) => `${o.what} (pid ${o.pid})`),
  };
}

function describePlan(plan: Plan): string {
  return plan.kind === "hold" ? `held before finish step "${plan.step}"` : `after ${plan.after} events`;
}

async function main(): Promise<number> {
  const { n, seed, keep } = options(process.argv.slice(2));
  const work = mkdtempSync(join(tmpdir(), "loki-reliability-"));
  const home = join(work, "home");
  mkdirSync(home, { recursive: true });
  const env = baseEnv(home);
  const next = random(seed);
  console.error(`reliability: ${n} trials, seed ${seed}, in ${work}`);
  try {
    const ref = await reference(work, env);
    console.error(`reference: ${ref.outcome} (exit ${ref.exitCode}), ${ref.events} events`);
    if (ref.outcome === null || !ref.proof) throw new Error("the reference run did not finish with a proof");
    let same = 0;
    let corrupt = 0;
    let orphans = 0;
    for (let i = 0; i < n; i++) {
      // Odd trials are held before a finish step (in turn), even ones killed after a random number of events.
      const plan: Plan =
        i % 2 === 1
          ? { kind: "hold", step: FINISH_STEPS[Math.floor(i / 2) % FINISH_STEPS.length] ?? "proof" }
          : { kind: "events", after: 1 + Math.floor(next() * Math.max(1, ref.events - 1)) };
      const t = await trial(work, i, plan, env);
      const ok = t.outcome === ref.outcome && t.exitCode === ref.exitCode && t.proof && t.repeated.length === 0;
      same += ok ? 1 : 0;
      corrupt += t.corrupt.length;
      orphans += t.orphans.length;
      const problems = [
        ...(t.outcome !== ref.outcome || t.exitCode !== ref.exitCode ? [`ended ${t.outcome} (exit ${t.exitCode})`] : []),
        ...(t.proof ? [] : ["no proof matching its summary"]),
        ...t.repeated.map((s) => `"${s}" committed twice`),
        ...t.corrupt.map((f) => `corrupt ${f}`),
        ...t.orphans.map((o) => `orphan ${o}`),
      ];
      console.error(
        `trial ${i + 1}: ${t.killed ? `killed ${describePlan(plan)}` : `finished before ${describePlan(plan)}`}, ${t.resumes} resume${t.resumes === 1 ? "" : "s"}: ${problems.length === 0 ? `${t.outcome}, as the reference` : problems.join("; ")}`,
      );
      for (const line of t.said) console.error(`  ${line}`);
    }
    console.log(`${same}/${n} resumed to the same outcome, ${corrupt} corrupt files, ${orphans} orphans`);
    return same === n && corrupt === 0 && orphans === 0 ? 0 : 1;
  } finally {
    if (!keep) rmSync(work, { recursive: true, force: true });
  }
}

process.exitCode = await main();
