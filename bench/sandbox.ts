// `bun bench/sandbox.ts`: what the sandbox adds to every agent call — median wall of a sandboxed
// `true` (policy resolved + bwrap set up + run via core/exec) minus the median of a plain `true`.
// benchSandbox() returns both for bench/run.ts; over SANDBOX_TARGET_MS fails the bench.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { run } from "../src/core/exec.ts";
import { detectSandbox } from "../src/sandbox/detect.ts";
import { sandboxPolicy, standardHidden, standardReadOnly } from "../src/sandbox/policy.ts";
import { sandboxCommand } from "../src/sandbox/wrap.ts";
import { paired } from "./measure.ts";

export const SANDBOX_TARGET_MS = 50;
const RUNS = 40;
const WARMUP = 3;
const ROOT = join(resolve(import.meta.dir, ".tmp"), "sandbox");

export type SandboxBench = { sandboxedMs: number; plainMs: number; overheadMs: number; runs: number; kind: string };

/** A realistic build-role policy: HOME with ~/.loki and a provider's state, a repo with .loki/. */
function world() {
  rmSync(ROOT, { recursive: true, force: true });
  const home = join(ROOT, "home");
  const repo = join(ROOT, "repo");
  const scratch = join(ROOT, "scratch");
  const install = join(ROOT, "loki-install");
  for (const dir of [join(home, ".loki", "heldout"), join(home, ".claude", "local"), join(repo, ".loki", "state"), scratch, install])
    mkdirSync(dir, { recursive: true });
  writeFileSync(join(home, ".claude", "local", "claude"), "#!/bin/sh\n");
  writeFileSync(join(home, ".gitconfig"), "[user]\n\tname = bench\n");
  return sandboxPolicy({
    role: "build",
    repo,
    scratch,
    providerStateDirs: [join(home, ".claude"), join(home, ".claude.json")],
    hidden: standardHidden(home, repo, join(home, ".loki", "runs", "bench")),
    readOnly: [...standardReadOnly(home), install, join(home, ".claude", "local", "claude")],
  });
}

async function timed(fn: () => Promise<{ ok: boolean; stderr: string }>): Promise<number> {
  const started = performance.now();
  const result = await fn();
  const elapsed = performance.now() - started;
  if (!result.ok) throw new Error(`bench sandbox: the command failed: ${result.stderr}`);
  return elapsed;
}

export async function benchSandbox(): Promise<SandboxBench> {
  const available = await detectSandbox();
  if (!available.available) throw new Error(`bench sandbox: no sandbox here: ${available.reason} (${available.install})`);
  const policy = world();
  const plain = () => run(["true"], { cwd: policy.cwd });
  const sandboxed = () => {
    const command = sandboxCommand(policy, ["true"], {}, { bwrap: available.path ?? undefined });
    return run(command.argv, { env: command.env, cwd: policy.cwd });
  };
  // Interleaved, so drift in the machine's load hits both series alike.
  const measured = await paired(
    () => timed(sandboxed),
    () => timed(plain),
    RUNS,
    WARMUP,
  );
  rmSync(ROOT, { recursive: true, force: true });
  const plainMs = measured.floor;
  const sandboxedMs = measured.median;
  return { sandboxedMs, plainMs, overheadMs: sandboxedMs - plainMs, runs: RUNS, kind: available.kind ?? "none" };
}

if (import.meta.main) {
  const b = await benchSandbox();
  const verdict = b.overheadMs <= SANDBOX_TARGET_MS ? "ok" : "OVER TARGET";
  console.log(
    `sandbox (${b.kind}) set-up overhead per call: median ${b.overheadMs.toFixed(1)} ms (sandboxed ${b.sandboxedMs.toFixed(1)} ms, ${(b.sandboxedMs / b.plainMs).toFixed(2)}× the unsandboxed floor of ${b.plainMs.toFixed(1)} ms; ${b.runs} runs each)  target ≤ ${SANDBOX_TARGET_MS} ms  ${verdict}`,
  );
  if (verdict !== "ok") process.exitCode = 1;
}
