// The task queue on disk (.loki/queue/), owned by loki: four list files and plan.json, each written
// atomically. A move writes the destination before the source, and a read resolves a task found in
// two lists by the later one (dead-letter > done > current > pending): a crash between the writes
// neither loses a task nor runs it twice. Only the run's own files count (run_id checked).
import { mkdirSync, rmSync } from "node:fs";
import { QUEUE_LISTS, QueueFile, QueuePlan, type QueueList, type QueueView, type Task } from "./queue-schema.ts";
import { SCHEMA_VERSION } from "./schema.ts";
import { readJson, writeJson, type Workspace } from "./workspace.ts";

export type Queue = Record<QueueList, Task[]>;
const PRECEDENCE: readonly QueueList[] = ["dead-letter", "done", "current", "pending"];

export function emptyQueue(): Queue {
  return { pending: [], current: [], done: [], "dead-letter": [] };
}

/** The run's queue as on disk, each task in exactly one list; null when the run has no plan yet. */
export function readQueue(ws: Workspace, runId: string): { plan: QueuePlan; queue: Queue } | null {
  const plan = readJson(ws.queuePlan, QueuePlan);
  if (!plan || plan.run_id !== runId) return null;
  const queue = emptyQueue();
  const seen = new Set<string>();
  for (const list of PRECEDENCE) {
    const file = readJson(ws.queueList(list), QueueFile);
    if (!file || file.run_id !== runId) continue;
    for (const task of file.tasks) {
      if (seen.has(task.id)) continue;
      seen.add(task.id);
      queue[list].push(task);
    }
  }
  // Pending keeps the plan's order; the others read in the order they were written.
  return { plan, queue };
}

/** A new queue for the run: every old file goes first (an earlier run's tasks never carry over). */
export function writeNewQueue(ws: Workspace, plan: QueuePlan, tasks: Task[]): void {
  rmSync(ws.queueDir, { recursive: true, force: true });
  mkdirSync(ws.queueDir, { recursive: true, mode: 0o700 });
  for (const list of QUEUE_LISTS) writeList(ws, plan.run_id, list, list === "pending" ? tasks : []);
  writeJson(ws.queuePlan, QueuePlan, plan);
}

export function writePlan(ws: Workspace, plan: QueuePlan): void {
  writeJson(ws.queuePlan, QueuePlan, plan);
}

/** Writes the lists that differ from `before`, destinations first (see the header). One move per call:
 *  with two, a list that shrank by one and grew by another would be written before its destination. */
export function saveQueue(ws: Workspace, runId: string, before: Queue, after: Queue): void {
  const changed = QUEUE_LISTS.filter((list) => JSON.stringify(before[list]) !== JSON.stringify(after[list]));
  const grew = changed.filter((list) => after[list].length >= before[list].length);
  const shrank = changed.filter((list) => after[list].length < before[list].length);
  for (const list of [...grew, ...shrank]) writeList(ws, runId, list, after[list]);
}

function writeList(ws: Workspace, runId: string, list: QueueList, tasks: Task[]): void {
  writeJson(ws.queueList(list), QueueFile, { schema_version: SCHEMA_VERSION, run_id: runId, tasks });
}

/** What a reader is shown (status, the dashboard, the proof): ids, titles and counts. */
export function queueView(plan: QueuePlan, queue: Queue): QueueView {
  const current = queue.current[0];
  return {
    source: plan.source,
    done: queue.done.map((t) => ({ id: t.id, title: t.title, items: t.items })),
    current: current ? { id: current.id, title: current.title, role: current.role, attempts: current.attempts } : null,
    pending: queue.pending.map((t) => ({ id: t.id, title: t.title, deps: t.deps })),
    dead_letter: queue["dead-letter"].map((t) => ({
      id: t.id,
      title: t.title,
      attempts: t.attempts,
      last_failure: t.failures[0] ?? null,
    })),
    replans: plan.replans.length,
  };
}

/** The run's queue view, or null (no plan, another run's, or unreadable: a reader never fails on it). */
export function readQueueView(ws: Workspace, runId: string): QueueView | null {
  try {
    const read = readQueue(ws, runId);
    return read ? queueView(read.plan, read.queue) : null;
  } catch {
    return null;
  }
}
