// The task queue inside the loop: the task an iteration works (Reason), what its checks did to it
// (Compound: done, one more failed attempt, dead-lettered), and the tasks a failed ship gate adds
// (at most once per planner.replan_every iterations). Every change is saved before it is told.
import { readQueue, saveQueue, writePlan, type Queue } from "../core/queue.ts";
import type { QueuePlan, Task } from "../core/queue-schema.ts";
import { escalated, replanTasks, settleAttempt, takeNext, workLeft, type Limits } from "../plan/queue-steps.ts";
import type { LoopEnv } from "./env.ts";

/** What the build prompt says of the task: the task, whether to try a simpler way, and the queue around it. */
export type TaskBrief = {
  task: Task;
  escalate: boolean;
  /** Tasks settled before this one (done or dead-lettered). */
  done: number;
  total: number;
  architecture: string | null;
};

/** The thresholds the queue was made with (plan.json): a resume never reads them again from loki.yaml. */
function limitsOf(plan: QueuePlan): Limits {
  return { escalate_after: plan.escalate_after, dead_letter_after: plan.dead_letter_after };
}

/** The task this iteration works (taken from pending when none is current), or null: none left, or no queue. */
export function beginTask(env: LoopEnv): TaskBrief | null {
  const { record } = env;
  const read = readQueue(record.ws, record.state.run_id);
  if (!read) return null;
  const next = takeNext(read.queue, record.state.iteration);
  if (!next.task) return null;
  if (next.started) saveQueue(record.ws, record.state.run_id, read.queue, next.queue);
  const task = next.task;
  record.emit({ kind: "task_started", task: task.id, title: task.title, role: task.role, attempt: task.attempts + 1 });
  const all = Object.values(next.queue).flat();
  return {
    task,
    escalate: escalated(task, limitsOf(read.plan)),
    done: next.queue.done.length + next.queue["dead-letter"].length,
    total: all.length,
    architecture: read.plan.architecture?.path ?? null,
  };
}

/** The current task after this iteration's checks: done when they pass, else a failed attempt (dead-lettered after M). */
export function settleTask(env: LoopEnv, passed: boolean, failures: string[]): void {
  const { record } = env;
  const read = readQueue(record.ws, record.state.run_id);
  if (!read) return;
  const settled = settleAttempt(read.queue, { passed, failures, iteration: record.state.iteration }, limitsOf(read.plan));
  if (!settled.task || !settled.outcome) return;
  saveQueue(record.ws, record.state.run_id, read.queue, settled.queue);
  record.emit({ kind: "task_finished", task: settled.task.id, outcome: settled.outcome, attempts: settled.task.attempts });
  if (settled.outcome === "dead_letter")
    env.notice(`task ${settled.task.id} dead-lettered after ${settled.task.attempts} failed attempts; moving on`);
}

/** Whether a task is still to be worked: with one left, "all green" does not yet call the ship gate. */
export function tasksLeft(env: LoopEnv): boolean {
  const read = readQueue(env.record.ws, env.record.state.run_id);
  return read !== null && workLeft(read.queue);
}

/** The run's dead-lettered tasks (the ship gate then checks every visible item; the summary lists them). */
export function deadLetters(env: Pick<LoopEnv, "record">): Task[] {
  return readQueue(env.record.ws, env.record.state.run_id)?.queue["dead-letter"] ?? [];
}

/** A failed ship gate's reasons as tasks worked next; at most once per replan_every iterations. */
export function replan(env: LoopEnv, reasons: readonly string[]): void {
  const { record } = env;
  const read = readQueue(record.ws, record.state.run_id);
  if (!read || reasons.length === 0) return;
  const last = read.plan.replans.at(-1)?.iteration;
  const n = record.state.iteration;
  if (last !== undefined && n - last < env.config.planner.replan_every) return;
  const tasks = replanTasks(read.queue, reasons);
  if (tasks.length === 0) return;
  // The task in hand goes back to the head of pending, behind the fixes: the fixes come first.
  const after: Queue = { ...read.queue, current: [], pending: [...tasks, ...read.queue.current, ...read.queue.pending] };
  // The re-plan is recorded first: a crash before the tasks land loses them (the reasons are still the
  // next prompt's feedback), and never re-adds them before replan_every.
  writePlan(record.ws, { ...read.plan, replans: [...read.plan.replans, { iteration: n, tasks: tasks.map((t) => t.id) }] });
  saveQueue(record.ws, record.state.run_id, read.queue, after);
  record.emit({ kind: "replanned", tasks: tasks.map((t) => t.id), reasons: reasons.length });
}
