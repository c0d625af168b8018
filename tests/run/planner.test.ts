// The planning pass and the task queue, end to end with the scripted fake claude: a plan worked task
// by task, a malformed plan (retried once, then the checklist), a planner that writes or leaks a key,
// a task that fails until it is dead-lettered, and the empty diff that loki's own architecture commit must not hide.
import { describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir as tmpdirSync } from "node:os";
import { join } from "node:path";
import { QueueFile, QueuePlan } from "../../src/core/queue-schema.ts";
import { Spec } from "../../src/core/schema.ts";
import { selectHeldOut } from "../../src/spec/heldout.ts";
import { agentPrompt, PRD, PRD_MATH4, scenarioRepo, type Scenario } from "../helpers/scenario.ts";
import { git } from "../helpers/tmp.ts";

const PLANNED = "council: false\nplanner:\n  mode: on\n";
const fnOf = (text: string) => /^(\w+)\(/.exec(text)?.[1] ?? "";

function queueList(s: Scenario, list: string) {
  return QueueFile.parse(JSON.parse(readFileSync(join(s.path, ".loki", "queue", `${list}.json`), "utf8"))).tasks;
}
function queuePlan(s: Scenario) {
  return QueuePlan.parse(JSON.parse(readFileSync(join(s.path, ".loki", "queue", "plan.json"), "utf8")));
}
function buildPrompts(s: Scenario): string[] {
  const calls = Number(readFileSync(join(s.state, "calls"), "utf8"));
  return Array.from({ length: calls }, (_, i) => agentPrompt(s, i + 1));
}
/** The PRD's items as the run saw them, and which one is held out. */
function items(s: Scenario) {
  const spec = Spec.parse(JSON.parse(readFileSync(join(s.path, ".loki", "state", "run-spec.json"), "utf8")));
  const hidden = new Set(selectHeldOut(spec.items).map((i) => i.id));
  return { all: spec.items, hidden: spec.items.filter((i) => hidden.has(i.id)), shown: spec.items.filter((i) => !hidden.has(i.id)) };
}

describe("planning pass", () => {
  test("a plan is worked task by task, its note is committed outside the graded diff, and the run verifies", async () => {
    await using s = await scenarioRepo("tasks", PLANNED, {}, PRD_MATH4);
    const result = await s.loki(["start", "prd.md", "--yes"]);
    expect(result.code, result.stderr).toBe(0);
    const { hidden, shown } = items(s);
    const made = s.events().filter((e) => e.kind === "plan_made");
    expect(made).toMatchObject([{ source: "planner", tasks: shown.length, calls: 1, architecture: "docs/architecture.md" }]);
    // One task per iteration, in the plan's order, each prompt naming its task and the role's module.
    const started = s.events().flatMap((e) => (e.kind === "task_started" ? [e.task] : []));
    expect(started).toEqual(shown.map((_, i) => `t${i + 1}`));
    const prompts = buildPrompts(s);
    prompts.forEach((p, i) => expect(p).toContain(`## Your task now: [t${i + 1}] Implement ${fnOf(shown[i]?.text ?? "")}`));
    expect(prompts.at(-1)).toContain("Working as a test engineer");
    expect(prompts[0]).toContain("Working as a backend engineer");
    expect(prompts[0]).toContain("docs/architecture.md");
    expect(queueList(s, "done").map((t) => t.id)).toEqual(shown.map((_, i) => `t${i + 1}`));
    // The note is loki's commit, the run's base: the graded change is the agent's work alone.
    const state = s.orchestrator();
    expect(git(s.path, ["log", "-1", "--format=%s", state.start_sha]).trim()).toBe("loki: architecture note (planning pass)");
    expect(git(s.path, ["diff", "--name-only", state.start_sha, "HEAD"]).trim().split("\n").sort()).toEqual(["math.js", "math.test.js"]);
    expect(s.completion()).toMatchObject({ outcome: "verified", diffstat: { files: 2 } });
    // Held out from the planner: neither its prompt nor the queue names the held-out item.
    const planned = readFileSync(join(s.path, ".loki", "planning", "prompt.md"), "utf8");
    const queueText = readdirSync(join(s.path, ".loki", "queue"))
      .map((f) => readFileSync(join(s.path, ".loki", "queue", f), "utf8"))
      .join("\n");
    for (const item of hidden) {
      expect(planned).not.toContain(item.text);
      expect(planned).not.toContain(item.id);
      expect(queueText).not.toContain(item.id);
    }
    // Billed as the planning pass, on the planning tier's model.
    expect(s.ledger().filter((e) => e.role === "plan")).toMatchObject([{ model: "claude-opus-5-5", iteration: 0 }]);
    const status = JSON.parse((await s.loki(["status", "--json"])).stdout);
    expect(status.queue).toMatchObject({ source: "planner", current: null, pending: [], dead_letter: [] });
    expect(status.queue.done).toHaveLength(shown.length);
  });

  test("a malformed plan is asked for once more; unusable twice, the run works the checklist as one task", async () => {
    await using once = await scenarioRepo("tasks", PLANNED, { FAKE_PLAN: "malformed-once" }, PRD_MATH4);
    expect((await once.loki(["start", "prd.md", "--yes"])).code).toBe(0);
    expect(queuePlan(once)).toMatchObject({ source: "planner", calls: 2 });
    expect(once.ledger().filter((e) => e.role === "plan")).toHaveLength(2);

    await using twice = await scenarioRepo("honest", PLANNED, { FAKE_PLAN: "garbage" }, PRD);
    const result = await twice.loki(["start", "prd.md", "--yes"]);
    expect(result.code, result.stderr).toBe(0);
    expect(queuePlan(twice)).toMatchObject({ source: "fallback", calls: 2, architecture: null });
    expect(queuePlan(twice).note).toMatch(/unusable twice: expected one fenced json block, found 0/);
    expect(result.stderr).toMatch(/planner: no usable plan .*working the checklist as one task/);
    expect(existsSync(join(twice.path, "docs", "architecture.md"))).toBe(false);
    expect(agentPrompt(twice, 1)).not.toContain("## Your task now");
  });

  for (const [mode, reason] of [
    ["cycle", /dependencies form a cycle/],
    ["unknown-item", /task t1 names an item that is not on the checklist/],
  ] as const)
    test(`a plan whose ${mode} breaks the graph is not used`, async () => {
      await using s = await scenarioRepo("honest", PLANNED, { FAKE_PLAN: mode }, PRD);
      expect((await s.loki(["start", "prd.md", "--yes"])).code).toBe(0);
      expect(queuePlan(s).source).toBe("fallback");
      expect(queuePlan(s).note).toMatch(reason);
    });

  test("a planner's shell write fails in loki's sandbox: nothing lands, and its plan is used", async () => {
    await using s = await scenarioRepo("tasks", PLANNED, { FAKE_PLAN: "write" }, PRD_MATH4);
    expect((await s.loki(["start", "prd.md", "--yes"])).code).toBe(0);
    expect(queuePlan(s)).toMatchObject({ source: "planner", calls: 1 });
    expect(s.trustEvents().some((e) => e.kind === "reviewer_mutation")).toBe(false);
    expect(existsSync(join(s.path, "planner-was-here.txt"))).toBe(false);
  });

  test("unsandboxed, a planner that writes to its copy is discarded as a mutation; the user's tree never sees the write", async () => {
    await using s = await scenarioRepo("honest", PLANNED, { FAKE_PLAN: "write" }, PRD);
    await s.loki(["start", "prd.md", "--yes", "--no-sandbox"]);
    expect(queuePlan(s)).toMatchObject({ source: "fallback", calls: 1 });
    expect(queuePlan(s).note).toMatch(/wrote to its review copy/);
    expect(s.trustEvents().filter((e) => e.kind === "reviewer_mutation")).toHaveLength(1);
    expect(existsSync(join(s.path, "planner-was-here.txt"))).toBe(false);
  });

  test("the planner cannot read the held-out items: not the spec in its copy or the repository, not git", async () => {
    await using s = await scenarioRepo("tasks", PLANNED, { FAKE_PLAN: "read-spec" }, PRD_MATH4);
    const result = await s.loki(["start", "prd.md", "--yes"], { FAKE_PLAN_SPEC: join(s.path, "prd.md") });
    expect(result.code, result.stderr).toBe(0);
    const { hidden, shown } = items(s);
    const note = readFileSync(join(s.path, "docs", "architecture.md"), "utf8");
    // It tried all four (each left its heading), and read none of the spec's items.
    expect(note).toContain("## git show HEAD:prd.md");
    for (const item of [...hidden, ...shown]) expect(note).not.toContain(item.text);
    expect(queuePlan(s).source).toBe("planner");
  });

  test("unsandboxed, a plan that names a held-out item is discarded: the note is never written, the run works the checklist", async () => {
    await using s = await scenarioRepo("honest", PLANNED, { FAKE_PLAN: "read-spec" }, PRD_MATH4);
    await s.loki(["start", "prd.md", "--yes", "--no-sandbox"], { FAKE_PLAN_SPEC: join(s.path, "prd.md") });
    expect(queuePlan(s)).toMatchObject({ source: "fallback", calls: 1, architecture: null });
    expect(queuePlan(s).note).toBe("the plan names a held-out item; it was discarded");
    expect(existsSync(join(s.path, "docs", "architecture.md"))).toBe(false);
    const queueText = readdirSync(join(s.path, ".loki", "queue"))
      .map((f) => readFileSync(join(s.path, ".loki", "queue", f), "utf8"))
      .join("\n");
    for (const item of items(s).hidden) expect(queueText).not.toContain(item.text);
  });

  test("a delegated run's planner (--worktree) and one given the spec through a symlink cannot read it either", async () => {
    await using s = await scenarioRepo("tasks", `${PLANNED}max_iterations: 1\n`, { FAKE_PLAN: "read-spec" }, PRD_MATH4);
    await s.loki(["start", "prd.md", "--worktree", "--yes"], { FAKE_PLAN_SPEC: join(s.path, "prd.md") });
    const trees = join(s.path, ".loki", "worktrees");
    const tree = join(trees, readdirSync(trees)[0] ?? "");
    const plan = QueuePlan.parse(JSON.parse(readFileSync(join(tree, ".loki", "queue", "plan.json"), "utf8")));
    expect(plan.source).toBe("planner");
    const note = readFileSync(join(tree, "docs", "architecture.md"), "utf8");
    expect(note).toContain("## cat prd.md");
    expect(note).not.toContain("returns the quotient");

    await using linked = await scenarioRepo("tasks", PLANNED, { FAKE_PLAN: "read-spec" }, PRD_MATH4);
    const link = join(tmpdirSync(), `loki-spec-link-${process.pid}-${Date.now()}.md`);
    symlinkSync(join(linked.path, "prd.md"), link);
    try {
      const result = await linked.loki(["start", link, "--yes"], { FAKE_PLAN_SPEC: link });
      expect(result.code, result.stderr).toBe(0);
    } finally {
      rmSync(link, { force: true });
    }
    expect(queuePlan(linked).source).toBe("planner");
    expect(readFileSync(join(linked.path, "docs", "architecture.md"), "utf8")).not.toContain("returns the quotient");
  });

  test("a note is never written through a symlink, nor over a docs/ that is not a directory", async () => {
    const outside = join(tmpdirSync(), "planted-authorized_keys");
    await using linked = await scenarioRepo("tasks", PLANNED, {}, PRD_MATH4);
    mkdirSync(join(linked.path, "docs"));
    symlinkSync(outside, join(linked.path, "docs", "architecture.md"));
    git(linked.path, ["add", "-A"]);
    git(linked.path, ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a dangling link"]);
    expect((await linked.loki(["start", "prd.md", "--yes"])).code).toBe(0);
    expect(existsSync(outside)).toBe(false);
    expect(lstatSync(join(linked.path, "docs", "architecture.md")).isSymbolicLink()).toBe(true);
    expect(queuePlan(linked).architecture).toMatchObject({ path: "docs/architecture.md", sha: null });
    const start = linked.orchestrator().start_sha;
    expect(git(linked.path, ["diff", "--name-only", start, "HEAD"]).trim().split("\n").sort()).toEqual(["math.js", "math.test.js"]);

    await using file = await scenarioRepo("tasks", PLANNED, {}, PRD_MATH4);
    writeFileSync(join(file.path, "docs"), "not a directory\n");
    git(file.path, ["add", "-A"]);
    git(file.path, ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "docs is a file"]);
    const result = await file.loki(["start", "prd.md", "--yes"]);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(file.path, "docs"), "utf8")).toBe("not a directory\n");
    expect(result.stderr).toContain("architecture note not written: docs/ is not a directory");
  });

  test("a resume that finds no queue never plans mid-run, nor moves the run's base over work done", async () => {
    await using s = await scenarioRepo("tasks", `${PLANNED}max_iterations: 1\n`, {}, PRD_MATH4);
    await s.loki(["start", "prd.md", "--yes"]);
    const before = s.orchestrator().start_sha;
    rmSync(join(s.path, ".loki", "queue"), { recursive: true });
    await s.loki(["resume", "--max-iterations", "3"]);
    expect(s.ledger().filter((e) => e.role === "plan")).toHaveLength(1);
    expect(s.orchestrator().start_sha).toBe(before);
    expect(queuePlan(s)).toMatchObject({ source: "checklist", note: "resumed without a queue: no planning pass mid-run" });
  });

  test("a resume keeps the models the run started with, whatever loki.yaml says by then", async () => {
    await using s = await scenarioRepo("honest", "council: false\nmax_iterations: 1\n", {}, PRD);
    await s.loki(["start", "prd.md", "--yes"]);
    // What an agent with a shell could commit between two processes of the run: a cheaper pin for every
    // call, reviewers included (the pin is no grading key: the diff's gates let it through).
    writeFileSync(join(s.path, "loki.yaml"), `${readFileSync(join(s.path, "loki.yaml"), "utf8")}model: claude-haiku-5-5\n`);
    git(s.path, ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "cheaper"]);
    const result = await s.loki(["resume", "--max-iterations", "3"]);
    expect(result.stderr).toMatch(/a run keeps its grading and sandbox settings: .*model: "claude-haiku-5-5" \(the run keeps \(none\)\)/);
    expect(new Set(s.ledger().map((e) => e.model))).toEqual(new Set(["claude-sonnet-5-5"]));
    expect(s.ledger().some((e) => e.role === "judge")).toBe(true);
  });

  test("an architecture note holding a key is never written into the repository", async () => {
    await using s = await scenarioRepo("tasks", PLANNED, { FAKE_PLAN: "secret-note" }, PRD_MATH4);
    await s.loki(["start", "prd.md", "--yes"]);
    expect(queuePlan(s)).toMatchObject({ source: "planner", architecture: null });
    expect(existsSync(join(s.path, "docs", "architecture.md"))).toBe(false);
    expect(s.events().some((e) => e.kind === "warning" && /looks like a secret/.test(e.message))).toBe(true);
  });

  test("loki's architecture commit is not the agent's work: a lazy agent's diff is still empty", async () => {
    await using s = await scenarioRepo("lazy", `${PLANNED}max_iterations: 2\n`, {}, PRD_MATH4);
    const result = await s.loki(["start", "prd.md", "--yes"]);
    expect(result.code).not.toBe(0);
    expect(s.completion().outcome).not.toBe("verified");
    expect(s.gates(1).find((g) => g.id === "diff")?.status).not.toBe("pass");
  });

  test("a simple spec makes no planning call: its checklist is one task and the prompt is unchanged", async () => {
    await using s = await scenarioRepo("honest", "council: false\n", {}, PRD);
    expect((await s.loki(["start", "prd.md", "--yes"])).code).toBe(0);
    expect(s.ledger().filter((e) => e.role === "plan")).toHaveLength(0);
    expect(queuePlan(s)).toMatchObject({ source: "checklist", calls: 0 });
    expect(agentPrompt(s, 1)).not.toContain("## Your task now");
  });
});

describe("escalation and the dead-letter queue", () => {
  async function stuckRun(fixLast: boolean, extra = "") {
    const probe = await scenarioRepo("tasks", PLANNED, {}, PRD_MATH4);
    await probe.loki(["plan", "prd.md"]);
    const spec = Spec.parse(JSON.parse(readFileSync(join(probe.path, ".loki", "spec", "spec.json"), "utf8")));
    await probe[Symbol.asyncDispose]();
    const hidden = new Set(selectHeldOut(spec.items).map((i) => i.id));
    const first = spec.items.find((i) => !hidden.has(i.id));
    const stuck = fnOf(first?.text ?? "");
    const s = await scenarioRepo(
      "tasks",
      `${PLANNED}max_iterations: 9\nstagnation_limit: 20\n${extra}`,
      { FAKE_STUCK: stuck, FAKE_JUDGE: "check-functions", ...(fixLast ? { FAKE_STUCK_FIX_LAST: "1" } : {}) },
      PRD_MATH4,
    );
    const result = await s.loki(["start", "prd.md", "--yes"]);
    return { s, result, stuck };
  }

  test("a task failing five times is dead-lettered, the run moves on, and the summary and proof list it", async () => {
    const { s, result } = await stuckRun(false);
    await using _ = s;
    const finished = s.events().filter((e) => e.kind === "task_finished" && e.task === "t1");
    expect(finished.map((e) => (e.kind === "task_finished" ? e.outcome : ""))).toEqual(["retry", "retry", "retry", "retry", "dead_letter"]);
    // From the fourth attempt on, the prompt asks for a simpler approach.
    const prompts = buildPrompts(s);
    expect(prompts.slice(0, 3).some((p) => p.includes("simpler approach"))).toBe(false);
    expect(prompts[3]).toContain("## This task has failed 3 times");
    // The run went on to the next task.
    expect(s.events().some((e) => e.kind === "task_started" && e.task === "t2")).toBe(true);
    expect(queueList(s, "dead-letter").map((t) => t.id)).toEqual(["t1"]);
    const completion = s.completion();
    expect(completion.outcome).not.toBe("verified");
    expect(result.code).not.toBe(0);
    expect(completion.dead_letter).toMatchObject([{ id: "t1", attempts: 5 }]);
    expect(readFileSync(join(s.path, ".loki", "COMPLETION.txt"), "utf8")).toMatch(/dead-lettered tasks .*: 1\n {2}- \[t1\]/);
    expect(s.proof().payload.queue?.dead_letter.map((t) => t.id)).toEqual(["t1"]);
  });

  test("held-out off: a run that dead-lettered a task and then built everything still verifies", async () => {
    const { s, result } = await stuckRun(true, "heldout: false\n");
    await using _ = s;
    expect(queueList(s, "dead-letter").map((t) => t.id)).toEqual(["t1"]);
    expect(result.code, result.stderr).toBe(0);
    expect(s.completion().reason).toContain("items");
  });

  test("with a task dead-lettered, VERIFIED needs every visible item to pass the every-item check too", async () => {
    const { s, result } = await stuckRun(true);
    await using _ = s;
    expect(queueList(s, "dead-letter").map((t) => t.id)).toEqual(["t1"]);
    expect(result.code, result.stderr).toBe(0);
    const ship = s
      .events()
      .filter((e) => e.kind === "ship_gate")
      .at(-1);
    expect(ship).toMatchObject({ verdict: "VERIFIED" });
    expect(s.completion().reason).toContain("items");
    expect(s.reviews().some((r) => r.first.startsWith("# Acceptance check (dead-lettered tasks)"))).toBe(true);
  });
});
