// A runner fixture (tests/fixtures/runners/<runner>/) as a throwaway git repo: the fixture is the base
// commit, a change is committed on top, and the tests gate grades that diff. node_modules links to
// loki's own, so the JS runners (devDependencies of loki) are found as a project's would be.
import { cpSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { Config } from "../../src/core/config.ts";
import type { GateResult } from "../../src/core/schema.ts";
import { detectProject } from "../../src/gates/detect.ts";
import { readSubject } from "../../src/gates/diff.ts";
import { runGates } from "../../src/gates/gate.ts";
import { testsGate } from "../../src/gates/tests.ts";
import { git, tmpdir } from "./tmp.ts";

export const LOKI = join(import.meta.dir, "..", "..");
const FIXTURES = join(LOKI, "tests", "fixtures", "runners");

/** The fixture as a base commit, `change` (a null text deletes the file) committed on top; the tests gate's result on that diff. */
export async function gradeFixture(
  runner: string,
  change: Record<string, string | null>,
  verify: Config["verify"] = {},
): Promise<GateResult | undefined> {
  await using dir = await tmpdir();
  cpSync(join(FIXTURES, runner), dir.path, { recursive: true });
  symlinkSync(join(LOKI, "node_modules"), join(dir.path, "node_modules"));
  dir.write(".gitignore", "node_modules\ntarget\n__pycache__\n");
  git(dir.path, ["init", "-q"]);
  git(dir.path, ["add", "-A"]);
  git(dir.path, ["commit", "-qm", "initial"]);
  const base = git(dir.path, ["rev-parse", "HEAD"]).trim();
  for (const [path, text] of Object.entries(change))
    if (text === null) rmSync(join(dir.path, path));
    else dir.write(path, text);
  git(dir.path, ["add", "-A"]);
  git(dir.path, ["commit", "-qm", "change", "--allow-empty"]);
  const config = Config.parse({ verify });
  const subject = await readSubject(dir.path, base, { includeWorktree: false });
  const [result] = await runGates([testsGate], { subject, project: detectProject(subject.root, config), config });
  return result;
}
