// Intake end to end for every spec kind: detect → read → parse → ids → spec.json + checklist.json,
// from the fixture files, with the source kind recorded and the held-out items left out.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Config } from "../../src/core/config.ts";
import { Checklist, Spec, type SpecSourceKind } from "../../src/core/schema.ts";
import { workspaceAt } from "../../src/core/workspace.ts";
import { selectHeldOut } from "../../src/spec/heldout.ts";
import { readSpec, writeIntake } from "../../src/spec/read.ts";
import { tmpdir } from "../helpers/tmp.ts";

const SPECS = resolve(import.meta.dir, "..", "fixtures", "specs");

const KINDS: [string, SpecSourceKind, number][] = [
  ["prd-todo.md", "markdown", 4],
  ["prd-front-matter.md", "markdown", 1],
  ["spec.json", "json", 3],
  ["spec.yaml", "yaml", 3],
  ["openapi3.json", "openapi", 3],
  ["openapi3.yaml", "openapi", 3],
  ["swagger2.yaml", "openapi", 2],
  ["openspec/add-two-factor-auth", "openspec", 4],
];

describe("every spec kind produces a checklist", () => {
  for (const [fixture, kind, atLeast] of KINDS) {
    test(`${fixture} → ${kind}`, async () => {
      await using dir = await tmpdir({ git: true });
      const spec = await readSpec(join(SPECS, fixture), { cwd: dir.path, config: Config.parse({}), env: {} });
      expect(spec.source.kind).toBe(kind);
      expect(spec.items.length).toBeGreaterThanOrEqual(atLeast);
      expect(new Set(spec.items.map((i) => i.id)).size).toBe(spec.items.length);
      const ws = workspaceAt(dir.path);
      writeIntake(ws, spec);
      const onDisk = Spec.parse(JSON.parse(readFileSync(ws.spec, "utf8")));
      const checklist = Checklist.parse(JSON.parse(readFileSync(ws.checklist, "utf8")));
      expect(onDisk.items).toEqual(spec.items);
      expect(checklist.items.length).toBe(spec.items.length - selectHeldOut(spec.items).length);
      const again = await readSpec(join(SPECS, fixture), { cwd: dir.path, config: Config.parse({}), env: {} });
      expect(again.items.map((i) => i.id)).toEqual(spec.items.map((i) => i.id));
    });
  }

  test("a .txt brief file and a brief argument", async () => {
    await using dir = await tmpdir({
      git: true,
      files: { "idea.txt": "Add a CSV export to the orders page. Keep the current filters.\n" },
    });
    const fromFile = await readSpec("idea.txt", { cwd: dir.path, config: Config.parse({}), env: {} });
    expect(fromFile.source.kind).toBe("brief");
    expect(fromFile.items.map((i) => i.text)).toEqual(["Add a CSV export to the orders page", "Keep the current filters"]);
    const fromArg = await readSpec("add a CSV export to the orders page", { cwd: dir.path, config: Config.parse({}), env: {} });
    expect(fromArg.items.map((i) => i.kind)).toEqual(["brief"]);
  });
});
