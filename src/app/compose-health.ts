// Waits for a dependency's depends_on condition the way docker compose would, but by loki itself: podman
// without systemd never runs healthchecks and podman-compose 1.0 ignores conditions. service_healthy runs the
// healthcheck test in the container (CMD / CMD-SHELL) until it passes, within a budget from its timing.
import { run } from "../core/exec.ts";
import type { Dependency, Healthcheck } from "./compose-model.ts";
import { ask, type ContainerState, containerState, endedLine, type Runtime, waitNotRunning } from "./container-runtime.ts";

/** Without interval, retries and start_period in the file: how long a dependency may take to become healthy. */
export const DEFAULT_HEALTH_BUDGET_MS = 60_000;
/** A floor: each probe is a `<runtime> exec`, which alone takes a few hundred ms. */
const MIN_BUDGET_MS = 3000;
const MAX_BUDGET_MS = 10 * 60_000;
const COMPLETION_BUDGET_MS = 10 * 60_000;

/** docker's defaults for what the file leaves out, once it states any of the timing. */
const INTERVAL_MS = 30_000;
const RETRIES = 3;
const PROBE_TIMEOUT_MS = 30_000;

/** start_period + retries × interval (as docker would take to call it unhealthy), at least 3 s and at most 10 min. */
export function healthBudgetMs(hc: Healthcheck): number {
  if (hc.intervalMs === null && hc.retries === null && hc.startPeriodMs === null) return DEFAULT_HEALTH_BUDGET_MS;
  const budget = (hc.startPeriodMs ?? 0) + (hc.retries ?? RETRIES) * (hc.intervalMs ?? INTERVAL_MS);
  return Math.min(MAX_BUDGET_MS, Math.max(MIN_BUDGET_MS, budget));
}

/** The HEALTHCHECK the container was created with (an image's own, when the file declares none). */
async function configuredHealthcheck(rt: Runtime, container: string): Promise<Healthcheck | null> {
  const r = await ask(rt, ["inspect", "--format", "{{json .Config.Healthcheck}}", container]);
  if (!r.ok) return null;
  try {
    const hc = JSON.parse(r.stdout) as {
      Test?: string[] | null;
      Interval?: number;
      Timeout?: number;
      Retries?: number;
      StartPeriod?: number;
    } | null;
    const [kind, ...rest] = hc?.Test ?? [];
    const ms = (ns: number | undefined) => (ns ? ns / 1e6 : null);
    const timing = {
      intervalMs: ms(hc?.Interval),
      timeoutMs: ms(hc?.Timeout),
      retries: hc?.Retries || null,
      startPeriodMs: ms(hc?.StartPeriod),
    };
    if (kind === "CMD" && rest.length > 0) return { test: rest, ...timing };
    if (kind === "CMD-SHELL" && rest.length > 0) return { test: ["/bin/sh", "-c", rest.join(" ")], ...timing };
    return null;
  } catch {
    return null;
  }
}

const shown = (argv: string[]) => (argv[0] === "/bin/sh" && argv[1] === "-c" ? (argv[2] ?? "") : argv.join(" "));
const tail = (text: string) => {
  const trimmed = text.trim().replace(/\s+/g, " ");
  return trimmed.length > 300 ? `…${trimmed.slice(-300)}` : trimmed;
};

/** Runs the healthcheck test until it passes (null) or the budget is spent (a sentence with the last output). */
async function waitHealthy(
  rt: Runtime,
  name: string,
  container: string,
  declared: Healthcheck | null,
  signal: AbortSignal,
): Promise<string | null> {
  const hc = declared ?? (await configuredHealthcheck(rt, container));
  if (!hc?.test) {
    rt.log(`loki: ${name} has no healthcheck; treating it as healthy once started\n`);
    return null;
  }
  const started = performance.now();
  const budget = healthBudgetMs(hc);
  const pause = Math.max(200, Math.min(hc.intervalMs ?? 1000, 1000));
  let last = "no probe finished";
  for (;;) {
    const left = budget - (performance.now() - started);
    const probe = await run([rt.bin, "exec", container, ...hc.test], {
      cwd: rt.cwd,
      env: rt.env,
      replaceEnv: true,
      signal,
      ephemeral: true,
      timeoutMs: Math.max(1000, Math.min(hc.timeoutMs ?? PROBE_TIMEOUT_MS, left)),
    });
    if (signal.aborted) return `stopped while waiting for ${name} to become healthy`;
    if (probe.ok) {
      rt.log(`loki: ${name} is healthy (after ${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
      return null;
    }
    const output = tail(`${probe.stdout}\n${probe.stderr}`);
    last = probe.timedOut ? "the probe timed out" : `exit ${probe.exitCode ?? probe.signal}${output ? `: ${output}` : ""}`;
    const state = await containerState(rt, container);
    if (!state?.running) return `${endedLine(name, state)} before it became healthy (healthcheck \`${shown(hc.test)}\`: ${last})`;
    if (performance.now() - started + pause > budget)
      return `${name} did not become healthy within ${Math.round(budget / 1000)} s (healthcheck \`${shown(hc.test)}\`, last: ${last})`;
    await Bun.sleep(pause);
  }
}

/** Waits for a one-shot dependency to exit 0. */
async function waitCompleted(rt: Runtime, name: string, container: string, signal: AbortSignal): Promise<string | null> {
  const timeout = AbortSignal.any([signal, AbortSignal.timeout(COMPLETION_BUDGET_MS)]);
  const state: ContainerState | null = await waitNotRunning(rt, container, timeout);
  if (signal.aborted) return `stopped while waiting for ${name} to complete`;
  if (state?.running) return `${name} did not complete within ${COMPLETION_BUDGET_MS / 60_000} min`;
  if (state?.exitCode === 0) {
    rt.log(`loki: ${name} completed successfully\n`);
    return null;
  }
  return `${endedLine(name, state)}; services that depend on it need it to complete successfully`;
}

/** Waits until `dep` (running in `container`) meets its condition: null, or why it never will. */
export function waitForDependency(
  rt: Runtime,
  dep: Dependency,
  container: string,
  healthcheck: Healthcheck | null,
  signal: AbortSignal,
): Promise<string | null> {
  if (dep.condition === "service_healthy") return waitHealthy(rt, dep.service, container, healthcheck, signal);
  if (dep.condition === "service_completed_successfully") return waitCompleted(rt, dep.service, container, signal);
  return Promise.resolve(null);
}
