// The dashboard's Tasks panel data: the snapshot carries the run's task queue (core/queue.ts's view and
// its age), redacted like every string; another run's or a corrupt queue is null, never a failed
// snapshot; and the stream announces queue/ changes (a new queue replaces the directory) as "queue".
import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { emptyQueue, saveQueue, writeNewQueue } from "../../src/core/queue.ts";
import type { QueuePlan, Task } from "../../src/core/queue-schema.ts";
import { workspaceAt } from "../../src/core/workspace.ts";
import { panelsFor } from "../../src/dashboard/changes.ts";
import { tmpdir } from "../helpers/tmp.ts";
import { FAKE_GITHUB_TOKEN } from "../helpers/verify-repo.ts";
import { type Harness, openStream, startHarness } from "./harness.ts";
import { RUN_ID, snap, state, writeLoki } from "./snapshot-fixture.ts";
import { testPlan, testTask } from "../helpers/queue.ts";

const task = (id: string, title: string, over: Partial<Task> = {}) => testTask(id, title, { size: "S", ...over });

const plan = (runId: string, over: Partial<QueuePlan> = {}) =>
  testPlan(runId, { replans: [{ iteration: 3, tasks: ["t3"] }], escalate_after: 2, dead_letter_after: 3, ...over });

describe("snapshot: the run's task queue", () => {
  test("done, current, pending and dead-lettered tasks by id and title, with the queue's age; secrets redacted", async () => {
    await using dir = await tmpdir();
    writeLoki(dir.path, { "state/orchestrator.json": state() });
    const ws = workspaceAt(dir.path);
    const tasks = [
      task("t1", "Schema", { items: ["i-1"] }),
      task("t2", "Endpoints", { deps: ["t1"] }),
      task("t3", "UI"),
      task("t4", "Pay"),
    ];
    writeNewQueue(ws, plan(RUN_ID), tasks);
    const [t1, t2, t3, t4] = tasks as [Task, Task, Task, Task];
    saveQueue(
      ws,
      RUN_ID,
      { ...emptyQueue(), pending: tasks },
      {
        pending: [t3],
        current: [{ ...t2, attempts: 1 }],
        done: [t1],
        "dead-letter": [{ ...t4, attempts: 3, failures: [`leaked token=${FAKE_GITHUB_TOKEN}`] }],
      },
    );
    const s = await snap(dir.path);
    expect(s.queue).toMatchObject({
      source: "planner",
      done: [{ id: "t1", title: "Schema", items: ["i-1"] }],
      current: { id: "t2", title: "Endpoints", role: "backend", attempts: 1 },
      pending: [{ id: "t3", title: "UI", deps: [] }],
      dead_letter: [{ id: "t4", title: "Pay", attempts: 3 }],
      replans: 1,
    });
    expect(Date.parse(s.queue?.updated_at ?? "")).toBeGreaterThan(0);
    expect(JSON.stringify(s)).not.toContain(FAKE_GITHUB_TOKEN);
    expect(s.queue?.dead_letter[0]?.last_failure).toContain("leaked token=");
  });

  test("no queue, another run's queue, or a corrupt one: null, and the rest of the snapshot still answers", async () => {
    await using dir = await tmpdir();
    writeLoki(dir.path, { "state/orchestrator.json": state() });
    expect((await snap(dir.path)).queue).toBeNull();
    const ws = workspaceAt(dir.path);
    writeNewQueue(ws, plan("20251231-000000-old"), [task("t1", "Old work")]);
    expect((await snap(dir.path)).queue).toBeNull();
    writeNewQueue(ws, plan(RUN_ID), [task("t1", "Mine")]);
    expect((await snap(dir.path)).queue?.pending.map((t) => t.id)).toEqual(["t1"]);
    writeFileSync(ws.queueList("pending"), "{torn");
    const s = await snap(dir.path);
    expect(s.queue).toBeNull();
    expect(s.run?.run_id).toBe(RUN_ID);
  });
});

describe("live updates of the Tasks panel", () => {
  test("queue/ and the queue directory's creation map to the queue panel; temp files do not", () => {
    expect(panelsFor("queue", "current.json")).toEqual(["queue"]);
    expect(panelsFor("queue", "plan.json")).toEqual(["queue"]);
    expect(panelsFor("", "queue")).toEqual(["queue"]);
    expect(panelsFor("queue", "current.json.1.x.tmp")).toEqual([]);
  });

  const open: Harness[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) await h[Symbol.asyncDispose]();
  });

  test("a new queue and each move are announced as `queue`, and /api/snapshot then carries them", async () => {
    const h = await startHarness({ heartbeatMs: 60_000 });
    open.push(h);
    const s = await openStream(h);
    const announced = () =>
      s.frames.filter((f) => f.event === "state" && (JSON.parse(f.data).changed as string[]).includes("queue")).length;
    await Bun.sleep(150);
    const ws = workspaceAt(h.root);
    const tasks = [task("t1", "First"), task("t2", "Second")];
    writeNewQueue(ws, plan("r-test"), tasks);
    await s.until(() => announced() >= 1, 3000);
    const first = (await (await h.get("/api/snapshot")).json()) as { queue: { pending: { id: string }[] } | null };
    expect(first.queue?.pending.map((t) => t.id)).toEqual(["t1", "t2"]);
    // The directory was just made: the next write inside it is seen once the stream has attached to it.
    await Bun.sleep(300);
    const seen = announced();
    const [t1, t2] = tasks as [Task, Task];
    saveQueue(ws, "r-test", { ...emptyQueue(), pending: tasks }, { ...emptyQueue(), pending: [t2], current: [t1] });
    await s.until(() => announced() > seen, 3000);
    const moved = (await (await h.get("/api/snapshot")).json()) as { queue: { current: { id: string } | null } | null };
    expect(moved.queue?.current?.id).toBe("t1");
    await s.close();
  });
});
