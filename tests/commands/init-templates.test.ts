// The starter PRD gallery: every embedded template is well formed, reads into a checklist and plans
// to a quote through the real intake and planner, and `loki init` lists them by category and writes them.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { templates } from "../../src/commands/init.ts";
import { Config } from "../../src/core/config.ts";
import { Plan } from "../../src/core/schema.ts";
import { buildPlan } from "../../src/plan/plan.ts";
import { claude } from "../../src/providers/claude.ts";
import { selectHeldOut } from "../../src/spec/heldout.ts";
import { readSpec } from "../../src/spec/read.ts";
import { loki } from "../helpers/cli.ts";
import { git, tmpdir } from "../helpers/tmp.ts";

const DIR = resolve(import.meta.dir, "..", "..", "templates");
const FILES = readdirSync(DIR).filter((f) => f.endsWith(".md") && f !== "README.md");
const ALL = templates();
const SECTIONS = ["## Goals", "## Non-goals", "## Requirements", "## Acceptance criteria", "## Technical notes"];

describe("the template gallery", () => {
  test("at least 20 templates, each embedded from templates/<name>.md, named uniquely after its file", () => {
    expect(ALL.length).toBeGreaterThanOrEqual(20);
    const names = ALL.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(FILES.map((f) => f.replace(/\.md$/, "")).sort());
    for (const t of ALL) expect(readFileSync(join(DIR, `${t.name}.md`), "utf8").endsWith(t.body)).toBe(true);
  });

  test("every template has a short category, a description of at most 80 characters and the documented sections", () => {
    for (const t of ALL) {
      expect({ name: t.name, category: t.category }).toEqual({ name: t.name, category: expect.stringMatching(/^[a-z][a-z-]{1,15}$/) });
      expect(t.category).not.toBe("other");
      expect(t.description.length).toBeGreaterThan(0);
      expect(t.description.length).toBeLessThanOrEqual(80);
      const missing = SECTIONS.filter((heading) => !t.body.includes(`\n${heading}\n`));
      expect({ name: t.name, missing }).toEqual({ name: t.name, missing: [] });
    }
    expect(new Set(ALL.map((t) => t.category)).size).toBeGreaterThanOrEqual(8);
  });
});

describe("every template reads into items and plans to a quote", () => {
  for (const t of ALL) {
    test(t.name, async () => {
      await using dir = await tmpdir();
      const prd = dir.write("prd.md", t.body);
      const spec = await readSpec(prd, { cwd: dir.path, config: Config.parse({}), env: {} });
      expect(spec.items.length).toBeGreaterThanOrEqual(6);
      const criteria = t.body.split("\n").filter((line) => line.startsWith("- [ ] ")).length;
      expect(criteria).toBeGreaterThanOrEqual(6);
      expect(spec.items.filter((item) => item.kind === "acceptance").length).toBe(criteria);
      // Goals, non-goals and notes describe the product; only requirements and criteria become work.
      const stray = spec.items.filter((item) => ["Goals", "Non-goals", "Technical notes", spec.title].includes(item.section ?? ""));
      expect(stray.map((item) => item.text)).toEqual([]);
      const plan = Plan.parse(
        buildPlan(spec, {
          provider: "claude",
          providerChosen: false,
          maxIterations: 25,
          heldOut: selectHeldOut(spec.items).length,
          installed: [],
          firstClass: claude,
        }),
      );
      expect(plan.items.total).toBe(spec.items.length);
      expect(plan.iterations.estimate).toBeGreaterThan(0);
      expect(plan.cost.usd.estimate).toBeGreaterThan(0);
      expect(plan.time.minutes.estimate).toBeGreaterThan(0);
    });
  }
});

describe("loki init with the gallery", () => {
  test("--list prints one heading per category, each followed by its templates", async () => {
    await using dir = await tmpdir();
    const result = await loki(["init", "--list"], { cwd: dir.path });
    expect(result.code).toBe(0);
    const listed: { category: string; name: string; description: string }[] = [];
    const headings: string[] = [];
    for (const line of result.stdout.split("\n").filter(Boolean)) {
      const heading = /^(\S+):$/.exec(line);
      const row = /^ {2}(\S+) +(\S.*)$/.exec(line);
      if (heading?.[1]) headings.push(heading[1]);
      else if (row?.[1] && row[2] && headings.length > 0) listed.push({ category: headings.at(-1)!, name: row[1], description: row[2] });
      else throw new Error(`unexpected --list line: ${JSON.stringify(line)}`);
    }
    expect(headings).toEqual([...new Set(ALL.map((t) => t.category))]);
    expect(listed.sort((a, b) => a.name.localeCompare(b.name))).toEqual(
      ALL.map(({ category, name, description }) => ({ category, name, description })).sort((a, b) => a.name.localeCompare(b.name)),
    );
    expect((await loki(["init", "--list"], { cwd: dir.path })).stdout).toBe(result.stdout);
  });

  test("--list --json carries each template's category, grouped in the same order", async () => {
    await using dir = await tmpdir();
    const result = await loki(["init", "--list", "--json"], { cwd: dir.path });
    expect(result.code).toBe(0);
    const { templates: listed } = result.json<{ templates: { name: string; category: string; description: string }[] }>();
    expect(listed.length).toBe(ALL.length);
    for (const t of listed)
      expect(t).toEqual({ name: t.name, category: ALL.find((a) => a.name === t.name)!.category, description: expect.any(String) });
    const order = listed.map((t) => t.category).filter((c, i, all) => c !== all[i - 1]);
    expect(order).toEqual([...new Set(order)]);
  });

  test("--template with a new template writes prd.md into a new git repository", async () => {
    await using dir = await tmpdir();
    const result = await loki(["init", "standup", "--template", "standup-bot"], { cwd: dir.path });
    expect(result.code).toBe(0);
    const project = join(dir.path, "standup");
    expect(readFileSync(join(project, "prd.md"), "utf8")).toBe(ALL.find((t) => t.name === "standup-bot")!.body);
    expect(existsSync(join(project, ".git"))).toBe(true);
    expect(git(project, ["status", "--porcelain"])).toBe("");
    expect(git(project, ["log", "--format=%s"]).trim()).toBe("Start from the loki template standup-bot");
  });

  test("a partial name of a new template suggests it", async () => {
    await using dir = await tmpdir();
    const bad = await loki(["init", "x", "--template", "kanban"], { cwd: dir.path });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain("did you mean kanban-board?");
    expect(existsSync(join(dir.path, "x"))).toBe(false);
  });
});
