// The task graph, pure: the planner's answer checked against a schema and the visible checklist (ids,
// dependencies, no cycle, only visible items), the checklist as one task when there is no plan, a
// role for every task, and the tasks a failed ship gate adds. No I/O; the loop stores the result.
import { z } from "zod";
import { TASK_ROLES, type Task, type TaskRole } from "../core/queue-schema.ts";
import { clip, oneLine } from "../core/text.ts";
import { lazySchema } from "../core/lazy-schema.ts";

export const MAX_TASKS = 30;
export const MAX_ARCHITECTURE_CHARS = 20_000;
const MAX_TITLE = 200;

const Answer = lazySchema(() =>
  z.object({
    architecture: z.string().max(MAX_ARCHITECTURE_CHARS),
    tasks: z
      .array(
        z.object({
          id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/),
          title: z.string().min(1).max(300),
          items: z.array(z.string()).default(() => []),
          deps: z.array(z.string()).default(() => []),
          size: z.enum(["S", "M", "L"]).default("M"),
          role: z.string().optional(),
        }),
      )
      .min(1)
      .max(MAX_TASKS),
  }),
);

export type PlanAnswer = { ok: true; architecture: string; tasks: Task[]; notes: string[] } | { ok: false; reason: string };

const FENCE = /```json\s*\n([\s\S]*?)\n```/g;

/** The planner's final message → a task graph in dependency order, or why it is unusable. */
export function parsePlanAnswer(text: string, visibleIds: readonly string[]): PlanAnswer {
  const blocks = [...text.matchAll(FENCE)];
  if (blocks.length !== 1) return { ok: false, reason: `expected one fenced json block, found ${blocks.length}` };
  let raw: unknown;
  try {
    raw = JSON.parse(blocks[0]?.[1] ?? "");
  } catch {
    return { ok: false, reason: "the json block does not parse" };
  }
  const parsed = Answer.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: `${issue?.path.join(".") || "answer"}: ${issue?.message ?? "invalid"}` };
  }
  const { tasks: given, architecture } = parsed.data;
  const ids = new Set<string>();
  for (const task of given) {
    if (ids.has(task.id)) return { ok: false, reason: `task id ${task.id} is used twice` };
    ids.add(task.id);
  }
  const visible = new Set(visibleIds);
  for (const task of given) {
    // The unknown id is not repeated: it may be one the planner was never meant to know.
    if (task.items.some((id) => !visible.has(id)))
      return { ok: false, reason: `task ${task.id} names an item that is not on the checklist` };
    const dep = task.deps.find((d) => !ids.has(d) || d === task.id);
    if (dep !== undefined) return { ok: false, reason: `task ${task.id} depends on ${JSON.stringify(dep)}, not another task of the plan` };
  }
  const ordered = topological(given);
  if (!ordered) return { ok: false, reason: "the tasks' dependencies form a cycle" };
  const tasks: Task[] = ordered.map((t) => ({
    id: t.id,
    // One line: a title goes into every build prompt of its task, and must not open a section there.
    title: clip(oneLine(t.title).trim(), MAX_TITLE) || t.id,
    items: [...new Set(t.items)],
    deps: [...new Set(t.deps)],
    size: t.size,
    role: roleOf(t.role, t.title),
    origin: "plan",
    attempts: 0,
    failures: [],
  }));
  const notes: string[] = [];
  const covered = new Set(tasks.flatMap((t) => t.items));
  const left = visibleIds.filter((id) => !covered.has(id));
  if (left.length > 0) {
    const id = freeId("rest", ids);
    tasks.push({ ...checklistTask(left, "Finish the checklist items no task covered"), id, deps: tasks.map((t) => t.id), origin: "plan" });
    notes.push(`the plan covered no task for ${left.length} item(s); added task ${id} for them`);
  }
  return { ok: true, architecture: architecture.trim(), tasks, notes };
}

/** No plan: the whole visible checklist as one task (today's loop, with the queue's bookkeeping). */
export function checklistTask(itemIds: readonly string[], title = "Build every item of the checklist"): Task {
  return {
    id: "checklist",
    title,
    items: [...itemIds],
    deps: [],
    size: "L",
    role: "backend",
    origin: "checklist",
    attempts: 0,
    failures: [],
  };
}

const ROLE_WORDS: [TaskRole, RegExp][] = [
  ["tests", /\b(tests?|testing|spec(s)?|coverage|e2e|unit)\b/i],
  ["frontend", /\b(ui|frontend|front-end|page|component|react|vue|css|html|view|screen|dashboard|form)\b/i],
  [
    "infrastructure",
    /\b(docker|compose|deploy|ci|pipeline|infra(structure)?|database|migration|schema|config(uration)?|kubernetes|redis|postgres)\b/i,
  ],
  ["docs", /\b(docs?|documentation|readme|guide|changelog)\b/i],
];

/** The planner's role when it is one loki has a module for, else one read from the title (backend by default). */
export function roleOf(given: string | undefined, title: string): TaskRole {
  const named = (TASK_ROLES as readonly string[]).find((r) => r === given?.toLowerCase().trim());
  if (named) return named as TaskRole;
  return ROLE_WORDS.find(([, words]) => words.test(title))?.[0] ?? "backend";
}

/** Kahn's order, stable in the planner's order; null on a cycle. */
function topological<T extends { id: string; deps: string[] }>(tasks: T[]): T[] | null {
  const done = new Set<string>();
  const out: T[] = [];
  while (out.length < tasks.length) {
    const next = tasks.find((t) => !done.has(t.id) && t.deps.every((d) => done.has(d)));
    if (!next) return null;
    done.add(next.id);
    out.push(next);
  }
  return out;
}

export function freeId(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}
