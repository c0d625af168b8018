// How a run shows itself on stderr: on a TTY one live status line redrawn in place with messages
// above it; elsewhere (CI, logs, --bg) plain lines without a single control code; in both one
// compact line per iteration (--verbose: every event's line too; --quiet: nothing). --json: events as
// JSON lines on stdout, whatever the verbosity.
import type { Detection } from "../core/evidence-schema.ts";
import type { LokiEvent, OrchestratorState, Phase } from "../core/run-schema.ts";
import { color } from "../core/log.ts";
import type { RunStatus } from "../core/session-schema.ts";
import type { Reporter } from "./execute.ts";
import { iterationLog, type RunTotals } from "./iteration-summary.ts";
import { formatLiveLine, livePhase } from "./live-line.ts";
import { describeToolCall, oneLine, stripControls } from "./terminal-text.ts";
import { writeErr, writeOut as writeStdout } from "../core/stdio.ts";

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
    `  agent ${e.ok ? "finished" : e.error_class === "stopped" ? "stopped" : `failed (${e.error_class})`} in ${Math.round(e.duration_ms / 1000)} s, $${e.usd.toFixed(2)} ${e.basis}${e.claimed_done ? ", claims done" : ""}`,
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
  memory_learned: (e) => `  learned ${e.id} from the fix of: ${e.symptom}${e.global ? " (kept for your other projects too)" : ""}`,
  // The live status line shows the phase; the timeline is the dashboard's.
  phase_finished: () => null,
  model_switched: (e) => `  model ${e.from} → ${e.to} from this iteration on (asked by ${e.by})`,
  budget_raised: (e) => `  budget cap ${e.from === null ? "none" : `$${e.from.toFixed(2)}`} → $${e.to.toFixed(2)} (asked by ${e.by})`,
  plan_made: (e) =>
    e.source === "checklist"
      ? null
      : `planned ${e.tasks} task${e.tasks === 1 ? "" : "s"}${e.source === "fallback" ? ` (no usable plan: ${e.note ?? "fallback"}; working the checklist as one task)` : ""}${e.architecture ? `; architecture note ${e.architecture}` : ""}`,
  task_started: (e) => (e.task === "checklist" ? null : `  task ${e.task}: ${e.title}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ""}`),
  task_finished: (e) =>
    e.task === "checklist" || e.outcome === "retry"
      ? null
      : `  task ${e.task} ${e.outcome === "done" ? "done" : `dead-lettered after ${e.attempts} failed attempts`}`,
  replanned: (e) => `  ship gate findings became ${e.tasks.length} new task${e.tasks.length === 1 ? "" : "s"}: ${e.tasks.join(", ")}`,
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

/** Lines the compact iteration line stands for: printed only with --verbose. */
const DETAIL: ReadonlySet<LokiEvent["kind"]> = new Set(["iteration_started", "agent_finished", "checkpoint", "gate_result"]);

/** The line an event prints in this mode (one line: reasons and messages may hold the agent's text), or null. */
export function eventLine(e: LokiEvent, verbose: boolean): string | null {
  const line = verbose || !DETAIL.has(e.kind) ? describeEvent(e) : null;
  return line === null ? null : `${line.startsWith("  ") ? "  " : ""}${oneLine(line)}`;
}

export type ReporterOptions = {
  verbose?: boolean;
  /** --quiet: no progress, notices or warnings on stderr (errors are program.ts's); --json events still stream. */
  quiet?: boolean;
  /** stderr by default. */
  write?: (text: string) => void;
  /** stdout by default (--json). */
  writeOut?: (text: string) => void;
  /** The terminal's width now (it may be resized mid-run). */
  columns?: () => number;
  now?: () => number;
};

export function createReporter(mode: ReporterMode, options: ReporterOptions = {}): Reporter {
  const write = options.write ?? writeErr;
  const quiet = options.quiet === true;
  if (mode === "json") {
    const writeOut = options.writeOut ?? writeStdout;
    return {
      event: (e) => writeOut(`${JSON.stringify(e)}\n`),
      notice: (l) => {
        if (!quiet) write(`${l}\n`);
      },
      warn: (l) => {
        if (!quiet) write(`warning: ${l}\n`);
      },
      close: () => {},
    };
  }
  if (quiet) return { event: () => {}, notice: () => {}, warn: () => {}, close: () => {} };
  const settings = { verbose: options.verbose === true, write, now: options.now ?? Date.now };
  if (mode === "plain") return plainReporter(settings);
  return liveReporter({ ...settings, columns: options.columns ?? (() => process.stderr.columns || 80) });
}

type Settings = { verbose: boolean; write: (text: string) => void; now: () => number };

/** Plain lines: every byte printable (stripControls), nothing redrawn. */
function plainReporter(o: Settings): Reporter {
  const facts = runFacts(o.now);
  const print = (line: string) => o.write(`${stripControls(line)}\n`);
  const log = iterationLog((lines) => lines.forEach(print), facts.totals, o.verbose);
  return {
    event: (e) => {
      facts.event(e);
      log.event(e);
      const line = eventLine(e, o.verbose);
      if (line) print(line);
    },
    notice: print,
    warn: (l) => print(`warning: ${l}`),
    close: log.close,
    follow: facts.follow,
  };
}

/** The status line redrawn in place (never wider than the terminal); messages print above it. */
function liveReporter(o: Settings & { columns: () => number }): Reporter {
  const facts = runFacts(o.now);
  let activity: string | null = null;
  let backoffUntil: number | null = null;
  let root: string | undefined;
  // The line on screen now ("" once cleared): an unchanged line is not written again.
  let shown = "";
  const draw = () => {
    const run = facts.snapshot();
    const backoffLeftMs = backoffUntil === null ? null : backoffUntil - o.now();
    const line = formatLiveLine(
      {
        iteration: run.iteration,
        cap: run.cap,
        phase: livePhase({ ...run, backoffLeftMs }),
        spentUsd: run.spentUsd,
        limitUsd: run.limitUsd,
        elapsedMs: run.elapsedMs,
        activity: run.phase === "act" ? activity : null,
      },
      // One column spare: a line that fills the last column makes some terminals wrap.
      Math.max(1, o.columns() - 1),
    );
    if (line === shown) return;
    shown = line;
    o.write(`\r\x1b[2K${line.startsWith("loki") ? `${color.cyan("loki")}${line.slice(4)}` : line}`);
  };
  const above = (line: string) => {
    o.write(`\r\x1b[2K${stripControls(line)}\n`);
    shown = "";
    draw();
  };
  const log = iterationLog((lines) => lines.forEach(above), facts.totals, o.verbose);
  const timer = setInterval(draw, 1000);
  timer.unref?.();
  return {
    event: (e) => {
      facts.event(e);
      if (e.kind === "retry") backoffUntil = o.now() + e.wait_ms;
      if (e.kind === "iteration_started" || e.kind === "agent_started" || e.kind === "agent_finished") activity = null;
      if (e.kind === "iteration_started" || e.kind === "agent_started") backoffUntil = null;
      log.event(e);
      const line = eventLine(e, o.verbose);
      if (line) above(line);
      else draw();
    },
    notice: above,
    warn: (l) => above(`${color.yellow("warning:")} ${l}`),
    close: () => {
      log.close();
      clearInterval(timer);
      o.write("\r\x1b[2K");
    },
    follow: (run) => {
      facts.follow(run);
      root = run.root;
      draw();
    },
    toolCall: (call) => {
      activity = describeToolCall(call, root);
      draw();
    },
  };
}

type Snapshot = RunTotals & { iteration: number; phase: Phase; status: RunStatus; provider: string; spentUsd: number; elapsedMs: number };

/** What the lines say about the run: read from its in-memory state once followed, else pieced together from events. */
function runFacts(now: () => number) {
  let state: (() => OrchestratorState) | null = null;
  let clock = { base: 0, since: now() };
  const seen: Omit<Snapshot, "elapsedMs"> = {
    iteration: 0,
    phase: "starting",
    status: "running",
    provider: "",
    cap: null,
    spentUsd: 0,
    limitUsd: null,
  };
  const PHASE_AFTER: Partial<Record<LokiEvent["kind"], Phase>> = {
    iteration_started: "reason",
    agent_started: "act",
    agent_finished: "reflect",
    checkpoint: "verify",
    ship_gate: "done",
  };
  const snapshot = (): Snapshot => {
    const elapsedMs = clock.base + (now() - clock.since);
    if (!state) return { ...seen, elapsedMs };
    const s = state();
    return {
      iteration: s.iteration,
      phase: s.phase,
      status: s.status,
      provider: s.provider,
      cap: s.caps.max_iterations,
      spentUsd: s.budget.spent_usd,
      limitUsd: s.budget.limit_usd,
      elapsedMs,
    };
  };
  return {
    event: (e: LokiEvent) => {
      seen.iteration = e.iteration;
      seen.phase = PHASE_AFTER[e.kind] ?? seen.phase;
      if (e.kind === "run_started") Object.assign(seen, { provider: e.provider, limitUsd: e.budget_usd });
      if (e.kind === "agent_started") seen.provider = e.provider;
      if (e.kind === "agent_finished") seen.spentUsd += e.usd;
      if (e.kind === "budget_warning" || e.kind === "budget_exceeded") seen.limitUsd = e.limit_usd;
      if (e.kind === "paused" || e.kind === "resumed") seen.status = e.kind === "paused" ? "paused" : "running";
      if (e.kind === "run_finished") seen.status = "stopping";
    },
    follow: (run: { root: string; state: () => OrchestratorState }) => {
      state = run.state;
      clock = { base: run.state().elapsed_ms, since: now() };
    },
    snapshot,
    totals: (): RunTotals => {
      const s = snapshot();
      return { cap: s.cap, spentUsd: s.spentUsd, limitUsd: s.limitUsd };
    },
  };
}
