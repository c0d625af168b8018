// `loki memory list|search|show|reindex` over the episodes a real run recorded: the failing iteration
// is what a search for its failure finds first, a corrupt index is rebuilt rather than believed, and
// bad input is a one-line error (exit 3). A later run of a related spec gets that failure in its
// prompt's RELEVANT MEMORIES (and the ids in its prompt_built event); an unrelated spec does not.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PRD_MATH4, scenarioRepo } from "../helpers/scenario.ts";

describe("loki memory", () => {
  test("lists, searches, shows and reindexes what a run recorded", async () => {
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
    const { results } = search.json<{ results: { id: string; score: number }[] }>();
    expect(results[0]?.id).toBe(failing?.id);
    expect(existsSync(join(s.path, ".loki", "memory", "episodes.idx"))).toBe(true);

    const shown = await s.loki(["memory", "show", failing?.id ?? ""]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain("tests: ");
    expect(shown.stdout).toContain("files: ");

    // A corrupt index is detected and rebuilt: the same answer.
    writeFileSync(join(s.path, ".loki", "memory", "episodes.idx"), "not an index at all");
    const again = await s.loki(["memory", "search", "tests failed", "--json"]);
    expect(again.json<{ results: { id: string }[] }>().results[0]?.id).toBe(failing?.id);
    const reindexed = await s.loki(["memory", "reindex", "--json"]);
    expect(reindexed.json()).toMatchObject({ episodes: episodes.length });
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
    expect((await s.loki(["memory", "reindex", "--json"])).json()).toEqual({ episodes: 0, rebuilt: "no episodes yet" });
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
  }, 180_000);
});
