// How a run shows itself: one live status line on a TTY, plain lines when not (CI, logs), or the
// event stream as JSON lines with --json. Progress goes to stderr; stdout keeps results.
import type { Detection } from "../core/evidence-schema.ts";
import type { LokiEvent } from "../core/run-schema.ts";
import { color } from "../core/log.ts";
import type { Reporter } from "./execute.ts";

export type ReporterMode = "tty" | "plain" | "json";

export function reporterMode(json: boolean, stderrIsTty: boolean, env: Record<string, string | undefined>): ReporterMode {
  if (json) return "json";
  return stderrIsTty && !env.CI ? "tty" : "plain";
}

/** One formatter per event kind: a new kind without one does not compile; null = deliberately silent. */
type Formatters = { [K in LokiEvent["kind"]]: (e: Extract<LokiEvent, { kind: K }>) => string | null };

const FORMAT: Formatters = {
  run_started: (e) => `${e.resumed ? "resumed" : "started"} run ${e.run_id}: ${e.provider} (${e.model}) on ${e.spec}`,
  iteration_started: (e) => `iteration ${e.iteration}`,
  // The live status line shows the phase; a line per prompt or call start would be noise.
  prompt_built: () => null,
  agent_started: () => null,
  agent_finished: (e) =>
    `  agent ${e.ok ? "finished" : `failed (${e.error_class})`} in ${Math.round(e.duration_ms / 1000)} s, $${e.usd.toFixed(2)} ${e.basis}${e.claimed_done ? ", claims done" : ""}`,
  checkpoint: (e) => (e.changed ? `  checkpoint ${e.sha?.slice(0, 10)}` : "  no changes"),
  gate_result: (e) => `  gate ${e.gate}: ${e.status}${e.status === "pass" ? "" : ` — ${e.reason}`}`,
  ship_gate: (e) => `  ship gate (${e.trigger}): ${e.verdict}${e.reasons.length ? ` — ${e.reasons[0]}` : ""}`,
  // The loop prints its own notice for the 80 % warning and for a pause; resuming shows in the next lines.
  budget_warning: () => null,
  budget_exceeded: (e) => `  budget exhausted: $${e.spent_usd.toFixed(2)} of $${e.limit_usd.toFixed(2)}`,
  retry: (e) => `  ${e.provider} ${e.error_class}: retry ${e.attempt} in ${Math.round(e.wait_ms / 1000)} s`,
  provider_failover: (e) => `  failover ${e.from} → ${e.to} (${e.reason})`,
  model_fallback: (e) => `  ${e.provider} switched model ${e.from} → ${e.to} (${e.reason})`,
  paused: () => null,
  resumed: () => null,
  stalled: (e) => `  no code changes in ${e.count} iterations`,
  warning: (e) => `  warning: ${e.message}`,
  project_detected: (e) => `  grading now runs ${describeDetection(e.detection)}`,
  run_finished: (e) => `finished: ${e.outcome} (exit ${e.exit_code}) — ${e.reason}`,
};

function describeDetection(d: Detection): string {
  const part = (role: string, c: Detection["test"]) => `${role} ${c ? `\`${c.command}\`` : "(none)"}`;
  return [part("test", d.test), part("build", d.build), part("lint", d.lint)].join(", ");
}

export function describeEvent(e: LokiEvent): string | null {
  // TypeScript cannot correlate FORMAT[e.kind] with e's own kind; the mapped type above guarantees it.
  const format = FORMAT[e.kind] as (event: LokiEvent) => string | null;
  return format(e);
}

export function createReporter(
  mode: ReporterMode,
  write: (text: string) => void = (t) => process.stderr.write(t),
  writeOut: (text: string) => void = (t) => process.stdout.write(t),
): Reporter {
  if (mode === "json") {
    return {
      event: (e) => writeOut(`${JSON.stringify(e)}\n`),
      notice: (l) => write(`${l}\n`),
      warn: (l) => write(`warning: ${l}\n`),
      close: () => {},
    };
  }
  if (mode === "plain") {
    return {
      event: (e) => {
        const line = describeEvent(e);
        if (line) write(`${line}\n`);
      },
      notice: (l) => write(`${l}\n`),
      warn: (l) => write(`warning: ${l}\n`),
      close: () => {},
    };
  }
  return liveReporter(write);
}

/** A status line redrawn in place; messages print above it. */
function liveReporter(write: (text: string) => void): Reporter {
  const started = Date.now();
  let status = { iteration: 0, phase: "starting", spent: 0, limit: null as number | null, gates: "" };
  const draw = () => {
    const secs = Math.round((Date.now() - started) / 1000);
    const clock = `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, "0")}`;
    const money = `$${status.spent.toFixed(2)}${status.limit === null ? "" : `/$${status.limit.toFixed(2)}`}`;
    write(
      `\r\x1b[2K${color.cyan("loki")} iter ${status.iteration} · ${status.phase} · ${clock} · ${money}${status.gates ? ` · ${status.gates}` : ""}`,
    );
  };
  const above = (line: string) => {
    write(`\r\x1b[2K${line}\n`);
    draw();
  };
  const timer = setInterval(draw, 1000);
  timer.unref?.();
  return {
    event: (e) => {
      if (e.kind === "run_started") status.limit = e.budget_usd;
      if (e.kind === "iteration_started") status = { ...status, iteration: e.iteration, phase: "reason" };
      if (e.kind === "agent_started") status.phase = `act (${e.provider})`;
      if (e.kind === "agent_finished") status = { ...status, phase: "verify", spent: status.spent + e.usd };
      if (e.kind === "gate_result") status.gates = `${e.gate} ${e.status}`;
      if (e.kind === "budget_warning" || e.kind === "budget_exceeded") status.limit = e.limit_usd;
      const line = describeEvent(e);
      if (line && e.kind !== "iteration_started") above(line);
      else draw();
    },
    notice: above,
    warn: (l) => above(`${color.yellow("warning:")} ${l}`),
    close: () => {
      clearInterval(timer);
      write("\r\x1b[2K");
    },
  };
}
