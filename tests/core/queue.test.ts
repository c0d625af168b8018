// The task queue on disk (core/queue.ts) in a temp .loki/: a new queue replaces the old files, only the run's
// own files count, a move interrupted between its two writes resolves to one list, saveQueue writes only the
// lists that changed, and the reader's view never throws.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { emptyQueue, type Queue, queueView, readQueue, readQueueView, saveQueue, writeNewQueue, writePlan } from "../../src/core/queue.ts";
import { QUEUE_LISTS, type QueueList, type QueuePlan, QueueView, type Task } from "../../src/core/queue-schema.ts";
import { type Workspace, workspaceAt } from "../../src/core/workspace.ts";
import { tmpdir } from "../helpers/tmp.ts";
import { testPlan, testTask } from "../helpers/queue.ts";

const RUN = "run-1";

const task = (id: string, over: Partial<Task> = {}) => testTask(id, `Task ${id}`, over);

const plan = (runId = RUN, over: Partial<QueuePlan> = {}) => testPlan(runId, { created_at: "2026-01-01T00:00:00.000Z", ...over });

const ids = (queue: Queue) => Object.fromEntries(QUEUE_LISTS.map((list) => [list, queue[list].map((t) => t.id)]));
const fileText = (ws: Workspace, list: QueueList) => readFileSync(ws.queueList(list), "utf8");

describe("writeNewQueue and readQueue", () => {
  test("a new queue puts every task in pending and reads back the same", async () => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    const tasks = [task("a"), task("b", { deps: ["a"] })];
    writeNewQueue(ws, plan(), tasks);
    const read = readQueue(ws, RUN);
    expect(read?.plan).toEqual(plan());
    expect(read?.queue).toEqual({ ...emptyQueue(), pending: tasks });
  });

  test("a new queue clears the old one: no earlier run's task or stray file carries over", async () => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    writeNewQueue(ws, plan("run-0"), [task("old")]);
    saveQueue(ws, "run-0", { ...emptyQueue(), pending: [task("old")] }, { ...emptyQueue(), done: [task("old")] });
    writeFileSync(join(ws.queueDir, "stray.json"), "{}");
    writeNewQueue(ws, plan(), [task("new")]);
    expect(existsSync(join(ws.queueDir, "stray.json"))).toBe(false);
    expect(ids(readQueue(ws, RUN)?.queue ?? emptyQueue())).toEqual({ pending: ["new"], current: [], done: [], "dead-letter": [] });
  });

  test("no plan, or another run's plan, is no queue", async () => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    expect(readQueue(ws, RUN)).toBeNull();
    writeNewQueue(ws, plan("run-0"), [task("a")]);
    expect(readQueue(ws, RUN)).toBeNull();
    expect(readQueue(ws, "run-0")).not.toBeNull();
  });

  test("a list file of another run is ignored, even under this run's plan", async () => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    writeNewQueue(ws, plan("run-0"), [task("a")]);
    writePlan(ws, plan(RUN));
    expect(readQueue(ws, RUN)?.queue).toEqual(emptyQueue());
  });
});

describe("a move interrupted between its two writes", () => {
  // Only the destination was written: the task is in both lists on disk and must read as in exactly one.
  const cases: [QueueList, QueueList][] = [
    ["pending", "current"],
    ["current", "done"],
    ["current", "dead-letter"],
    ["pending", "done"],
    ["done", "dead-letter"],
  ];
  test.each(cases)("a task moved from %s to %s, the source not yet rewritten, reads as in the destination only", async (from, to) => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    const a = task("a");
    const other = task("b");
    writeNewQueue(ws, plan(), []);
    const before: Queue = { ...emptyQueue(), [from]: [a], pending: from === "pending" ? [a, other] : [other] };
    saveQueue(ws, RUN, emptyQueue(), before);
    const moved = { ...a, attempts: 1 };
    saveQueue(ws, RUN, before, { ...before, [to]: [moved] });
    const queue = readQueue(ws, RUN)?.queue ?? emptyQueue();
    const where = QUEUE_LISTS.filter((list) => queue[list].some((t) => t.id === "a"));
    expect(where).toEqual([to]);
    expect(queue[to]).toEqual([moved]);
    expect(queue.pending.map((t) => t.id)).toEqual(["b"]);
  });

  test("a task in all four lists is dead-lettered; in pending and current it is current", async () => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    writeNewQueue(ws, plan(), []);
    const everywhere: Queue = { pending: [task("a"), task("b")], current: [task("a")], done: [task("a")], "dead-letter": [task("a")] };
    saveQueue(ws, RUN, emptyQueue(), everywhere);
    expect(ids(readQueue(ws, RUN)?.queue ?? emptyQueue())).toEqual({ pending: ["b"], current: [], done: [], "dead-letter": ["a"] });
    saveQueue(ws, RUN, everywhere, { ...everywhere, done: [], "dead-letter": [] });
    expect(ids(readQueue(ws, RUN)?.queue ?? emptyQueue())).toEqual({ pending: ["b"], current: ["a"], done: [], "dead-letter": [] });
  });
});

describe("saveQueue", () => {
  test("writes only the lists that changed", async () => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    const tasks = [task("a"), task("b")];
    writeNewQueue(ws, plan(), tasks);
    // Unchanged lists are made unreadable: a rewrite of either would replace the marker.
    writeFileSync(ws.queueList("done"), "MARKER done");
    writeFileSync(ws.queueList("dead-letter"), "MARKER dead-letter");
    const before: Queue = { ...emptyQueue(), pending: tasks };
    saveQueue(ws, RUN, before, { ...before, pending: [task("b")], current: [task("a", { started: 1 })] });
    expect(fileText(ws, "done")).toBe("MARKER done");
    expect(fileText(ws, "dead-letter")).toBe("MARKER dead-letter");
    expect(JSON.parse(fileText(ws, "pending")).tasks.map((t: Task) => t.id)).toEqual(["b"]);
    expect(JSON.parse(fileText(ws, "current")).tasks).toEqual([task("a", { started: 1 })]);
  });

  test("an unchanged queue writes nothing", async () => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    writeNewQueue(ws, plan(), [task("a")]);
    for (const list of QUEUE_LISTS) writeFileSync(ws.queueList(list), `MARKER ${list}`);
    const same: Queue = { ...emptyQueue(), pending: [task("a")] };
    saveQueue(ws, RUN, same, structuredClone(same));
    for (const list of QUEUE_LISTS) expect(fileText(ws, list)).toBe(`MARKER ${list}`);
  });

  test("a task changed in place (one more attempt) is written", async () => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    writeNewQueue(ws, plan(), []);
    const before: Queue = { ...emptyQueue(), current: [task("a")] };
    saveQueue(ws, RUN, emptyQueue(), before);
    saveQueue(ws, RUN, before, { ...before, current: [task("a", { attempts: 1, failures: ["tests: 1 failing"] })] });
    expect(readQueue(ws, RUN)?.queue.current).toEqual([task("a", { attempts: 1, failures: ["tests: 1 failing"] })]);
  });
});

describe("readQueueView and queueView", () => {
  test("the view shows ids, titles and counts: done items, the current attempt, pending deps, dead letters' last failure", () => {
    const queue: Queue = {
      pending: [task("p", { deps: ["c"], items: ["i-9"] })],
      current: [task("c", { role: "frontend", attempts: 2, failures: ["x"], started: 3 })],
      done: [task("d", { items: ["i-1", "i-2"], ended: 2 })],
      "dead-letter": [task("x", { attempts: 5, failures: ["first", "second"] }), task("y", { attempts: 5 })],
    };
    const view = queueView(plan(RUN, { source: "fallback", replans: [{ iteration: 4, tasks: ["fix"] }] }), queue);
    expect(view).toEqual({
      source: "fallback",
      done: [{ id: "d", title: "Task d", items: ["i-1", "i-2"] }],
      current: { id: "c", title: "Task c", role: "frontend", attempts: 2 },
      pending: [{ id: "p", title: "Task p", deps: ["c"] }],
      dead_letter: [
        { id: "x", title: "Task x", attempts: 5, last_failure: "first" },
        { id: "y", title: "Task y", attempts: 5, last_failure: null },
      ],
      replans: 1,
    });
    expect(QueueView.parse(view)).toEqual(view);
    expect(queueView(plan(), emptyQueue()).current).toBeNull();
  });

  test("readQueueView reads the run's queue as its view", async () => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    writeNewQueue(ws, plan(), [task("a")]);
    expect(readQueueView(ws, RUN)).toEqual(queueView(plan(), { ...emptyQueue(), pending: [task("a")] }));
    expect(readQueueView(ws, "run-other")).toBeNull();
  });

  test.each([
    ["a list file that is not JSON", (ws: Workspace) => writeFileSync(ws.queueList("current"), "{ not json")],
    ["a list file off its schema", (ws: Workspace) => writeFileSync(ws.queueList("done"), JSON.stringify({ run_id: RUN, tasks: [{}] }))],
    ["a plan.json that is not JSON", (ws: Workspace) => writeFileSync(ws.queuePlan, "")],
    [
      "a list file from a newer loki",
      (ws: Workspace) => writeFileSync(ws.queueList("pending"), JSON.stringify({ schema_version: 99, run_id: RUN, tasks: [] })),
    ],
    [
      "a directory where a list file should be",
      (ws: Workspace) => {
        rmSync(ws.queueList("dead-letter"));
        mkdirSync(ws.queueList("dead-letter"));
      },
    ],
  ])("%s: readQueueView is null, never a throw", async (_name, corrupt) => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    writeNewQueue(ws, plan(), [task("a")]);
    corrupt(ws);
    expect(() => readQueue(ws, RUN)).toThrow();
    expect(readQueueView(ws, RUN)).toBeNull();
  });
});
