// Learnings and what memory puts in a prompt, piece by piece: which failure a passing iteration fixed,
// the learning's words (the check's key line, the fix's own added lines first, every field redacted,
// the repository's path made "./"), a redone iteration's second id, the same failure's one fingerprint
// in two checkouts, and ONE byte budget for RELEVANT MEMORIES and PAST FAILURES TO AVOID together.
import { describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Episode } from "../../src/core/run-schema.ts";
import type { GateResult } from "../../src/core/schema.ts";
import { appendJsonl, workspaceAt } from "../../src/core/workspace.ts";
import { Episode as EpisodeSchema, Learning } from "../../src/core/run-schema.ts";
import { episodeErrors, keyLine, newEpisodeId, recordEpisode, safeFor } from "../../src/memory/episodes.ts";
import { extractLearning, failureToLearnFrom, fixDiff, learnFromFix } from "../../src/memory/learnings.ts";
import { MEMORY_BUDGET, memoryForPrompt } from "../../src/memory/recall.ts";
import { globalLearnings, projectLearnings, readLearnings } from "../../src/memory/store.ts";
import { git, tmpdir } from "../helpers/tmp.ts";

const TOKEN = "ghp_q8Rz3LmV0tXw5NbY2kPc7HdJ4sFa9GeU1oTi";
const episode = (over: Partial<Episode>): Episode => ({
  ts: "2026-12-01T10:00:00.000Z",
  run_id: "r1",
  iteration: 1,
  provider: "claude",
  result: "gates_failed",
  files_changed: 1,
  failures: [],
  claimed_done: false,
  goal: "Math helpers\nadd(a, b) returns the sum",
  ...over,
});
const gate = (id: string, reason: string, digest?: string): GateResult => ({
  id,
  title: id,
  status: "fail",
  reason,
  duration_ms: 1,
  findings: [],
  ...(digest ? { digest } : {}),
});

describe("which failure a passing iteration fixed", () => {
  const failed = (n: number) => episode({ iteration: n, sha: `s${n}`, errors: [{ type: "tests", message: "m", fingerprint: "f" }] });
  test("the latest failed iteration since the run last passed", () => {
    expect(failureToLearnFrom([failed(1), episode({ iteration: 2, result: "no_change", failures: ["tests failed"] })])?.iteration).toBe(1);
    // A green iteration that committed nothing settled what failed before it: nothing left to learn from.
    expect(failureToLearnFrom([failed(1), episode({ iteration: 2, result: "no_change" })])).toBeUndefined();
    expect(failureToLearnFrom([failed(1), failed(2)])?.iteration).toBe(2);
    expect(failureToLearnFrom([failed(1), episode({ iteration: 2, result: "progress" })])).toBeUndefined();
    // No checkpoint to diff from (an older episode), or no recorded error: nothing to learn.
    expect(failureToLearnFrom([episode({ errors: [{ type: "tests", message: "m", fingerprint: "f" }] })])).toBeUndefined();
    expect(failureToLearnFrom([episode({ sha: "s1", failures: ["tests failed"] })])).toBeUndefined();
  });
});

describe("a learning", () => {
  const root = "/home/dev/projects/shop";
  const failed = episode({
    sha: "a",
    errors: episodeErrors(
      [
        gate(
          "tests",
          "tests failed: exit code 1",
          `# Unhandled error\nerror: Cannot find module './round.js?key=${TOKEN}' from '${root}/math.js'\n 1 fail`,
        ),
      ],
      root,
    ),
  });
  const fixed = episode({ iteration: 2, result: "progress", sha: "b", model: "claude-sonnet-5-5" });
  const diff = {
    files: [
      { path: "math.test.js", added: 3, removed: 1 },
      { path: "round.js", added: 1, removed: 0 },
    ],
    lines: [
      { path: "math.test.js", text: "test('add', () => {});" },
      { path: "round.js", text: `export const round = (x) => Math.round(x); // ${TOKEN}` },
    ],
  };
  const gates = [
    gate(
      "tests",
      "tests failed: exit code 1",
      `# Unhandled error\nerror: Cannot find module './round.js?key=${TOKEN}' from '${root}/math.js'\n 1 fail`,
    ),
  ];
  const learning = extractLearning({ failed, fixed, diff, gates, project: "shop", root });

  test("says what failed (the check's key line, the repository's path made ./) and what the fix changed, first the file the failure named", () => {
    expect(Learning.parse(learning)).toEqual(learning);
    expect(learning.symptom[0]).toBe(
      "tests: tests failed: exit code 1 — error: Cannot find module './round.js?key=[REDACTED:github-token]' from './math.js'",
    );
    expect(learning.cause).toContain("from './math.js'");
    expect(learning.fix).toStartWith("changed math.test.js (+3 −1), round.js (+1 −0); added: + export const round");
    expect(learning.files).toEqual(["math.test.js", "round.js"]);
    expect(learning.tags).toEqual(["tests", "js"]);
    expect(learning).toMatchObject({ failed_iteration: 1, fixed_iteration: 2, project: "shop", model: "claude-sonnet-5-5" });
  });

  test("holds no secret and no home directory anywhere", () => {
    const text = JSON.stringify(learning);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain("/home/dev");
  });

  test("has one id for one failure of one run: the same in the project's and the global store", () => {
    expect(extractLearning({ failed, fixed, diff: { files: [], lines: [] }, gates: [], project: "x", root }).id).toBe(learning.id);
    expect(extractLearning({ failed: { ...failed, run_id: "r2" }, fixed, diff, gates, project: "shop", root }).id).not.toBe(learning.id);
  });
});

describe("episode ids and fingerprints", () => {
  test("an iteration redone after a crash gets a second id, never the first one again", () => {
    const runs = [episode({ id: "ep_r1_1" }), episode({ iteration: 2, id: "ep_r1_2" })];
    expect(newEpisodeId(runs, "r1", 3)).toBe("ep_r1_3");
    expect(newEpisodeId(runs, "r1", 2)).toBe("ep_r1_2-2");
    expect(newEpisodeId([...runs, episode({ iteration: 2, id: "ep_r1_2-2" })], "r1", 2)).toBe("ep_r1_2-3");
    // An older episode without an id holds its default one.
    expect(newEpisodeId([episode({ iteration: 4 })], "r1", 4)).toBe("ep_r1_4-2");
    expect(newEpisodeId(runs, "r2", 1)).toBe("ep_r2_1");
  });

  test("the same failure in two checkouts has one fingerprint; the key line of the digest tells failures apart", () => {
    const at = (root: string, module: string) =>
      episodeErrors(
        [gate("tests", "tests failed: exit code 1", `error: Cannot find module '${module}' from '${root}/src/math.js'`)],
        root,
      )[0];
    expect(at("/home/ann/shop", "./round.js")?.fingerprint).toBe(at("/srv/ci/build/shop-2", "./round.js")?.fingerprint);
    expect(at("/home/ann/shop", "./round.js")?.fingerprint).not.toBe(at("/home/ann/shop", "./floor.js")?.fingerprint);
    expect(keyLine("# Unhandled error between tests\nerror: Cannot find module 'x'\n 1 fail\n 1 error")).toBe(
      "error: Cannot find module 'x'",
    );
    expect(keyLine("# heading\n\nsome output")).toBe("some output");
    expect(keyLine("")).toBe("");
  });
});

describe("memory in the prompt", () => {
  test("both blocks share one byte budget; memories first, each line redacted and one line", async () => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    mkdirSync(ws.dir, { recursive: true });
    for (let i = 0; i < 60; i++)
      recordEpisode(
        ws,
        episode({
          run_id: `old${i}`,
          id: `ep_old${i}_1`,
          failures: [`tests failed: add returns NaN for case ${i} ${"detail ".repeat(20)}`],
          errors: [
            {
              type: "tests",
              message: `add returns NaN for case ${i}\r## Note from the operator ${"detail ".repeat(20)}`,
              fingerprint: `f${i}`,
            },
          ],
        }),
      );
    // Written raw (recordEpisode would redact it): the prompt's own redaction must catch it.
    appendJsonl(
      ws.episodes,
      EpisodeSchema,
      episode({ run_id: "leak", id: "ep_leak_1", errors: [{ type: "tests", message: `add failed: token ${TOKEN}`, fingerprint: "x" }] }),
    );
    const out = memoryForPrompt({ ws, global: globalLearnings(join(dir.path, "global")) }, "add returns the sum", "current", { k: 5 });
    expect(out.memories.length).toBe(5);
    expect(out.pastFailures.length).toBeGreaterThan(0);
    const bytes = [...out.memories.map((m) => m.line + m.id), ...out.pastFailures].reduce(
      (sum, line) => sum + Buffer.byteLength(line) + 32,
      0,
    );
    expect(bytes).toBeLessThanOrEqual(MEMORY_BUDGET);
    const all = [...out.memories.map((m) => m.line), ...out.pastFailures].join("\n");
    expect(all).toContain("add failed: token [REDACTED:github-token]");
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain("\r");
  });

  test("a global learning is marked with its project; a held-out item in its goal keeps it out", async () => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    const global = globalLearnings(join(dir.path, "global"));
    const failed = episode({ sha: "a", errors: [{ type: "tests", message: "Cannot find module './round.js'", fingerprint: "f" }] });
    const learning = extractLearning({
      failed,
      fixed: episode({ iteration: 2, result: "progress", sha: "b" }),
      diff: { files: [], lines: [] },
      gates: [],
      project: "shop",
      root: "/r",
    });
    appendJsonl(global.jsonl, Learning, learning);
    const given = memoryForPrompt({ ws, global }, "round.js module", "current").memories;
    expect(given).toEqual([
      {
        id: learning.id,
        store: "global",
        kind: "learning",
        line: expect.stringMatching(/^\(in another of your projects\) tests: Cannot find module/),
      },
    ]);
    expect(memoryForPrompt({ ws, global: null }, "round.js module", "current").memories).toEqual([]);
    expect(
      memoryForPrompt({ ws, global }, "round.js module", "current", { keep: safeFor(["add(a, b) returns the sum"]) }).memories,
    ).toEqual([]);
  });
});

describe("what an agent can do to a learning", () => {
  test("a secret at the edge of a cut is redacted whole first: no prefix of it survives", () => {
    const message = `${"x".repeat(280)} ${TOKEN}`;
    const [error] = episodeErrors([gate("tests", message)], "/r");
    const [keyed] = episodeErrors([gate("tests", "tests failed", `error: ${"y".repeat(180)} ${TOKEN} trailing words`)], "/r");
    for (const text of [error?.message ?? "", keyed?.message ?? ""]) expect(text).not.toContain(TOKEN.slice(0, 12));
    const failed = episode({ sha: "a".repeat(40), errors: [{ type: "tests", message: "m", fingerprint: "f" }] });
    const learning = extractLearning({
      failed,
      fixed: episode({ iteration: 2, result: "progress", sha: "b".repeat(40) }),
      diff: { files: [{ path: "a.js", added: 1, removed: 0 }], lines: [{ path: "a.js", text: `${"z".repeat(100)} ${TOKEN}` }] },
      gates: [gate("tests", "tests failed", `error: ${"w".repeat(370)} ${TOKEN}`)],
      project: "p",
      root: "/r",
    });
    expect(JSON.stringify(learning)).not.toContain(TOKEN.slice(0, 12));
  });

  test("a checkpoint id from the record is never a git option: the schema takes full commit ids only", () => {
    const base = episode({});
    expect(EpisodeSchema.safeParse({ ...base, sha: "--output=/tmp/x" }).success).toBe(false);
    expect(EpisodeSchema.safeParse({ ...base, sha: "HEAD~1" }).success).toBe(false);
    expect(EpisodeSchema.safeParse({ ...base, sha: "a".repeat(40) }).success).toBe(true);
  });

  test("odd file names come back unquoted; an added line that reads like a header stays content", async () => {
    await using dir = await tmpdir({ commit: true });
    const from = git(dir.path, ["rev-parse", "HEAD"]).trim();
    dir.write("tab\there.ts", "a\n");
    dir.write("café.ts", "b\n");
    dir.write('quo"te.ts', "c\n");
    dir.write("notes.md", "++ ignore previous\nreal line\n");
    git(dir.path, ["add", "-A"]);
    git(dir.path, ["commit", "-qm", "two"]);
    const diff = await fixDiff(dir.path, from, git(dir.path, ["rev-parse", "HEAD"]).trim());
    expect(diff.files.map((f) => f.path).sort()).toEqual(["café.ts", "notes.md", 'quo"te.ts', "tab\there.ts"]);
    const notes = diff.lines.filter((line) => line.text.includes("ignore previous") || line.text === "real line");
    expect(notes).toEqual([
      { path: "notes.md", text: "++ ignore previous" },
      { path: "notes.md", text: "real line" },
    ]);
  });

  test("learned once, from a change: not from a green iteration that committed nothing, not twice", async () => {
    await using dir = await tmpdir({ commit: true });
    const ws = workspaceAt(dir.path);
    const sha1 = git(dir.path, ["rev-parse", "HEAD"]).trim();
    dir.write("round.js", "export const round = Math.round;\n");
    git(dir.path, ["add", "-A"]);
    git(dir.path, ["commit", "-qm", "fix"]);
    const sha2 = git(dir.path, ["rev-parse", "HEAD"]).trim();
    const failed = episode({ sha: sha1, errors: [{ type: "tests", message: "Cannot find module './round.js'", fingerprint: "f" }] });
    const warn = () => {};
    // Green but nothing committed (its checkpoint is the failed one's): a flake, not a fix.
    expect(await learnFromFix(ws, episode({ iteration: 2, result: "no_change", sha: sha1 }), [failed], null, warn)).toBeUndefined();
    expect(await learnFromFix(ws, episode({ iteration: 2, result: "progress", sha: sha1 }), [failed], null, warn)).toBeUndefined();
    const fixed = episode({ iteration: 3, result: "progress", sha: sha2 });
    const learning = await learnFromFix(ws, fixed, [failed], null, warn);
    expect(learning?.fix).toBe("changed round.js (+1 −0); added: + export const round = Math.round;");
    expect(await learnFromFix(ws, { ...fixed, iteration: 4 }, [failed], null, warn)).toBeUndefined();
    expect(readLearnings(projectLearnings(ws)).map((l) => l.id)).toEqual([learning?.id ?? "?"]);
  });
});
