// Pure parts of the loop: budget thresholds and per-call caps, backoff bounds, the prompt (visible
// items only, feedback digest, past failures), skills selection, and HUMAN_INPUT safety.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { workspaceAt } from "../../src/core/workspace.ts";
import { backoffMs, checkBudget, remainingBudget } from "../../src/loop/budget.ts";
import { renderPrompt } from "../../src/loop/prompt.ts";
import { takeHumanInput } from "../../src/loop/signals.ts";
import { frontMatter, parseSkill, skillsFor } from "../../src/loop/skills.ts";
import { multiServiceReason } from "../../src/app/contract.ts";
import { visibleTexts } from "../../src/loop/reason.ts";
import { tmpdir } from "../helpers/tmp.ts";

describe("budget", () => {
  test("thresholds: ok below 80 %, warn from 80 %, exceeded at 100 %", () => {
    expect(checkBudget(3.99, 5)).toBe("ok");
    expect(checkBudget(4, 5)).toBe("warn");
    expect(checkBudget(5, 5)).toBe("exceeded");
    expect(checkBudget(1e9, null)).toBe("ok");
  });

  test("the per-call cap is what is left, rounded down to cents", () => {
    expect(remainingBudget(1.234, 5)).toBe(3.76);
    expect(remainingBudget(6, 5)).toBe(0);
    expect(remainingBudget(1, null)).toBeUndefined();
  });

  test("backoff grows, honors a longer requested wait, and never passes the time left", () => {
    const base = { baseSeconds: 1, maxSeconds: 600, remainingMs: null, random: () => 0.5 };
    expect(backoffMs({ ...base, attempt: 0 })).toBe(1000);
    expect(backoffMs({ ...base, attempt: 3 })).toBe(8000);
    expect(backoffMs({ ...base, attempt: 0, requestedMs: 30_000 })).toBe(30_000);
    expect(backoffMs({ ...base, attempt: 20 })).toBe(600_000);
    expect(backoffMs({ ...base, attempt: 5, remainingMs: 2500 })).toBe(2500);
    expect(backoffMs({ ...base, attempt: 0, random: () => 0 })).toBe(750);
  });
});

describe("prompt", () => {
  const input = {
    spec: { title: "Shop", summary: "A small shop." },
    items: [{ id: "ac-1", text: "Users can pay" }],
    heldOutCount: 2,
    iteration: 2,
    maxIterations: 10,
    feedback: ["Tests: tests failed: 1 failed\nFAIL pay.test.js"],
    pastFailures: ["tests failed: 3 failed"],
    skills: skillsFor("build", "build"),
  };

  test("lists visible items one per line with ids, counts the held-out ones, carries feedback", () => {
    const { prompt, system } = renderPrompt(input);
    expect(prompt).toContain("- [ac-1] Users can pay");
    expect(prompt).toContain("1 shown; 2 more are held out");
    expect(prompt).toContain("## Fix these first");
    expect(prompt).toContain("FAIL pay.test.js");
    expect(prompt).toContain("## PAST FAILURES TO AVOID\n- tests failed: 3 failed");
    expect(system).toContain("LOKI_DONE");
    expect(system).not.toContain("read-only reviewer");
  });

  test("no feedback sections when there is nothing to say", () => {
    const { prompt } = renderPrompt({ ...input, feedback: [], pastFailures: [] });
    expect(prompt).not.toContain("Fix these first");
    expect(prompt).not.toContain("PAST FAILURES");
  });

  test("skills parse their front matter and are ordered", () => {
    const skill = parseSkill("x", "---\nphases: [build]\nroles: [build]\norder: 5\n---\nBody\n");
    expect(skill).toEqual({ name: "x", phases: ["build"], roles: ["build"], order: 5, body: "Body" });
    expect(skillsFor("build", "build").map((s) => s.name)).toEqual(["build-core", "build-done"]);
    expect(skillsFor("ship", "review").map((s) => s.name)).toEqual(["review-core"]);
  });

  test("front matter reads as YAML reads it: every shipped module's, and what falls outside the flat form", () => {
    const dir = join(import.meta.dir, "../../skills");
    const blocks = readdirSync(dir)
      .filter((name) => name.endsWith(".md") && name !== "README.md")
      .map((name) => /^---\n([\s\S]*?)\n---\n/.exec(readFileSync(join(dir, name), "utf8"))?.[1] ?? "");
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    const others = [
      "order: 010",
      "order: 1e3",
      "when: true",
      "roles: [a, null]",
      "phases: [ a ]",
      "when: x # note",
      "when: 'x'",
      "a: 1\r",
      "",
    ];
    for (const block of [...blocks, ...others]) expect({ block, meta: frontMatter(block) }).toEqual({ block, meta: parseYaml(block) });
    expect(() => frontMatter("order: 1\norder: 2")).toThrow();
  });

  test("the run contract is only for specs that need several services", () => {
    expect(skillsFor("build", "build", undefined, { multi_service: true }).map((s) => s.name)).toEqual([
      "build-core",
      "run-contract",
      "build-done",
    ]);
    const contract = skillsFor("build", "build", undefined, { multi_service: true })[1]?.body ?? "";
    for (const rule of ["compose.yaml", ".env.example", "healthcheck", "service_healthy", "loki.primary"]) expect(contract).toContain(rule);
    expect(multiServiceReason(["A todo app", "Users can add a todo"])).toBeNull();
    expect(multiServiceReason(["Shelf", "The API stores books in PostgreSQL 16"])).toBe("PostgreSQL");
    expect(multiServiceReason(["starts with one docker compose up"])).toBe("docker compose");
    expect(multiServiceReason(["a background worker consumes the queue"])).toBe("background worker");
    // Only what the building agent may see is asked: a held-out item is not among the texts.
    const env = { spec: { title: "Shop", summary: "" }, visible: [{ id: "a", text: "Users can pay" }] };
    expect(visibleTexts(env as never)).toEqual(["Shop", "", "Users can pay"]);
  });
});

describe("HUMAN_INPUT.md", () => {
  test("ignored unless LOKI_PROMPT_INJECTION=true; read once; symlinks and oversize refused", async () => {
    await using dir = await tmpdir();
    const ws = workspaceAt(dir.path);
    dir.write(".loki/HUMAN_INPUT.md", "use PostgreSQL");
    expect(takeHumanInput(ws, {}, 1)).toBeNull();
    expect(takeHumanInput(ws, { LOKI_PROMPT_INJECTION: "true" }, 1)).toEqual({ text: "use PostgreSQL" });
    expect(existsSync(ws.humanInput)).toBe(false);
    writeFileSync(join(dir.path, "secret.txt"), "x");
    symlinkSync(join(dir.path, "secret.txt"), ws.humanInput);
    expect(takeHumanInput(ws, { LOKI_PROMPT_INJECTION: "true" }, 2)).toMatchObject({ refused: expect.stringContaining("symlink") });
    dir.write(".loki/HUMAN_INPUT.md", "x".repeat(20_000));
    expect(takeHumanInput(ws, { LOKI_PROMPT_INJECTION: "true" }, 3)).toMatchObject({ refused: expect.stringContaining("limit") });
  });
});
