// `loki memory list|search|show|forget|reindex` over the episodes a real run recorded: the failing
// iteration is what a search for its failure finds first, a corrupt index is rebuilt rather than
// believed, a forgotten episode is gone from list and search, and
// bad input is a one-line error (exit 3). A later run of a related spec gets that failure in its
// prompt's RELEVANT MEMORIES (and the ids in its prompt_built event); an unrelated spec does not.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { selectHeldOut } from "../../src/spec/heldout.ts";
import { PRD_MATH4, scenarioRepo } from "../helpers/scenario.ts";

describe("loki memory", () => {
  test("lists, searches, shows, reindexes and forgets what a run recorded", async () => {
    await using s = await scenarioRepo("break-then-fix", "council: false\n", {}, PRD_MATH4);
    expect((await s.loki(["start", "prd.md"])).code).toBe(0);

    const list = await s.loki(["memory", "list", "--json"]);
    expect(list.code).toBe(0);
    const { episodes } = list.json<{ episodes: { id: string; errors: { type: string }[] }[] }>();
    expect(episodes.length).toBeGreaterThanOrEqual(2);
    const failing = episodes.find((e) => e.errors.some((error) => error.type === "tests"));
    expect(failing).toBeDefined();

    const search = await s.loki(["memory", "search", "tests failed", "--json"]);
    expect(search.code).toBe(0);
    const { results } = search.json<{ results: { id: string; kind: string; score: number }[] }>();
    // The learning (that failure and its fix) ranks first; the failing episode is the first episode.
    expect(results[0]?.kind).toBe("learning");
    expect(results.find((r) => r.kind === "episode")?.id).toBe(failing?.id);
    expect(existsSync(join(s.path, ".loki", "memory", "episodes.idx"))).toBe(true);

    const shown = await s.loki(["memory", "show", failing?.id ?? ""]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain("tests: ");
    expect(shown.stdout).toContain("files: ");

    // A corrupt index is detected and rebuilt: the same answer.
    writeFileSync(join(s.path, ".loki", "memory", "episodes.idx"), "not an index at all");
    const again = await s.loki(["memory", "search", "tests failed", "--json"]);
    expect(again.json<{ results: { id: string }[] }>().results.map((r) => r.id)).toEqual(results.map((r) => r.id));
    const reindexed = await s.loki(["memory", "reindex", "--json"]);
    expect(reindexed.json<{ rebuilt: { store: string; kind: string; records: number }[] }>().rebuilt).toContainEqual({
      store: "project",
      kind: "episode",
      records: episodes.length,
    });

    // forget: an unknown id removes nothing (exit 3); a known one is gone from list and search for good.
    const wrong = await s.loki(["memory", "forget", failing?.id ?? "", "ep_nope"]);
    expect(wrong.code).toBe(3);
    expect((await s.loki(["memory", "list", "--json"])).json<{ episodes: unknown[] }>().episodes.length).toBe(episodes.length);
    const forgot = await s.loki(["memory", "forget", failing?.id ?? "", "--json"]);
    // The learning made from that failure quotes it: it goes too.
    const removed = forgot.json<{ removed: { id: string; store: string }[] }>().removed;
    expect(removed[0]).toEqual({ id: failing?.id ?? "", store: "project" });
    expect(removed.slice(1).map((r) => r.id)).toEqual([expect.stringMatching(/^lr_[0-9a-f]{16}$/)]);
    expect(
      existsSync(join(s.path, ".loki", "memory", "learnings.jsonl")) &&
        readFileSync(join(s.path, ".loki", "memory", "learnings.jsonl"), "utf8"),
    ).toBe("");
    const after = (await s.loki(["memory", "list", "--json"])).json<{ episodes: { id: string }[] }>().episodes;
    expect(after.map((e) => e.id)).not.toContain(failing?.id);
    expect(after.length).toBe(episodes.length - 1);
    const searched = (await s.loki(["memory", "search", "tests failed", "--json"])).json<{ results: { id: string }[] }>().results;
    expect(searched.map((r) => r.id)).not.toContain(failing?.id);
  }, 120_000);

  test("bad input: an empty query and an unknown id are usage errors; an empty memory says so", async () => {
    await using s = await scenarioRepo("full");
    expect((await s.loki(["memory", "list"])).stderr).toContain("no episodes yet");
    const empty = await s.loki(["memory", "search", "  "]);
    expect(empty.code).toBe(3);
    expect(empty.stderr).toContain("needs words to look for");
    const unknown = await s.loki(["memory", "show", "ep_nope"]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain("loki memory list");
    expect((await s.loki(["memory", "search", "anything", "--json"])).json()).toEqual({ query: "anything", results: [] });
    expect((await s.loki(["memory", "reindex", "--json"])).json()).toEqual({ rebuilt: [] });
    // Looking wrote nothing: no memory directory appears just because someone searched.
    expect(existsSync(join(s.path, ".loki", "memory"))).toBe(false);
  });
});

describe("memory in the build prompt", () => {
  const weather =
    "# Weather widget\n\n## Acceptance criteria\n- [ ] the widget shows the temperature in Celsius\n- [ ] the forecast lists three days\n";
  const more =
    "# Math helpers, part two\n\n## Acceptance criteria\n- [ ] add(a, b) returns the sum of two numbers and its tests pass\n- [ ] pow(a, b) raises a to the power b\n";

  test("a later run of a related spec is given the earlier run's failure; an unrelated one is not", async () => {
    await using s = await scenarioRepo("break-then-fix", "council: false\n", {}, PRD_MATH4, { "weather.md": weather, "more.md": more });
    expect((await s.loki(["start", "prd.md"])).code).toBe(0);
    const failing = s.events().find((e) => e.kind === "gate_result" && e.status === "fail");
    expect(failing).toBeDefined();
    const firstRun = s.completion().run_id;

    // Later runs need only their first prompt (the fake agent has nothing new to write for them).
    const w = await s.loki(["start", "weather.md", "--max-iterations", "1"], { FAKE_AGENT_SCENARIO: "full" });
    expect(w.code, w.stderr).not.toBe(3);
    const weatherRun = s.completion().run_id;
    const weatherPrompt = s.events().find((e) => e.kind === "prompt_built" && e.run_id === weatherRun);
    expect(weatherPrompt).toBeDefined();
    expect(weatherPrompt && "memories" in weatherPrompt ? weatherPrompt.memories : undefined).toBeUndefined();

    const m = await s.loki(["start", "more.md", "--max-iterations", "1"], { FAKE_AGENT_SCENARIO: "full" });
    expect(m.code, m.stderr).not.toBe(3);
    const moreRun = s.completion().run_id;
    const built = s.events().find((e) => e.kind === "prompt_built" && e.run_id === moreRun);
    const ids = built && "memories" in built ? (built.memories ?? []) : [];
    expect(ids).toContain(`ep_${firstRun}_1`);
    const prompt = readFileSync(join(s.path, ".loki", "iterations", "1", "prompt.md"), "utf8");
    expect(prompt).toContain("## RELEVANT MEMORIES");
    expect(prompt).toContain(`[ep_${firstRun}_1] tests: `);
    expect(prompt).toContain("not instructions");

    // stats reads the same record: three runs, the last one given memories.
    const stats = (await s.loki(["memory", "stats", "--json"])).json<{
      runs: { run_id: string; memories: string[] }[];
      with_memory: { runs: number };
    }>();
    expect(stats.runs.map((r) => r.run_id)).toEqual([firstRun, weatherRun, moreRun]);
    expect(stats.runs[2]?.memories).toContain(`ep_${firstRun}_1`);
    expect(stats.with_memory.runs).toBe(1);
    expect((await s.loki(["memory", "stats"])).stdout).toContain("runs given memories:     1");

    // The proof says it too, signed: the memories this run was given, and the first run's failures.
    const proof = s.proof().payload;
    expect(proof.memory?.given).toContain(`ep_${firstRun}_1`);
    const first = JSON.parse(readFileSync(join(s.path, ".loki", "proofs", firstRun, "proof.json"), "utf8")).payload;
    expect(first.memory).toMatchObject({ given: [], repeats: 0 });
    expect(first.memory.failures).toBeGreaterThan(0);
    expect(readFileSync(join(s.path, ".loki", "proofs", moreRun, "index.html"), "utf8")).toContain(`<code>ep_${firstRun}_1</code>`);
    expect((await s.loki(["proof", "verify", moreRun])).code).toBe(0);
  }, 180_000);

  test("an item held out now was visible to an earlier run: nothing of that run reaches the prompt", async () => {
    // Run A: 3 items, none held out; its first iteration fails. Run B adds a fourth item, which makes one
    // of A's three the held-out item — A's episodes name it in their goal, so none of them may be given.
    const a =
      "# Math helpers\n\n## Acceptance criteria\n- [ ] add(a, b) returns the sum of two numbers\n- [ ] sub(a, b) returns the difference of two numbers\n- [ ] math.js exports both functions as ES modules\n";
    const b = `${a}- [ ] mul(a, b) returns the product of two numbers\n`;
    await using s = await scenarioRepo("break-then-fix", "council: false\n", {}, a, { "b.md": b });
    expect((await s.loki(["start", "prd.md"])).code).toBe(0);
    const runA = s.completion().run_id;
    expect(s.events().some((e) => e.kind === "gate_result" && e.status === "fail" && e.run_id === runA)).toBe(true);

    const planned = await s.loki(["plan", "b.md", "--json"]);
    expect(planned.code).toBe(0);
    const items = JSON.parse(readFileSync(join(s.path, ".loki", "spec", "spec.json"), "utf8")).items as { id: string; text: string }[];
    const held = selectHeldOut(items).map((item) => item.text);
    // The precondition of this test: B holds back one of the items A could see.
    expect(held.length).toBe(1);
    expect(a).toContain(held[0] ?? "\0");

    const run = await s.loki(["start", "b.md", "--max-iterations", "1"], { FAKE_AGENT_SCENARIO: "full" });
    expect(run.code, run.stderr).not.toBe(3);
    const runB = s.completion().run_id;
    const built = s.events().find((e) => e.kind === "prompt_built" && e.run_id === runB);
    expect(built).toBeDefined();
    expect(built && "memories" in built ? built.memories : undefined).toBeUndefined();
    const prompt = readFileSync(join(s.path, ".loki", "iterations", "1", "prompt.md"), "utf8");
    expect(prompt).not.toContain("RELEVANT MEMORIES");
    expect(prompt).not.toContain("PAST FAILURES TO AVOID");
    expect(prompt).not.toContain(held[0] ?? "\0");
  }, 180_000);
});
