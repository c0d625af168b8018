// The end of a run: the next step to suggest per outcome, the terminal summary
// (state/completion.json + COMPLETION.txt, or its one line under --quiet) and a desktop notification.
import { run, whichBinary } from "../core/exec.ts";
import { SCHEMA_VERSION } from "../core/schema.ts";
import { Completion, type Outcome } from "../core/run-schema.ts";
import { writeFileAtomic, writeJson, type Workspace } from "../core/workspace.ts";
import { readQueueView } from "../core/queue.ts";
import { oneLine } from "../core/text.ts";

/** What nextStep needs to know about the run besides its outcome. */
export type NextContext = {
  startSha: string;
  /** The run's branch: a delegated run's work is reviewable from the user's checkout by its name. */
  branch: string | null;
  /** The spec as the user named it (state.spec.ref). */
  spec: string;
  /** What kept a stalled run from verifying, one line each, most important first (loop/stall.ts). */
  blockers?: readonly string[];
};

/** The one next step for a finished run: COMPLETION.txt and `loki status` both say this. */
export function nextStep(outcome: Outcome, run: NextContext): string {
  switch (outcome) {
    case "verified":
      return `review the work: git log --stat ${run.startSha.slice(0, 12)}..${run.branch ?? "HEAD"}`;
    case "interrupted":
    case "stopped":
      return "continue where it stopped: loki resume";
    case "budget_exceeded":
      return "raise the cap and continue: loki resume --budget <usd>";
    case "max_iterations":
      return "continue with more room: loki resume --max-iterations <n>";
    case "max_duration":
      return "continue with more time: loki resume --max-duration <time>";
    case "stalled": {
      // The grader is frozen at run start: a fix to the project's configuration needs a new run.
      const blocker = run.blockers?.[0];
      return blocker
        ? `fix what blocks it — ${blocker} — commit, then start a new run: loki start ${specArg(run.spec)}`
        : `the agent stopped making changes: sharpen the spec, then start a new run: loki start ${specArg(run.spec)}`;
    }
    case "blocked":
      return "read why in .loki/state/completion.json and the last iteration's gates.json, then loki resume";
    case "failed":
      return "the provider kept failing: check `loki doctor`, then loki resume";
    case "error":
      return "fix the error above, then loki resume";
  }
}

/** The spec as a shell argument: quoted when it needs to be, elided when it is a long brief. */
function specArg(ref: string): string {
  if (ref.length > 80) return "<spec>";
  return /^[\w./#:@+-]+$/.test(ref) ? ref : `'${ref.replace(/'/g, "'\\''")}'`;
}

export function writeCompletion(ws: Workspace, completion: Omit<Completion, "schema_version">): Completion {
  const saved = writeJson(ws.completion, Completion, { schema_version: SCHEMA_VERSION, ...completion });
  const d = saved.diffstat;
  const lines = [
    headlineOf(saved),
    `reason:     ${saved.reason}`,
    `iterations: ${saved.iterations}`,
    `branch:     ${saved.branch ?? "(detached)"}   start ${saved.start_sha.slice(0, 12)}   head ${saved.head_sha?.slice(0, 12) ?? "-"}`,
    `changes:    ${d.files} files, +${d.insertions} -${d.deletions}`,
    `cost:       $${saved.cost.usd.toFixed(2)} (${saved.cost.basis})`,
    ...(saved.sandboxed === false ? [`sandbox:    none — unsandboxed: held-out secrecy and state integrity not enforced`] : []),
    ...(saved.pr_url ? [`pull request: ${saved.pr_url}`] : []),
    ...(saved.app ? [`app:        ${appLine(saved.app)}`] : []),
    ...(saved.dead_letter && saved.dead_letter.length > 0
      ? [
          `dead-lettered tasks (gave up after repeated failures): ${saved.dead_letter.length}`,
          ...saved.dead_letter.map((t) => `  - [${t.id}] ${oneLine(t.title)} (${t.attempts} attempts)`),
        ]
      : []),
    `proof:      .loki/proofs/${saved.run_id}/index.html   (loki proof open · loki proof verify)`,
    `next:       ${saved.next}`,
    `finished:   ${saved.finished_at}`,
  ];
  writeFileAtomic(ws.completionText, `${lines.join("\n")}\n`);
  return saved;
}

/** The run's dead-lettered tasks for its summary (nothing when there are none). */
export function deadLetterSummary(record: { ws: Workspace; state: { run_id: string } }): Pick<Completion, "dead_letter"> {
  const dead = readQueueView(record.ws, record.state.run_id)?.dead_letter ?? [];
  return dead.length > 0 ? { dead_letter: dead.map((t) => ({ id: t.id, title: t.title, attempts: t.attempts })) } : {};
}

/** "Your app is live at …" only when its health said live; otherwise what it was, and where to look. */
export function appLine(app: NonNullable<Completion["app"]>): string {
  if (app.status === "live" && app.url) return `Your app is live at ${app.url}   (loki preview stop ends it)`;
  return `not live (${app.status}${app.detail ? `: ${app.detail}` : ""})   (loki preview logs · loki preview)`;
}

function headlineOf(c: Completion): string {
  return `loki run ${c.run_id}: ${c.outcome.toUpperCase().replace("_", " ")}`;
}

/** The summary as one line (--quiet): outcome and reason, and what must never go unsaid (the pull request, unsandboxed). */
export function completionLine(c: Completion): string {
  const extra = [
    ...(c.pr_url ? [`pull request ${c.pr_url}`] : []),
    ...(c.app?.status === "live" && c.app.url ? [`your app is live at ${c.app.url}`] : []),
    ...(c.sandboxed === false ? ["unsandboxed: held-out secrecy and state integrity not enforced"] : []),
    ...(c.dead_letter && c.dead_letter.length > 0 ? [`${c.dead_letter.length} task(s) dead-lettered`] : []),
  ];
  return `${headlineOf(c)} — ${c.reason}${extra.length > 0 ? ` (${extra.join("; ")})` : ""}`;
}

/** Best effort: notify-send (Linux) or osascript (macOS); silent when neither exists. */
export async function notifyDesktop(title: string, body: string): Promise<void> {
  const notifySend = whichBinary("notify-send");
  if (notifySend) {
    await run([notifySend, title, body], { timeoutMs: 5000 });
    return;
  }
  const osascript = whichBinary("osascript");
  if (osascript)
    await run([osascript, "-e", `display notification ${JSON.stringify(body)} with title ${JSON.stringify(title)}`], { timeoutMs: 5000 });
}
