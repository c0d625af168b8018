// The user's config file under attack: an agent writes it from its call (the sandbox keeps that off the host) and through
// a test loki's tests gate runs on the host (which lands); a later `loki verify` or start still cannot be switched off by
// it — the planted grading keys stop both with exit 3, naming the file. Its honest twin's user file sets the model.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { userHome } from "../../src/core/workspace.ts";
import { PRD_MATH4, scenarioRepo } from "../helpers/scenario.ts";
import { git } from "../helpers/tmp.ts";

/** A config home of this test's own under HOME (read-only inside the sandbox, as ~/.config is). */
function configHome(): string {
  return mkdtempSync(join(userHome(), "xdg-"));
}

describe("the user config file and an agent", () => {
  test("an agent that plants grading keys in it gains nothing: a later verify and start stop at it (exit 3)", async () => {
    const xdg = configHome();
    const file = join(xdg, "loki", "config.yaml");
    await using s = await scenarioRepo("plant-user-config", "", { XDG_CONFIG_HOME: xdg }, PRD_MATH4);
    const start = git(s.path, ["rev-parse", "HEAD"]).trim();
    const run = await s.loki(["start", "prd.md"]);
    expect([0, 1, 2], run.stderr).toContain(run.code);

    // From inside its call the write failed; the test it shipped wrote the file on the host.
    const plant = JSON.parse(readFileSync(join(s.state, "plant.json"), "utf8")) as { code: number; err: string };
    expect(plant.code, plant.err).not.toBe(0);
    const planted = readFileSync(file, "utf8");
    expect(planted).toContain("# from the test suite");
    expect(planted).not.toContain("# from the agent call");
    // The run graded with what it read at its start: its council still sat.
    expect(s.council(1).reviewers.length).toBeGreaterThan(0);

    // A red test committed after the run: a later verify must not be turned green by `verify.test: node -e 0`.
    s.write(
      "red.test.js",
      'import { test } from "node:test";\nimport assert from "node:assert";\ntest("red", () => assert.fail("red"));\n',
    );
    git(s.path, ["add", "red.test.js"]);
    git(s.path, ["commit", "-qm", "red"]);
    const verify = await s.loki(["verify", start]);
    expect(verify.code, verify.stderr).toBe(3);
    expect(verify.stderr).toContain(`${file}: "verify", "heldout", "council", "sandbox" cannot be set in the user config`);
    const again = await s.loki(["start", "prd.md"]);
    expect(again.code).toBe(3);
    expect(again.stderr).toContain(`${file}: "verify"`);

    // Without the planted file the same verify grades with the repository's own test command: BLOCKED.
    rmSync(file);
    const honest = await s.loki(["verify", start]);
    expect(honest.code, honest.stderr).toBe(2);
    rmSync(xdg, { recursive: true, force: true });
  }, 120_000);

  test("the honest twin: the user file's model drives the run, which verifies; the file is left as it was", async () => {
    const xdg = configHome();
    mkdirSync(join(xdg, "loki"));
    const text = "# my defaults\nmodel: opus\neffort: low\n";
    writeFileSync(join(xdg, "loki", "config.yaml"), text);
    await using s = await scenarioRepo("full", "", { XDG_CONFIG_HOME: xdg }, PRD_MATH4);
    const run = await s.loki(["start", "prd.md"]);
    expect(run.code, run.stderr).toBe(0);
    expect(s.orchestrator().model).toBe("claude-opus-5-5");
    const argv = readFileSync(join(s.state, "argv.jsonl"), "utf8").trim().split("\n")[0] ?? "";
    expect(JSON.parse(argv) as string[]).toEqual(expect.arrayContaining(["--model", "claude-opus-5-5", "--effort", "low"]));
    expect(s.proof().payload.headline.verdict).toBe("VERIFIED");
    expect(readFileSync(join(xdg, "loki", "config.yaml"), "utf8")).toBe(text);
    expect(existsSync(join(xdg, "loki", "config.yaml.bak"))).toBe(false);
    rmSync(xdg, { recursive: true, force: true });
  });
});
