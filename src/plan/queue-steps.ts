// How the task queue moves, pure: which task an iteration works (the current one, else the first
// pending one whose dependencies are settled), what an attempt's result does to it (done, another
// attempt, dead-letter after M), when a prompt asks for a simpler approach (after N), and the tasks a
// failed ship gate adds. The loop reads and writes the queue (core/queue.ts) around these.
import type { Queue } from "../core/queue.ts";
import type { Task } from "../core/queue-schema.ts";
import { freeId, roleOf } from "./tasks.ts";
import { clip, oneLine } from "../core/text.ts";

export type Limits = { escalate_after: number; dead_letter_after: number };

/** The queue with the task to work now in `current` (moved from pending when none was), and that task. */
export function takeNext(queue: Queue, iteration: number): { queue: Queue; task: Task | null; started: boolean } {
  const current = queue.current[0];
  if (current) return { queue, task: current, started: false };
  const settled = new Set([...queue.done, ...queue["dead-letter"]].map((t) => t.id));
  // A dependency that was dead-lettered counts as settled: the run moves on, and the dependent task says what it needs.
  const next = queue.pending.find((t) => t.deps.every((d) => settled.has(d)));
  if (!next) return { queue, task: null, started: false };
  const task = { ...next, started: iteration };
  return { queue: { ...queue, pending: queue.pending.filter((t) => t.id !== next.id), current: [task] }, task, started: true };
}

export type AttemptResult = { passed: boolean; failures: string[]; iteration: number };
export type AttemptOutcome = "done" | "retry" | "dead_letter";

/** The current task after one iteration on it: done when its checks pass, else one more failed attempt. */
export function settleAttempt(
  queue: Queue,
  result: AttemptResult,
  limits: Limits,
): { queue: Queue; task: Task | null; outcome: AttemptOutcome | null } {
  const task = queue.current[0];
  if (!task) return { queue, task: null, outcome: null };
  if (result.passed) {
    const done = { ...task, failures: [], ended: result.iteration };
    return { queue: { ...queue, current: [], done: [...queue.done, done] }, task: done, outcome: "done" };
  }
  const failed = { ...task, attempts: task.attempts + 1, failures: result.failures.slice(0, 10) };
  // The checklist as one task is the whole goal: giving up on it would leave nothing to work.
  if (failed.attempts >= limits.dead_letter_after && task.origin !== "checklist") {
    const dead = { ...failed, ended: result.iteration };
    return { queue: { ...queue, current: [], "dead-letter": [...queue["dead-letter"], dead] }, task: dead, outcome: "dead_letter" };
  }
  return { queue: { ...queue, current: [failed] }, task: failed, outcome: "retry" };
}

/** After N failed attempts the next prompt asks for a simpler approach. */
export function escalated(task: Task, limits: Limits): boolean {
  return task.attempts >= limits.escalate_after;
}

/** Whether a task is left to work (pending or current): the ship gate on "all green" waits for none. */
export function workLeft(queue: Queue): boolean {
  return queue.current.length > 0 || queue.pending.length > 0;
}

/**
 * A failed ship gate's reasons as new tasks, worked before what is pending: one per reason (a held-out
 * failure names only its category, as the gate says it), at most `max`. The reasons never hold an item's text.
 */
export function replanTasks(queue: Queue, reasons: readonly string[], max = 5): Task[] {
  const taken = new Set([...queue.pending, ...queue.current, ...queue.done, ...queue["dead-letter"]].map((t) => t.id));
  const unique = [...new Set(reasons.map((r) => r.split("\n")[0]?.trim() ?? "").filter((r) => r !== ""))].slice(0, max);
  return unique.map((reason) => {
    const id = freeId("fix", taken);
    taken.add(id);
    const title = clip(oneLine(`Fix what the ship gate found: ${reason}`), 300);
    return { id, title, items: [], deps: [], size: "M", role: roleOf(undefined, reason), origin: "replan", attempts: 0, failures: [] };
  });
}
