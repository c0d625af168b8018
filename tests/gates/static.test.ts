// The static gate's parts: the built-in syntax check per format, the locations read from tool
// output, which configured tools run, and reading files as the subject (not the dirty tree) has them.
import { describe, expect, test } from "bun:test";
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { Config } from "../../src/core/config.ts";
import type { GateResult } from "../../src/core/schema.ts";
import { detectProject } from "../../src/gates/detect.ts";
import { readSubject } from "../../src/gates/diff.ts";
import { runGates, type ChangedFile } from "../../src/gates/gate.ts";
import { NO_LINES } from "../../src/gates/diff-lines.ts";
import { planTools, staticGate, syntaxError, toolFindings } from "../../src/gates/static.ts";
import { git, tmpdir } from "../helpers/tmp.ts";

describe("syntaxError", () => {
  test.each([
    ["a.json", '{ "a": 1 }', null],
    ["a.json", '{\n  "a": 1,\n}', 3],
    ["a.json", '{\n  // no comments in JSON\n  "a": 1\n}', 2],
    ["a.json", "", 1],
    ["tsconfig.json", '{\n  // comments are fine here\n  "compilerOptions": {},\n}', null],
    ["tsconfig.build.json", '{ /* c */ "a": 1 }', null],
    ["a.yml", "a: 1\nb:\n  - x\n", null],
    ["a.yaml", "a: 1\nb: [1, 2\n", 3],
    ["multi.yml", "a: 1\n---\nb: [1, 2\nc: 3\n", 4],
    ["a.js", "const a = 1;\nconst b = ;\n", 2],
    ["a.js", "export const el = <div>hi</div>;\n", null],
    ["a.cjs", "#!/usr/bin/env node\nmodule.exports = 1;\n", null],
    ["a.ts", "const n = <number>x;\nenum E { A }\n", null],
    ["a.ts", "let x = 1;\n\nfunction f( {\n}\n", 4],
    ["a.tsx", "export const A = () => <div>{</div>;\n", 1],
    ["a.mts", "const a: number = 1;\nconst a = 2;\n", 2],
    ["README.md", "{ not json", null],
  ] as const)("%s (%#) → line %p", (path, text, line) => {
    const error = syntaxError(path, text);
    expect(error?.line ?? null).toBe(line);
    if (error) expect(error.message).toMatch(/^(invalid JSON|invalid YAML|syntax error): \S/);
  });

  test("messages are short and carry no prefix noise", () => {
    expect(syntaxError("a.js", "const a = ;")?.message).toBe("syntax error: Unexpected ;");
    expect(syntaxError("a.yaml", "a: 'open\n")?.message).toBe("invalid YAML: Missing closing 'quote");
  });
});

describe("toolFindings", () => {
  const out = (stdout: string) => ({ stdout, stderr: "", exitCode: 1 });
  test("tsc, file:line:col and eslint's stylish blocks become repository-relative findings", () => {
    const tsc = toolFindings(
      { name: "tsc", argv: ["tsc"] },
      out("src/a.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.\n"),
      "/r",
    );
    expect(tsc).toEqual([
      expect.objectContaining({
        file: "src/a.ts",
        line: 3,
        severity: "medium",
        rule: "lint:tsc",
        message: "src/a.ts:3: TS2322: Type 'string' is not assignable to type 'number'.",
      }),
    ]);
    const vet = toolFindings(
      { name: "go vet", argv: ["go"] },
      out("# example\n./main.go:5:2: fmt.Printf format %d has arg s of wrong type string\n"),
      "/r",
    );
    expect(vet).toEqual([expect.objectContaining({ file: "main.go", line: 5 })]);
    const stylish =
      "\n/r/src/a.js\n  1:5   error  'x' is assigned a value but never used  no-unused-vars\n  3:1   warning  Unexpected console statement  no-console\n\n✖ 2 problems (1 error, 1 warning)\n";
    expect(toolFindings({ name: "eslint", argv: ["eslint"] }, out(stylish), "/r")).toEqual([
      expect.objectContaining({ file: "src/a.js", line: 1, rule: "lint:eslint" }),
    ]);
  });

  test("output without locations still yields one finding naming the tool", () => {
    expect(toolFindings({ name: "`sh -c lint`", argv: ["sh", "-c", "lint"] }, out("something went wrong\n"), "/r")).toEqual([
      expect.objectContaining({ severity: "medium", message: "`sh -c lint` failed (exit 1)", rule: "lint:sh -c lint" }),
    ]);
  });
});

describe("planTools", () => {
  const live = (...paths: string[]): ChangedFile[] =>
    paths.map((path) => ({ path, status: "modified", binary: false, added: NO_LINES, removed: NO_LINES, removedCount: 0 }));

  test("tsconfig.json without a project-local tsc is reported missing, never run from PATH", async () => {
    await using dir = await tmpdir({ files: { "tsconfig.json": "{}" } });
    expect(planTools(dir.path, live("src/a.ts"))).toEqual({
      tools: [],
      missing: ["tsc (tsconfig.json present, tsc not in node_modules/.bin)"],
    });
  });

  test("a local tsc runs; eslint runs only on changed JS/TS files, each passed as ./path", async () => {
    await using dir = await tmpdir({
      files: {
        "tsconfig.json": "{}",
        "node_modules/.bin/tsc": "#!/bin/sh\n",
        "node_modules/.bin/eslint": "#!/bin/sh\n",
        "eslint.config.js": "export default [];\n",
      },
    });
    for (const bin of ["tsc", "eslint"]) chmodSync(join(dir.path, "node_modules/.bin", bin), 0o755);
    const plan = planTools(dir.path, live("src/a.ts", "README.md", "-odd.js"));
    expect(plan.tools.map((t) => [t.name, t.argv.slice(1)])).toEqual([
      ["tsc", ["--noEmit", "-p", "."]],
      ["eslint", ["./src/a.ts", "./-odd.js"]],
    ]);
    expect(planTools(dir.path, live("README.md")).tools.map((t) => t.name)).toEqual(["tsc"]);
  });
});

describe("staticGate", () => {
  async function gate(dir: string, base: string, includeWorktree: boolean, verify: Config["verify"] = {}): Promise<GateResult> {
    const config = Config.parse({ verify });
    const subject = await readSubject(dir, base, { includeWorktree });
    const [result] = await runGates([staticGate], { subject, project: detectProject(subject.root, config), config });
    if (result === undefined) throw new Error("no result");
    return result;
  }

  test("the built-in check reads the committed file, not a dirty working tree (and the tree when included)", async () => {
    await using dir = await tmpdir({ commit: true });
    const base = git(dir.path, ["rev-parse", "HEAD"]).trim();
    dir.write("data.json", '{ "a": 1, }\n');
    git(dir.path, ["add", "-A"]);
    git(dir.path, ["commit", "-qm", "broken json"]);
    dir.write("data.json", '{ "a": 1 }\n');
    const committed = await gate(dir.path, base, false);
    expect(committed).toMatchObject({
      status: "fail",
      findings: [expect.objectContaining({ file: "data.json", line: 1, severity: "high", rule: "syntax" })],
    });
    expect((await gate(dir.path, base, true)).status).toBe("pass");
  });

  test("a configured tool that is missing is named in the reason of the built-in check", async () => {
    await using dir = await tmpdir({ commit: true, files: { "tsconfig.json": "{}" } });
    const base = git(dir.path, ["rev-parse", "HEAD"]).trim();
    dir.write("src/a.ts", "export const a = 1;\n");
    git(dir.path, ["add", "-A"]);
    git(dir.path, ["commit", "-qm", "a"]);
    expect((await gate(dir.path, base, false)).reason).toBe(
      "1 file parsed — built-in syntax check (not installed: tsc (tsconfig.json present, tsc not in node_modules/.bin))",
    );
  });

  test("a lint command's file:line output becomes findings with the digest", async () => {
    await using dir = await tmpdir({ commit: true, files: { "lint.sh": "! grep -Hn 'var ' src/*.js\n" } });
    const base = git(dir.path, ["rev-parse", "HEAD"]).trim();
    dir.write("src/a.js", "let a = 1;\nvar b = 2;\n");
    git(dir.path, ["add", "-A"]);
    git(dir.path, ["commit", "-qm", "var"]);
    const result = await gate(dir.path, base, false, { lint: "sh lint.sh" });
    expect(result).toMatchObject({
      status: "fail",
      findings: [expect.objectContaining({ file: "src/a.js", line: 2, severity: "medium" })],
    });
  });
});
