// The Tasks panel: the run's planner queue (.loki/queue/) as core/queue.ts shows it to readers — task ids,
// titles and counts, never an item's text — and when its files last changed. Never throws: null when the
// run has no queue, or another run's, or one that cannot be read.
import { readQueueView } from "../core/queue.ts";
import { QUEUE_LISTS, type QueueView } from "../core/queue-schema.ts";
import type { Workspace } from "../core/workspace.ts";
import { mtimeOf, newest } from "./snapshot-read.ts";

/** The queue's view, and the newest of its files' ages (the panel's "updated …"). */
export type QueuePanelView = QueueView & { updated_at: string | null };

export function projectQueue(ws: Workspace, runId: string | null): QueuePanelView | null {
  if (runId === null) return null;
  const view = readQueueView(ws, runId);
  if (!view) return null;
  const ages = [ws.queuePlan, ...QUEUE_LISTS.map((list) => ws.queueList(list))].map(mtimeOf);
  return { ...view, updated_at: newest(...ages) };
}
