// A spec too big to send is refused before anything is written: `plan` quotes no price for it and
// `start` starts nothing (exit 3, the size and the limit named, nothing in .loki/, no internal error).
// Real multi-megabyte spec files, the real CLI, the fake agent on PATH (never called).
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { git } from "../helpers/tmp.ts";
import { scenarioRepo, type Scenario } from "../helpers/scenario.ts";

/** A PRD of about `bytes` bytes: one long list of acceptance items, as a generated requirements export would be. */
function hugePrd(bytes: number): string {
  const lines = ["# Inventory matrix", "", "Every case of the matrix is handled and logged.", "", "## Acceptance criteria"];
  let size = lines.join("\n").length;
  for (let i = 0; size < bytes; i++) {
    const line = `- [ ] requirement ${i}: the system handles case ${i} of the inventory matrix correctly and logs it`;
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join("\n")}\n`;
}

/** Nothing of a run or an intake exists: .loki/ holds at most its own .gitignore (start takes the run
 *  lock there first, and releases it), the tree and branch as they were, the agent never ran. */
function expectUntouched(s: Scenario): void {
  const dir = join(s.path, ".loki");
  expect((existsSync(dir) ? readdirSync(dir) : []).filter((name) => name !== ".gitignore")).toEqual([]);
  expect(existsSync(join(s.state, "calls"))).toBe(false);
  expect(git(s.path, ["status", "--porcelain"])).toBe("");
  expect(git(s.path, ["log", "--format=%s"]).trim()).toBe("initial");
}

describe("a spec whose prompt no run could send", () => {
  test("6 MB: over the spec file cap — plan and start exit 3 naming the size and the limit, nothing written", async () => {
    await using s = await scenarioRepo("honest", "", {}, hugePrd(6 * 1024 * 1024));
    for (const command of [
      ["plan", "prd.md"],
      ["start", "prd.md"],
      ["plan", "prd.md", "--json"],
    ]) {
      const result = await s.loki(command);
      expect(result.code, result.stderr).toBe(3);
      expect(result.stderr + result.stdout).toContain("is 6.0 MB; specs are limited to 5 MB");
      expect(result.stderr + result.stdout).not.toContain("internal error");
      expectUntouched(s);
    }
  });

  test("3.5 MB: under the file cap, but its prompt is over the model's window — refused the same way", async () => {
    await using s = await scenarioRepo("honest", "", {}, hugePrd(3.5 * 1024 * 1024));
    for (const command of [
      ["plan", "prd.md"],
      ["start", "prd.md"],
    ]) {
      const result = await s.loki(command);
      expect(result.code, result.stderr).toBe(3);
      expect(result.stderr).toMatch(/error: the prompt this spec makes is 3\.\d MB \(~1\.\d+M tokens\); claude-\S+ takes 1M tokens/);
      expect(result.stderr).toContain("a prompt is limited to ~936k tokens (2.7 MB)");
      expect(result.stderr).toContain("hint: split the spec");
      expect(result.stderr).not.toContain("internal error");
      expect(result.stdout).not.toContain("cost");
      expectUntouched(s);
    }
  });

  test("the limit is the build model's: 1 MB fits claude's 1M-token window, not codex's 272k", async () => {
    await using s = await scenarioRepo("honest", "", {}, hugePrd(1024 * 1024));
    const codex = await s.loki(["plan", "prd.md", "--provider", "codex"]);
    expect(codex.code, codex.stderr).toBe(3);
    expect(codex.stderr).toContain("gpt-6.1-sol takes 272k tokens");
    expect(existsSync(join(s.path, ".loki"))).toBe(false);
    const claude = await s.loki(["plan", "prd.md", "--json"]);
    expect(claude.code, claude.stderr).toBe(0);
    expect(claude.json<{ models: { build: string } }>().models.build).toMatch(/^claude-/);
  });
});
