// The task queue in the proof, from a REAL run of the scripted fake agent: the run's own end (finish.ts)
// puts the queue it finds in .loki/queue/ into proof.json; the queue's strings pass the one redaction
// pass; the page's Tasks section names the dead-lettered tasks and escapes every title; `loki proof
// verify` is clean, a changed queue section is tampered, and a proof without a queue still verifies.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProofFile } from "../../src/core/proof-schema.ts";
import { emptyQueue, readQueueView, saveQueue, writeNewQueue } from "../../src/core/queue.ts";
import type { QueuePlan, Task } from "../../src/core/queue-schema.ts";
import { workspaceAt } from "../../src/core/workspace.ts";
import { writeProof } from "../../src/proof/assemble.ts";
import { cliBundle } from "../helpers/cli-bundle.ts";
import { loki } from "../helpers/cli.ts";
import { HELD, NO_COUNCIL, type Scenario, scenarioRepo } from "../helpers/scenario.ts";
import { FAKE_GITHUB_TOKEN } from "../helpers/verify-repo.ts";
import { testPlan, testTask } from "../helpers/queue.ts";

const XSS = "<img src=x onerror=alert(1)>";
const FAILURE = `tests: 1 failing; the log said token=${FAKE_GITHUB_TOKEN}`;

type Report = { status: string; checks: { name: string; ok: boolean }[] };

let s: Scenario;
let runId: string;
const copies: string[] = [];

const task = (id: string, title: string, over: Partial<Task> = {}) => testTask(id, title, { size: "S", ...over });

const plan = (run: string) =>
  testPlan(run, {
    created_at: new Date().toISOString(),
    replans: [{ iteration: 1, tasks: ["t3"] }],
    escalate_after: 2,
    dead_letter_after: 3,
  });

/** The queue a run leaves: one task done, one dead-lettered (its failure names a secret), one pending (which
 *  the loop, working the queue, may start before the run ends). */
function leaveQueue(root: string, run: string): void {
  const ws = workspaceAt(root);
  const tasks = [task("t1", "Add add() and sub()", { items: ["i-1"] }), task("t2", XSS), task("t3", "Export both", { deps: ["t1"] })];
  const [t1, t2, t3] = tasks as [Task, Task, Task];
  writeNewQueue(ws, plan(run), tasks);
  saveQueue(
    ws,
    run,
    { ...emptyQueue(), pending: tasks },
    { ...emptyQueue(), pending: [t3], done: [t1], "dead-letter": [{ ...t2, attempts: 3, failures: [FAILURE] }] },
  );
}

function copyRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), "loki-proof-queue-"));
  copies.push(dir);
  cpSync(s.path, dir, { recursive: true });
  return dir;
}

const proofFile = (root: string) => join(root, ".loki", "proofs", runId, "proof.json");

beforeAll(async () => {
  // The fake agent's first call is held: the queue is laid down while the run is under way, as a planner would.
  s = await scenarioRepo("honest", NO_COUNCIL, HELD);
  const proc = Bun.spawn([process.execPath, cliBundle(), "start", "prd.md"], {
    cwd: s.path,
    env: { ...process.env, ...s.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const deadline = Date.now() + 30_000;
  while (!(existsSync(join(s.path, ".loki", "events.jsonl")) && s.events().some((e) => e.kind === "agent_started"))) {
    if (Date.now() > deadline) throw new Error("the run's first agent call did not start");
    await Bun.sleep(50);
  }
  runId = s.orchestrator().run_id;
  leaveQueue(s.path, runId);
  s.release();
  // How the run ends is the loop's business (it works the queue laid down here); its end writes the proof either way.
  await proc.exited;
  expect(existsSync(proofFile(s.path))).toBe(true);
});
afterAll(async () => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
  await s[Symbol.asyncDispose]();
});

describe("the task queue in a real run's proof", () => {
  test("the run's end puts the queue it finds into proof.json, its failure redacted once", () => {
    const file = ProofFile.parse(JSON.parse(readFileSync(proofFile(s.path), "utf8")));
    const view = readQueueView(workspaceAt(s.path), runId);
    expect(view).not.toBeNull();
    if (!view) return;
    const dead = view.dead_letter.map((t) => ({ ...t, last_failure: expect.any(String) }));
    expect(file.payload.queue).toEqual({ ...view, dead_letter: dead });
    expect(file.payload.queue?.dead_letter).toMatchObject([{ id: "t2", title: XSS, attempts: 3 }]);
    const failure = file.payload.queue?.dead_letter[0]?.last_failure ?? "";
    expect(failure).toStartWith("tests: 1 failing; the log said token=");
    expect(failure).not.toContain(FAKE_GITHUB_TOKEN);
    expect(file.payload.redaction.total).toBeGreaterThan(0);
    expect(readFileSync(proofFile(s.path), "utf8")).not.toContain(FAKE_GITHUB_TOKEN);
  });

  test("the page's Tasks section names the dead-lettered task first, and shows a title that is markup as text", () => {
    const html = readFileSync(join(s.path, ".loki", "proofs", runId, "index.html"), "utf8");
    const section = html.slice(html.indexOf('<section id="tasks">'), html.indexOf("</section>", html.indexOf('<section id="tasks">')));
    // The loop works the queue (it may start, finish and add tasks): the counts are the proof's own.
    const q = ProofFile.parse(JSON.parse(readFileSync(proofFile(s.path), "utf8"))).payload.queue;
    if (!q) throw new Error("the proof has no queue");
    const current = q.current ? "1 current" : "none current";
    const replans = `${q.replans} re-plan${q.replans === 1 ? "" : "s"}`;
    expect(section).toContain(`${q.done.length} done · ${current} · ${q.pending.length} pending · 1 dead-lettered · ${replans}`);
    for (const t of [...q.done, ...q.pending]) expect(section).toContain(`<code>${t.id}</code>`);
    expect(section).toContain("dead-lettered</span> 1 task given up on");
    expect(section.indexOf("<code>t2</code>")).toBeLessThan(section.indexOf("<code>t1</code>"));
    expect(section).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(html).not.toContain(XSS);
    expect(html).not.toContain(FAKE_GITHUB_TOKEN);
  });

  test("`loki proof verify` is clean (exit 0)", async () => {
    const verify = await s.loki(["proof", "verify", runId, "--json"]);
    expect(verify.code).toBe(0);
    expect(verify.json<Report>().status).toBe("clean");
  });

  test.each<[string, (queue: Record<string, unknown[]>) => void]>([
    ["a dead-lettered task dropped", (queue) => queue.dead_letter?.splice(0)],
    ["a dead-lettered task's attempts lowered", (queue) => Object.assign(queue.dead_letter?.[0] ?? {}, { attempts: 1 })],
  ])("a changed queue section (%s) is tampered: exit 1", async (_name, edit) => {
    const repo = copyRepo();
    const raw = JSON.parse(readFileSync(proofFile(repo), "utf8")) as { payload: { queue: Record<string, unknown[]> } };
    edit(raw.payload.queue);
    writeFileSync(proofFile(repo), `${JSON.stringify(raw, null, 2)}\n`);
    const result = await loki(["proof", "verify", runId, "--json"], { cwd: repo, env: s.env });
    expect(result.code).toBe(1);
    const report = result.json<Report>();
    expect(report.status).toBe("tampered");
    expect(report.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(["hash", "signature"]);
  });

  test("a proof without a queue (a run with none, or one written before queues) has no section and still verifies", async () => {
    const repo = copyRepo();
    rmSync(join(repo, ".loki", "queue"), { recursive: true, force: true });
    const { dir, file } = await writeProof(workspaceAt(repo), runId);
    expect("queue" in file.payload).toBe(false);
    expect(readFileSync(join(dir, "index.html"), "utf8")).not.toContain('<section id="tasks">');
    const result = await loki(["proof", "verify", runId, "--json"], { cwd: repo, env: s.env });
    expect([result.code, result.json<Report>().status]).toEqual([0, "clean"]);
  });

  test("writeProof takes the queue its caller read, and another run's queue is none", async () => {
    const repo = copyRepo();
    const ws = workspaceAt(repo);
    writeNewQueue(ws, plan("20251231-000000-old"), [task("t9", "Old work")]);
    expect(readQueueView(ws, runId)).toBeNull();
    const view = readQueueView(workspaceAt(s.path), runId) ?? undefined;
    const { file } = await writeProof(ws, runId, { queue: view });
    expect(file.payload.queue?.done).toEqual(view?.done ?? []);
    expect(file.payload.queue?.dead_letter.map((t) => t.id)).toEqual(["t2"]);
  });
});
