// `loki grill`: one read-only call interrogates a spec before a build. With the scripted claude: findings
// on the spec's own lines (exit 1), a clean answer (exit 0), no verdict block (exit 3, never "clean"),
// findings off the spec dropped, --write appending questions the spec reader does not take for items,
// --write refused on a brief before anything is spent, and a grilling agent that tries to write (the
// copy it reads and the user's spec) stopped by the sandbox. With the REAL claude CLI against a fake
// Anthropic API on 127.0.0.1: the same protocol end to end, read-only tools only, the cost reported.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { startFakeAnthropic } from "../helpers/fake-anthropic.ts";
import { loki } from "../helpers/cli.ts";
import { claudeEnv, cliSandbox } from "../helpers/real-cli.ts";
import { scenarioRepo } from "../helpers/scenario.ts";
import { tmpdir } from "../helpers/tmp.ts";

const VAGUE = [
  "# Notes app",
  "",
  "A small notes app.",
  "",
  "## Acceptance criteria",
  "- [ ] a user can add a note with a title and a body",
  "- [ ] search is fast",
  "- [ ] the list looks nice on phones",
  "- [ ] deleting a note asks for confirmation",
  "",
].join("\n");
type Finding = { kind: string; line: number; severity: string; issue: string; question?: string };
type Grilled = { findings: Finding[]; dropped: number; cost_usd: number; wrote: string | null; sandboxed: boolean };

describe("loki grill with the scripted claude", () => {
  test("findings cite the spec's own lines: exit 1, text and JSON", async () => {
    await using s = await scenarioRepo("honest", "", {}, VAGUE);
    const text = await s.loki(["grill", "prd.md"]);
    expect(text.code, text.stderr).toBe(1);
    expect(text.stdout).toContain('prd.md:7  high  ambiguity: "fast" is not measurable');
    expect(text.stdout).toContain("prd.md:8  high  ambiguity:");
    expect(text.stdout).toContain("? What number makes this item pass or fail?");
    expect(text.stdout).toContain("2 findings ($0.01 exact (claude, ");
    const json = await s.loki(["grill", "prd.md", "--json"]);
    expect(json.code).toBe(1);
    const out = json.json<Grilled>();
    expect(out.findings.map((f) => f.line)).toEqual([7, 8]);
    expect(out).toMatchObject({ dropped: 0, wrote: null, sandboxed: true });
    // Read-only: the spec untouched, no .loki/ state written for a question asked. Then plan points at grill.
    expect(readFileSync(join(s.path, "prd.md"), "utf8")).toBe(VAGUE);
    expect(existsSync(join(s.path, ".loki"))).toBe(false);
    const plan = await s.loki(["plan", "prd.md"]);
    expect(plan.stderr).toContain('the spec reads as vague (2 items measured only by "fast", "nice"): loki grill prd.md');
  });

  test("a clean answer exits 0; an answer without the findings block is no verdict (exit 3), never clean", async () => {
    await using s = await scenarioRepo("honest", "", {}, VAGUE);
    const clean = await s.loki(["grill", "prd.md"], { FAKE_GRILL: "clean" });
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain("no findings: the spec reads as ready to build");
    const garbage = await s.loki(["grill", "prd.md"], { FAKE_GRILL: "garbage" });
    expect(garbage.code).toBe(3);
    expect(garbage.stderr).toContain("had no findings block");
    expect(garbage.stderr).not.toMatch(/\n\s+at /);
    expect(garbage.stdout).not.toContain("ready to build");
  });

  test("findings all outside the protocol, or a clean block quoted before a broken one, are no verdict (exit 3), never clean", async () => {
    await using s = await scenarioRepo("honest", "", {}, VAGUE);
    for (const mode of ["off-protocol", "quoted"]) {
      const result = await s.loki(["grill", "prd.md"], { FAKE_GRILL: mode });
      expect(result.code, `${mode}: ${result.stdout}${result.stderr}`).toBe(3);
      expect(result.stdout).not.toContain("ready to build");
    }
  });

  test("findings off the spec (a line past its end, an unknown kind) are dropped and counted", async () => {
    await using s = await scenarioRepo("honest", "", {}, VAGUE);
    const out = (await s.loki(["grill", "prd.md", "--json"], { FAKE_GRILL: "stray" })).json<Grilled>();
    expect(out.findings.map((f) => f.line)).toEqual([7, 8]);
    expect(out.dropped).toBe(2);
  });

  test("--write appends the questions as a section the spec reader does not take for items", async () => {
    await using s = await scenarioRepo("honest", "", {}, VAGUE);
    const before = (await s.loki(["plan", "prd.md", "--json"])).json<{ items: { total: number } }>().items;
    const wrote = await s.loki(["grill", "prd.md", "--write"]);
    expect(wrote.code).toBe(1);
    expect(wrote.stdout).toContain("answer the questions appended to prd.md");
    const spec = readFileSync(join(s.path, "prd.md"), "utf8");
    expect(spec.startsWith(VAGUE)).toBe(true);
    expect(spec).toMatch(/\n## Open questions \(loki grill, \d{4}-\d\d-\d\d\)\n/);
    expect(spec).toContain("- Line 7 (ambiguity, high): What number makes this item pass or fail?");
    expect((await s.loki(["plan", "prd.md", "--json"])).json<{ items: { total: number } }>().items).toEqual(before);
  });

  test("--write on a brief is refused before anything is spent", async () => {
    await using s = await scenarioRepo("honest", "", {}, VAGUE);
    const refused = await s.loki(["grill", "build a notes app that is fast", "--write"]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("--write appends to a local Markdown spec");
    expect(existsSync(join(s.state, "reviews.jsonl"))).toBe(false);
    // Without --write a brief is grilled: its text is what the findings cite.
    const brief = await s.loki(["grill", "build a notes app that is fast", "--json"]);
    expect(brief.json<Grilled>().findings.length).toBeGreaterThan(0);
  });

  test("a grilling agent that tries to write (its copy, the user's spec) is stopped by the sandbox", async () => {
    await using s = await scenarioRepo("honest", "", {}, VAGUE);
    const spec = join(s.path, "prd.md");
    const out = (await s.loki(["grill", "prd.md", "--json"], { FAKE_GRILL: "write", FAKE_GRILL_TARGET: spec })).json<Grilled>();
    const attempt = out.findings.find((f) => f.issue.startsWith("write attempts exited"));
    expect(attempt?.issue).toMatch(/^write attempts exited [1-9]\d*,[1-9]\d*$/);
    expect(readFileSync(spec, "utf8")).toBe(VAGUE);
  });

  test("no provider installed: exit 3 naming the fix, nothing spent", async () => {
    await using dir = await tmpdir({ commit: true, files: { "prd.md": VAGUE } });
    const result = await loki(["grill", "prd.md"], { cwd: dir.path, env: { PATH: "/usr/bin:/bin" } });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/claude/i);
    expect(result.stderr).toContain("hint:");
  });
});

describe("loki grill with the real claude CLI against a fake Anthropic API", () => {
  test("the protocol end to end: read-only tools only, findings on the spec's lines, the exact cost", async () => {
    const answer = {
      findings: [
        {
          kind: "untestable",
          line: 8,
          severity: "medium",
          issue: "'looks nice' has no check",
          question: "Which viewport widths and what layout rule?",
        },
      ],
    };
    await using api = await startFakeAnthropic(() => ({ text: `Findings:\n\n\`\`\`json\n${JSON.stringify(answer)}\n\`\`\`` }));
    await using box = await cliSandbox();
    await using repo = await tmpdir({ commit: true, files: { "prd.md": VAGUE, "loki.yaml": "allow_root: true\n" } });
    const env = { ...claudeEnv(box, api.url), PATH: `${resolve(import.meta.dir, "..", "..", "node_modules", ".bin")}:${process.env.PATH}` };
    const result = await loki(["grill", "prd.md", "--json"], { cwd: repo.path, env });
    expect(result.code, result.stderr).toBe(1);
    const out = result.json<Grilled>();
    expect(out.findings).toEqual([
      {
        kind: "untestable",
        line: 8,
        severity: "medium",
        issue: "'looks nice' has no check",
        question: "Which viewport widths and what layout rule?",
      },
    ]);
    expect(out.cost_usd).toBeGreaterThan(0);
    const calls = api.modelCalls();
    expect(calls).toHaveLength(1);
    const asked = JSON.stringify(calls[0]?.body.messages ?? []);
    expect(asked).toContain("# Grill: interrogate this spec before it is built");
    expect(asked).toContain("8 | - [ ] the list looks nice on phones");
    expect(calls[0]?.tools).not.toContain("Write");
    expect(calls[0]?.tools).not.toContain("Edit");
  }, 60_000);
});
