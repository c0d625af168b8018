// Schemas of the planner's task queue (.loki/queue/): the tasks a run works one at a time, in four
// files (pending, current, done, dead-letter) and the plan's own record. Tasks name visible items
// only; a held-out item's id or text never reaches the planner, a task, or these files.
import { z } from "zod";
import { IsoTime, Version } from "./schema.ts";
import { lazySchema } from "./lazy-schema.ts";

export const TASK_ROLES = ["backend", "frontend", "tests", "infrastructure", "docs"] as const;
export const TaskRole = lazySchema(() => z.enum(TASK_ROLES));
export type TaskRole = z.infer<typeof TaskRole>;
export const TaskSize = lazySchema(() => z.enum(["S", "M", "L"]));

/** Where a task came from: the planner, the checklist as one task (no plan), or a failed ship gate. */
export const TaskOrigin = lazySchema(() => z.enum(["plan", "checklist", "replan"]));

export const Task = lazySchema(() =>
  z.object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, "a task id is lowercase letters, digits and dashes"),
    title: z.string().min(1).max(300),
    /** The visible checklist items this task serves (ids). */
    items: z.array(z.string()),
    deps: z.array(z.string()),
    size: TaskSize,
    role: TaskRole,
    origin: TaskOrigin,
    /** Failed attempts so far (an iteration on the task whose checks did not pass). */
    attempts: z.number().int().nonnegative().default(0),
    /** The last attempt's failures, as the checks said them (first lines). */
    failures: z.array(z.string()).default(() => []),
    /** The iteration that started it, and the one that ended it (done or dead-lettered). */
    started: z.number().int().positive().optional(),
    ended: z.number().int().positive().optional(),
  }),
);
export type Task = z.infer<typeof Task>;

export const QUEUE_LISTS = ["pending", "current", "done", "dead-letter"] as const;
export type QueueList = (typeof QUEUE_LISTS)[number];

/** One of queue/{pending,current,done,dead-letter}.json. */
export const QueueFile = lazySchema(() => z.object({ schema_version: Version, run_id: z.string(), tasks: z.array(Task) }));
export type QueueFile = z.infer<typeof QueueFile>;

/** queue/plan.json: how the queue was made, and each re-plan since. */
export const QueuePlan = lazySchema(() =>
  z.object({
    schema_version: Version,
    run_id: z.string(),
    /** planner: the planning pass made it; fallback: the planner's answer was unusable twice; checklist: no planning pass. */
    source: z.enum(["planner", "fallback", "checklist"]),
    created_at: IsoTime,
    /** Why there is no plan from the planner (fallback), or why none was asked for (checklist). */
    note: z.string().optional(),
    /** The architecture note: where it was written (repo-relative), and the commit that added it. */
    architecture: z.object({ path: z.string(), sha: z.string().nullable(), bytes: z.number().int() }).nullable(),
    /** The planning calls made (at most two: one retry). */
    calls: z.number().int().nonnegative(),
    /** Iterations at which a failed ship gate added tasks. */
    replans: z.array(z.object({ iteration: z.number().int(), tasks: z.array(z.string()) })),
    escalate_after: z.number().int().positive(),
    dead_letter_after: z.number().int().positive(),
  }),
);
export type QueuePlan = z.infer<typeof QueuePlan>;

/** The queue as status, the dashboard and the proof show it: titles and counts, never an item's text. */
export const QueueView = lazySchema(() =>
  z.object({
    source: QueuePlan.shape.source,
    done: z.array(z.object({ id: z.string(), title: z.string(), items: z.array(z.string()) })),
    current: z.object({ id: z.string(), title: z.string(), role: TaskRole, attempts: z.number().int() }).nullable(),
    pending: z.array(z.object({ id: z.string(), title: z.string(), deps: z.array(z.string()) })),
    dead_letter: z.array(z.object({ id: z.string(), title: z.string(), attempts: z.number().int(), last_failure: z.string().nullable() })),
    replans: z.number().int(),
  }),
);
export type QueueView = z.infer<typeof QueueView>;
