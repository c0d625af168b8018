// `loki status` shows the run's task queue (.loki/queue/), from the real CLI over a hand-written .loki/:
// the JSON view and the compact human lines (dead-lettered tasks with their last failure on one line),
// nothing for a checklist worked as one task, and another run's or a corrupt queue ignored, never fatal.
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { emptyQueue, saveQueue, writeNewQueue, type Queue } from "../../src/core/queue.ts";
import type { QueuePlan, Task } from "../../src/core/queue-schema.ts";
import { workspaceAt } from "../../src/core/workspace.ts";
import { loki } from "../helpers/cli.ts";
import { type TmpDir, tmpdir } from "../helpers/tmp.ts";
import { testPlan, testTask } from "../helpers/queue.ts";

const RUN = "20260101-120000-queue";

const task = (id: string, title: string, over: Partial<Task> = {}) => testTask(id, title, over);

const plan = (over: Partial<QueuePlan> = {}) => testPlan(RUN, { escalate_after: 2, dead_letter_after: 3, ...over });

/** A repository whose session is run RUN (its process gone: a dead run still shows its queue). */
async function repo(): Promise<TmpDir> {
  const dir = await tmpdir({ git: true });
  const session = {
    schema_version: 1,
    run_id: RUN,
    pid: 999_999,
    status: "running",
    provider: "claude",
    spec: "prd.md",
    started_at: "2026-01-01T12:00:00Z",
    updated_at: "2026-01-01T12:00:00Z",
  };
  dir.write(".loki/session.json", JSON.stringify(session));
  return dir;
}

const LONG_FAILURE = `tests: 3 failing\n  expected 200, got 500 at GET /api/items ${"x".repeat(200)}`;

/** Six planned tasks, moved as a run moves them: two done, one current on its second attempt, two pending, one given up on. */
function workedQueue(root: string): void {
  const ws = workspaceAt(root);
  const tasks = [
    task("t1", "Set up the schema", { items: ["i-1"] }),
    task("t2", "Add the models", { items: ["i-2", "i-3"], deps: ["t1"] }),
    task("t3", "Add the REST endpoints", { deps: ["t2"] }),
    task("t4", "Add the UI", { deps: ["t3"], role: "frontend" }),
    task("t5", "Write the docs", { role: "docs" }),
    task("t6", "Wire the payments", { deps: ["t1"] }),
  ];
  writeNewQueue(ws, plan(), tasks);
  const before: Queue = { ...emptyQueue(), pending: tasks };
  const [t1, t2, t3, t4, t5, t6] = tasks as [Task, Task, Task, Task, Task, Task];
  const after: Queue = {
    pending: [t4, t5],
    current: [{ ...t3, attempts: 1, failures: ["tests: 1 failing"] }],
    done: [t1, t2],
    "dead-letter": [{ ...t6, attempts: 3, failures: [LONG_FAILURE, "second"] }],
  };
  saveQueue(ws, RUN, before, after);
}

describe("loki status shows the run's task queue", () => {
  test("--json carries the queue's view: ids, titles, counts, the dead-lettered task's last failure", async () => {
    await using dir = await repo();
    workedQueue(dir.path);
    const result = await loki(["status", "--json"], { cwd: dir.path });
    expect(result.code).toBe(0);
    const { queue } = result.json<{ queue: unknown }>();
    expect(queue).toEqual({
      source: "planner",
      done: [
        { id: "t1", title: "Set up the schema", items: ["i-1"] },
        { id: "t2", title: "Add the models", items: ["i-2", "i-3"] },
      ],
      current: { id: "t3", title: "Add the REST endpoints", role: "backend", attempts: 1 },
      pending: [
        { id: "t4", title: "Add the UI", deps: ["t3"] },
        { id: "t5", title: "Write the docs", deps: [] },
      ],
      dead_letter: [{ id: "t6", title: "Wire the payments", attempts: 3, last_failure: LONG_FAILURE }],
      replans: 0,
    });
  });

  test("the human status: one tasks line, and one line per dead-lettered task with its failure clipped to one line", async () => {
    await using dir = await repo();
    workedQueue(dir.path);
    const result = await loki(["status"], { cwd: dir.path });
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines).toContain('tasks: 2 done · current t3 "Add the REST endpoints" (attempt 2) · 2 pending · 1 dead-lettered');
    const dead = lines.filter((l) => l.includes("dead-lettered t6"));
    expect(dead).toHaveLength(1);
    const failure = dead[0]?.split("after 3 attempts: ")[1] ?? "";
    expect(dead[0]).toStartWith('  dead-lettered t6 "Wire the payments" after 3 attempts: tests: 3 failing   expected 200');
    expect(failure).toHaveLength(100);
    expect(failure).toEndWith("…");
    // The queue's lines come before how the run ended and what to do next.
    expect(result.stdout.indexOf("tasks:")).toBeLessThan(result.stdout.indexOf("next:"));
  });

  test("a title with terminal control characters is printed on one line, the escapes gone", async () => {
    await using dir = await repo();
    const ws = workspaceAt(dir.path);
    const hostile = task("t1", "Fix \u001b[2J\u001b[31mit\r\nnext: rm -rf /");
    writeNewQueue(ws, plan(), [hostile, task("t2", "Second")]);
    saveQueue(ws, RUN, { ...emptyQueue(), pending: [hostile] }, { ...emptyQueue(), current: [hostile] });
    const result = await loki(["status"], { cwd: dir.path });
    expect(result.stdout).not.toContain("\u001b");
    expect(result.stdout).toContain('tasks: 0 done · current t1 "Fix  [2J [31mit next: rm -rf /" · 0 pending');
    expect(result.stdout.split("\n").filter((l) => l.startsWith("next:"))).toHaveLength(1);
  });

  test("a checklist worked as its one task: in --json, but no line in the human status", async () => {
    await using dir = await repo();
    const ws = workspaceAt(dir.path);
    const only = task("checklist", "The checklist", { origin: "checklist", items: ["i-1", "i-2"] });
    writeNewQueue(ws, plan({ source: "checklist", note: "no planning pass" }), [only]);
    saveQueue(ws, RUN, { ...emptyQueue(), pending: [only] }, { ...emptyQueue(), current: [only] });
    const json = (await loki(["status", "--json"], { cwd: dir.path })).json<{ queue: { source: string; current: { id: string } } }>();
    expect(json.queue).toMatchObject({ source: "checklist", current: { id: "checklist" }, pending: [], done: [] });
    const human = await loki(["status"], { cwd: dir.path });
    expect(human.code).toBe(0);
    expect(human.stdout).not.toContain("tasks:");
  });

  test("a planner that gave no usable plan: one short line saying so", async () => {
    await using dir = await repo();
    const only = task("checklist", "The checklist", { origin: "checklist" });
    writeNewQueue(workspaceAt(dir.path), plan({ source: "fallback", note: "unparseable twice" }), [only]);
    const human = (await loki(["status"], { cwd: dir.path })).stdout.split("\n").filter((l) => l.startsWith("tasks:"));
    expect(human).toEqual(["tasks: the planner gave no usable plan; the checklist is worked as one task"]);
  });

  test("another run's queue is not this run's: null, and no tasks line", async () => {
    await using dir = await repo();
    writeNewQueue(workspaceAt(dir.path), plan({ run_id: "20251231-000000-old" }), [task("t1", "Old work")]);
    expect((await loki(["status", "--json"], { cwd: dir.path })).json<{ queue: unknown }>().queue).toBeNull();
    const human = await loki(["status"], { cwd: dir.path });
    expect(human.stdout).not.toContain("tasks:");
    expect(human.stdout).not.toContain("Old work");
  });

  test("a list file of another run is left out of this run's queue", async () => {
    await using dir = await repo();
    const ws = workspaceAt(dir.path);
    writeNewQueue(ws, plan(), [task("t1", "Mine")]);
    const stale = { schema_version: 1, run_id: "20251231-000000-old", tasks: [task("t9", "Old work")] };
    writeFileSync(ws.queueList("done"), JSON.stringify(stale));
    const { queue } = (await loki(["status", "--json"], { cwd: dir.path })).json<{
      queue: { done: unknown[]; pending: { id: string }[] };
    }>();
    expect(queue.done).toEqual([]);
    expect(queue.pending.map((t) => t.id)).toEqual(["t1"]);
  });

  test.each([
    ["plan.json is not JSON", (root: string) => writeFileSync(workspaceAt(root).queuePlan, "{not json")],
    [
      "current.json is off-schema",
      (root: string) => writeFileSync(workspaceAt(root).queueList("current"), '{"schema_version":1,"run_id":5}'),
    ],
    ["pending.json is torn", (root: string) => writeFileSync(workspaceAt(root).queueList("pending"), '{"schema_version":1,"run_')],
  ])("a corrupt queue (%s) does not break status: exit 0, queue null", async (_name, damage) => {
    await using dir = await repo();
    workedQueue(dir.path);
    damage(dir.path);
    const json = await loki(["status", "--json"], { cwd: dir.path });
    expect(json.code).toBe(0);
    expect(json.json<{ queue: unknown; run_id: string }>()).toMatchObject({ queue: null, run_id: RUN });
    const human = await loki(["status"], { cwd: dir.path });
    expect(human.code).toBe(0);
    expect(human.stdout).not.toContain("tasks:");
    expect(human.stdout).toContain(`run ${RUN}`);
  });
});
