// The differential check's cost: the tests gate alone (floor) against the tests gate with the
// differential gate beside it, as every iteration runs them, on a node:test project with `tests`
// tests in `files` files and a change that edits one module and adds one test file.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Config } from "../src/core/config.ts";
import { detectProject } from "../src/gates/detect.ts";
import { readSubject } from "../src/gates/diff.ts";
import { differentialGate } from "../src/gates/differential.ts";
import { runGates, type Gate } from "../src/gates/gate.ts";
import { testsGate } from "../src/gates/tests.ts";
import { type Measured, paired, timed } from "./measure.ts";

const HEAD = 'const test = require("node:test");\nconst assert = require("node:assert");\n';

function write(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
}

function git(root: string, args: string[]): void {
  const result = Bun.spawnSync(["git", ...args], { cwd: root, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr.toString()}`);
}

/** A project of `files` modules, each with a test file of `perFile` tests; the change adds mul() and its test. */
function project(files: number, perFile: number): { root: string; base: string } {
  const root = mkdtempSync(join(tmpdir(), "loki-bench-differential-"));
  const tree: Record<string, string> = { "package.json": JSON.stringify({ name: "b", private: true, scripts: { test: "node --test" } }) };
  for (let f = 0; f < files; f++) {
    tree[`lib/m${f}.js`] = `exports.add = (a, b) => a + b;\n`;
    const cases = Array.from({ length: perFile }, (_, i) => `test("add ${i}", () => assert.equal(add(${i}, 1), ${i + 1}));`);
    tree[`test/m${f}.test.js`] = `${HEAD}const { add } = require("../lib/m${f}.js");\n${cases.join("\n")}\n`;
  }
  write(root, tree);
  git(root, ["init", "-q"]);
  git(root, ["add", "-A"]);
  git(root, ["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "base"]);
  const base = Bun.spawnSync(["git", "rev-parse", "HEAD"], { cwd: root }).stdout.toString().trim();
  write(root, {
    "lib/m0.js": "exports.add = (a, b) => a + b;\nexports.mul = (a, b) => a * b;\n",
    "test/mul.test.js": `${HEAD}const { mul } = require("../lib/m0.js");\ntest("mul", () => assert.equal(mul(3, 4), 12));\n`,
  });
  git(root, ["add", "-A"]);
  git(root, ["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "mul"]);
  return { root, base };
}

export async function benchDifferential(files: number, perFile: number, runs: number): Promise<Measured> {
  const { root, base } = project(files, perFile);
  try {
    const subject = await readSubject(root, base, { includeWorktree: false });
    const config = Config.parse({});
    const ctx = { subject, project: detectProject(root, config), config };
    const grade = async (gates: Gate[]) => {
      const results = await runGates(gates, ctx);
      const bad = results.filter((r) => r.status !== "pass");
      if (bad.length > 0) throw new Error(`bench: ${bad.map((r) => `${r.id} ${r.status}: ${r.reason}`).join("; ")}`);
    };
    return await paired(
      () => timed(() => grade([testsGate, differentialGate])),
      () => timed(() => grade([testsGate])),
      runs,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
