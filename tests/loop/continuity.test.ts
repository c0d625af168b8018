// CONTINUITY.md's learnings: no lesson is ever removed, a repeat is merged into one counted line moved
// last, and a prompt gets only the latest few within a byte cap — so a run that keeps hitting the same
// failure does not pay for it again in every later prompt (the O(n²) tokens of an append-only list).
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { workspaceAt } from "../../src/core/workspace.ts";
import { promptLearnings, updateContinuity } from "../../src/loop/continuity.ts";
import { tmpdir } from "../helpers/tmp.ts";

const fileLearnings = (path: string) => readFileSync(path, "utf8").split("## Learnings\n")[1]?.trim().split("\n") ?? [];

describe("continuity learnings", () => {
  test("the same lesson 100 times is one counted line, and the prompt's learnings do not grow", async () => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    const { mkdirSync } = await import("node:fs");
    mkdirSync(ws.dir, { recursive: true });
    const lesson = "Tests pass: no test runner found (set verify.test in loki.yaml)";
    updateContinuity(ws, ["iteration 1"], lesson);
    const first = promptLearnings(ws);
    for (let i = 2; i <= 100; i++) updateContinuity(ws, [`iteration ${i}`], lesson);
    expect(fileLearnings(ws.continuity)).toEqual([`- ${lesson} (×100)`]);
    expect(promptLearnings(ws).length).toBeLessThanOrEqual(first.length + " (×100)".length);
    expect(readFileSync(ws.continuity, "utf8")).toContain("- iteration 100");
  });

  test("no lesson is removed from the file; the prompt gets the latest eight and says how many are left out; a repeat moves last", async () => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    const { mkdirSync } = await import("node:fs");
    mkdirSync(ws.dir, { recursive: true });
    for (let i = 1; i <= 20; i++) updateContinuity(ws, ["s"], `lesson ${i}`);
    updateContinuity(ws, ["s"], "lesson 3");
    const file = fileLearnings(ws.continuity);
    expect(file).toHaveLength(20);
    expect(file.at(-1)).toBe("- lesson 3 (×2)");
    const prompt = promptLearnings(ws).split("\n");
    expect(prompt).toEqual([
      ...[14, 15, 16, 17, 18, 19, 20].map((n) => `- lesson ${n}`),
      "- lesson 3 (×2)",
      "(12 earlier learnings left out)",
    ]);
    // A status-only update keeps every lesson.
    updateContinuity(ws, ["stopped"]);
    expect(fileLearnings(ws.continuity)).toEqual(file);
  });

  test("long lessons are capped by bytes, and a multi-line lesson is kept on one line", async () => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    const { mkdirSync } = await import("node:fs");
    mkdirSync(ws.dir, { recursive: true });
    for (let i = 1; i <= 6; i++) updateContinuity(ws, ["s"], `${i} ${"x".repeat(600)}`);
    updateContinuity(ws, ["s"], "first line\n   second line");
    const prompt = promptLearnings(ws);
    expect(prompt.length).toBeLessThanOrEqual(1500 + 40);
    expect(prompt).toContain("- first line second line");
    expect(prompt).toMatch(/\(\d+ earlier learnings left out\)$/);
    // One lesson longer than the whole cap: cut, never left out.
    updateContinuity(ws, ["s"], `huge ${"y".repeat(5000)}`);
    const huge = promptLearnings(ws).split("\n");
    expect(huge[0]).toStartWith("- huge yyy");
    expect(huge[0]).toEndWith("…");
    expect(Buffer.byteLength(huge[0] as string)).toBeLessThanOrEqual(1500);
  });
});
