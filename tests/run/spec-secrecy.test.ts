// Held-out items stay out of git: `loki init` keeps the PRD out of history (.git/info/exclude), and a
// run whose spec is in history says that anything run in the repository can read its held-out items.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loki } from "../helpers/cli.ts";
import { PRD_MATH4, scenarioRepo } from "../helpers/scenario.ts";
import { git, tmpdir } from "../helpers/tmp.ts";

const WARNING = "is in this repository's git history, so its held-out items are too";

describe("the spec and git history", () => {
  test("a committed spec: the run says its held-out items are readable through git", async () => {
    await using s = await scenarioRepo("honest", "council: false\n", {}, PRD_MATH4);
    const result = await s.loki(["start", "prd.md"]);
    expect(result.stderr).toContain(`prd.md ${WARNING}`);
    expect(s.events().some((e) => e.kind === "warning" && e.message.includes(WARNING))).toBe(true);
  });

  test("held-out off: nothing is held out, nothing to say", async () => {
    await using s = await scenarioRepo("honest", "council: false\nheldout: false\n", {}, PRD_MATH4);
    expect((await s.loki(["start", "prd.md"])).stderr).not.toContain(WARNING);
  });

  test("loki init keeps the PRD out of history; a run on it has nothing to warn of", async () => {
    await using parent = await tmpdir();
    const init = await loki(["init", "shop", "-t", "library"], { cwd: parent.path });
    expect(init.code, init.stderr).toBe(0);
    const dir = join(parent.path, "shop");
    expect(git(dir, ["ls-files"]).trim()).toBe("");
    expect(git(dir, ["status", "--porcelain"]).trim()).toBe("");
    expect(readFileSync(join(dir, ".git", "info", "exclude"), "utf8")).toContain("/prd.md\n");
    const firstItem = /- \[ \] (.+)/.exec(readFileSync(join(dir, "prd.md"), "utf8"))?.[1] ?? "";
    expect(firstItem).not.toBe("");
    expect(git(dir, ["log", "-p", "--all"])).not.toContain(firstItem);

    await using s = await scenarioRepo("greenfield", "council: false\nmax_iterations: 1\n");
    const run = await loki(["start", "prd.md"], { cwd: dir, env: s.env });
    expect(run.stderr).toContain("started run");
    expect(run.stderr).not.toContain(WARNING);
  });
});
