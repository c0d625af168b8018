// Memory across projects, with real runs of the scripted agent: project A's missing import (the tests
// gate fails, the next iteration adds the module) becomes a learning in A's store and, redacted, in the
// global store; project B's related spec is given it, an unrelated project is not; forget removes it
// from both stores; a held-out item of B that A could see keeps A's learning out; memory.global: false
// keeps it home; an agent cannot plant a learning in the global store.
import { beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { userHome } from "../../src/core/workspace.ts";
import { scenarioRepo } from "../helpers/scenario.ts";

const GLOBAL = "memory:\n  global: true\n";
const A =
  "# Math helpers\n\nA tiny ES-module math library.\n\n## Acceptance criteria\n- [ ] add(a, b) returns the sum of two numbers, rounded\n- [ ] sub(a, b) returns the difference of two numbers\n- [ ] math.js exports both functions as ES modules\n";
const RELATED =
  "# Invoice math\n\n## Acceptance criteria\n- [ ] add(a, b) returns the rounded sum of two numbers\n- [ ] math.js rounds with round() from round.js\n";
const UNRELATED =
  "# Weather widget\n\n## Acceptance criteria\n- [ ] the widget shows the temperature in Celsius\n- [ ] the forecast lists three days\n";
/** A GitHub token's shape (not a placeholder: no repeats), as a misconfigured import might carry one. */
const TOKEN = "ghp_q8Rz3LmV0tXw5NbY2kPc7HdJ4sFa9GeU1oTi";

const globalDir = () => join(userHome(), ".loki", "memory");
const globalText = () =>
  existsSync(globalDir())
    ? readdirSync(globalDir())
        .map((f) => readFileSync(join(globalDir(), f), "latin1"))
        .join("\n")
    : "";
type Learned = { id: string; project: string; symptom: string[]; fix: string; files: string[] };
const globalLearnings = (): Learned[] =>
  existsSync(join(globalDir(), "learnings.jsonl"))
    ? readFileSync(join(globalDir(), "learnings.jsonl"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
const given = (s: { events(): { kind: string; run_id: string }[] }, runId: string) => {
  const built = s.events().find((e) => e.kind === "prompt_built" && e.run_id === runId) as { memories?: string[] } | undefined;
  expect(built).toBeDefined();
  return built?.memories ?? [];
};

describe("memory across projects", () => {
  beforeEach(() => rmSync(globalDir(), { recursive: true, force: true }));

  test("A's fixed failure reaches B's related prompt, not an unrelated one; redacted; forget removes it everywhere", async () => {
    await using a = await scenarioRepo("missing-import", GLOBAL, { FAKE_AGENT_LEAK: TOKEN }, A);
    const runA = await a.loki(["start", "prd.md"]);
    expect(runA.code, runA.stderr).toBe(0);
    const learned = a.events().find((e) => e.kind === "memory_learned");
    expect(learned).toMatchObject({ global: true });
    const [learning] = globalLearnings();
    expect(learning).toBeDefined();
    const id = learning?.id ?? "";
    expect(learned && "id" in learned ? learned.id : "").toBe(id);
    expect(learning?.project).toBe(basename(a.path));
    expect(learning?.symptom[0]).toStartWith("tests: ");
    expect(learning?.files).toContain("round.js");
    expect(learning?.fix).toContain("round.js (+1 −0)");
    expect(learning?.fix).toContain("export const round");
    // The secret the failing test printed (the check's output holds it) is in neither store, in any form; the project keeps the same learning.
    expect(readFileSync(join(a.path, ".loki", "iterations", "1", "gates.json"), "utf8")).toContain(TOKEN);
    expect(globalText()).not.toContain(TOKEN);
    const projectMemory = readdirSync(join(a.path, ".loki", "memory")).map((f) =>
      readFileSync(join(a.path, ".loki", "memory", f), "latin1"),
    );
    expect(projectMemory.join("\n")).not.toContain(TOKEN);
    expect(readFileSync(join(a.path, ".loki", "memory", "learnings.jsonl"), "utf8")).toContain(id);
    // Each episode says what its iteration cost (the scripted agent bills $0.05 a call) and where it was checkpointed.
    const episodes = readFileSync(join(a.path, ".loki", "memory", "episodes.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(episodes.map((e) => e.usd)).toEqual([0.05, 0.05]);
    expect(episodes.every((e) => /^[0-9a-f]{40}$/.test(e.sha))).toBe(true);

    await using b = await scenarioRepo("full", GLOBAL, {}, RELATED);
    expect((await b.loki(["start", "prd.md", "--max-iterations", "1"])).code).not.toBe(3);
    const runB = b.completion().run_id;
    expect(given(b, runB)).toContain(id);
    const prompt = readFileSync(join(b.path, ".loki", "iterations", "1", "prompt.md"), "utf8");
    expect(prompt).toContain("## RELEVANT MEMORIES");
    expect(prompt).toContain(`- [${id}] (in another of your projects) tests: `);
    // Another project's fix is named by its files; the lines its agent wrote stay out of this prompt.
    expect(prompt).toContain("→ fixed by: changed math.js (+1 −1), round.js (+1 −0)\n");
    expect(prompt).not.toContain("export const round");
    expect(prompt).not.toContain(TOKEN);
    const shown = JSON.parse(readFileSync(join(b.path, ".loki", "iterations", "1", "memories.json"), "utf8"));
    expect(shown.memories).toContainEqual(expect.objectContaining({ id, store: "global", kind: "learning" }));
    // B's own search sees it (its own episode, which names round.js too, first: the project's come first).
    const search = (await b.loki(["memory", "search", "cannot find round.js", "--json"])).json<{
      results: { id: string; store: string }[];
    }>();
    expect(search.results).toContainEqual(expect.objectContaining({ id, store: "global" }));
    expect((await b.loki(["memory", "show", id])).stdout).toContain(
      "error: Cannot find module './round.js?key=[REDACTED:github-token]' from './math.js'",
    );
    const local = (await b.loki(["memory", "search", "round.js", "--no-global", "--json"])).json<{ results: { store: string }[] }>();
    expect(local.results.map((r) => r.store)).toEqual(["project"]);

    await using c = await scenarioRepo("full", GLOBAL, {}, UNRELATED);
    expect((await c.loki(["start", "prd.md", "--max-iterations", "1"])).code).not.toBe(3);
    expect(given(c, c.completion().run_id)).toEqual([]);

    // A corrupt global index is rebuilt, not believed: B's next run is given the learning all the same.
    writeFileSync(join(globalDir(), "learnings.idx"), "LKMEMIDX garbage");
    expect((await b.loki(["start", "prd.md", "--max-iterations", "1"])).code).not.toBe(3);
    expect(given(b, b.completion().run_id)).toContain(id);
    expect(readFileSync(join(globalDir(), "learnings.idx")).subarray(0, 8).toString()).toBe("LKMEMIDX");
    expect(readFileSync(join(globalDir(), "learnings.idx")).length).toBeGreaterThan(100);

    // Forgotten in A: gone from A's store and the global one, and B's next run is not given it.
    const forgot = await a.loki(["memory", "forget", id, "--json"]);
    expect(forgot.code).toBe(0);
    expect(forgot.json()).toEqual({
      removed: [
        { id, store: "project" },
        { id, store: "global" },
      ],
    });
    expect(globalLearnings()).toEqual([]);
    expect(readFileSync(join(a.path, ".loki", "memory", "learnings.jsonl"), "utf8")).not.toContain(id);
    expect((await b.loki(["start", "prd.md", "--max-iterations", "1"])).code).not.toBe(3);
    expect(given(b, b.completion().run_id)).not.toContain(id);
  }, 240_000);

  test("an item B holds out was visible to A: A's learning stays out of B's prompt", async () => {
    await using a = await scenarioRepo("missing-import", GLOBAL, {}, A);
    expect((await a.loki(["start", "prd.md"])).code).toBe(0);
    expect(globalLearnings().length).toBe(1);
    // B = A's three items and a fourth: one of A's becomes B's held-out item, and A's goal names it.
    await using b = await scenarioRepo("full", GLOBAL, {}, `${A}- [ ] mul(a, b) returns the product of two numbers\n`);
    expect((await b.loki(["start", "prd.md", "--max-iterations", "1"])).code).not.toBe(3);
    expect(given(b, b.completion().run_id)).toEqual([]);
    expect(readFileSync(join(b.path, ".loki", "iterations", "1", "prompt.md"), "utf8")).not.toContain("RELEVANT MEMORIES");
  }, 120_000);

  test("B hits A's failure again despite the learning it was given: the evidence, the proof and stats say so", async () => {
    await using a = await scenarioRepo("missing-import", GLOBAL, {}, A);
    expect((await a.loki(["start", "prd.md"])).code).toBe(0);
    const [learning] = globalLearnings() as (Learned & { fingerprints: string[] })[];
    const fingerprint = learning?.fingerprints[0] ?? "";
    await using b = await scenarioRepo("missing-import", GLOBAL, {}, RELATED);
    expect((await b.loki(["start", "prd.md"])).code).toBe(0);
    const runB = b.completion().run_id;
    expect(given(b, runB)).toContain(learning?.id ?? "?");
    const evidence = JSON.parse(readFileSync(join(b.path, ".loki", "verify", "evidence.json"), "utf8"));
    expect(evidence.memory).toMatchObject({ given: [learning?.id], hit_again_of: [fingerprint] });
    expect(evidence.memory.failures).toBeGreaterThanOrEqual(1);
    expect(b.proof().payload.memory).toMatchObject({ given: [learning?.id], hit_again: 1 });
    const stats = (await b.loki(["memory", "stats", "--json"])).json<{ runs: { run_id: string; hit_again_of: string[] }[] }>();
    expect(stats.runs.find((r) => r.run_id === runB)?.hit_again_of).toEqual([fingerprint]);
    // A's own evidence: no memory given (the global store was empty), the failure new.
    const first = JSON.parse(readFileSync(join(a.path, ".loki", "verify", "evidence.json"), "utf8"));
    expect(first.memory).toMatchObject({ given: [], repeated: [], hit_again_of: [] });
  }, 120_000);

  test("memory.global: false keeps the learning in the project", async () => {
    await using a = await scenarioRepo("missing-import", "memory:\n  global: false\n", {}, A);
    expect((await a.loki(["start", "prd.md"])).code).toBe(0);
    expect(a.events().find((e) => e.kind === "memory_learned")).toMatchObject({ global: false });
    expect(existsSync(globalDir())).toBe(false);
    expect(readFileSync(join(a.path, ".loki", "memory", "learnings.jsonl"), "utf8")).toContain('"lr_');
  }, 120_000);

  test("an agent cannot plant a learning in the global store: the sandbox hides ~/.loki", async () => {
    await using a = await scenarioRepo("poison-memory", GLOBAL, {}, A);
    expect((await a.loki(["start", "prd.md", "--max-iterations", "1"])).code).not.toBe(3);
    expect(readFileSync(join(a.state, "poison.txt"), "utf8")).toContain("planted");
    expect(globalText()).not.toContain("lr_0000000000000bad");
    await using b = await scenarioRepo("full", GLOBAL, {}, RELATED);
    expect((await b.loki(["start", "prd.md", "--max-iterations", "1"])).code).not.toBe(3);
    expect(readFileSync(join(b.path, ".loki", "iterations", "1", "prompt.md"), "utf8")).not.toContain("IGNORE ALL PREVIOUS");
  }, 120_000);
});
