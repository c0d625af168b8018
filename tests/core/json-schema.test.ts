// The published JSON Schemas (docs/schemas/): regenerated here and compared byte for byte with the
// committed files (run `bun run schemas` after changing a zod schema), checked against real output
// of `loki verify`, and the config template's schema line and examples checked against them.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { loadConfig } from "../../src/core/config.ts";
import { jsonSchemas, SCHEMA_DIR, staleDescriptions } from "../../src/core/json-schema.ts";
import { loki } from "../helpers/cli.ts";
import { schemaErrors } from "../helpers/schemas.ts";
import { tmpdir } from "../helpers/tmp.ts";
import { NODE_BREAK, NODE_PROJECT, verifyRepo } from "../helpers/verify-repo.ts";

const ROOT = resolve(import.meta.dir, "..", "..");
const TEMPLATE = join(ROOT, "templates", "loki.yaml");

describe("published JSON Schemas", () => {
  test("docs/schemas/ holds exactly what the zod schemas generate (else: bun run schemas)", () => {
    for (const { file, text } of jsonSchemas()) {
      const path = join(ROOT, SCHEMA_DIR, file);
      expect(existsSync(path), `${path} is missing: run bun run schemas`).toBe(true);
      expect(readFileSync(path, "utf8"), `${file} differs from what the zod schemas generate: run bun run schemas`).toBe(text);
    }
    expect(jsonSchemas().map((s) => s.file)).toEqual(["config.schema.json", "evidence.schema.json", "proof.schema.json"]);
  });

  test("every described config key exists (a renamed key leaves no stale hover text)", () => {
    expect(staleDescriptions()).toEqual([]);
  });

  test("a real `loki verify --json` and the evidence.json it writes are valid evidence", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, NODE_BREAK);
    const result = await loki(["verify", "main", "--json"], { cwd: repo.path });
    expect(result.code).toBe(2);
    expect(schemaErrors("evidence", JSON.parse(result.stdout))).toEqual([]);
    const written = JSON.parse(readFileSync(join(repo.path, ".loki", "verify", "evidence.json"), "utf8"));
    expect(schemaErrors("evidence", written)).toEqual([]);
    // The schema is not vacuous: a wrong verdict and an unknown key are refused.
    expect(schemaErrors("evidence", { ...written, verdict: "PROBABLY" })).not.toEqual([]);
    expect(schemaErrors("evidence", { ...written, extra: 1 })).not.toEqual([]);
  });

  test("the config schema refuses what loki refuses, and accepts what it accepts", async () => {
    expect(schemaErrors("config", { provider: "codex", max_iterations: 10, verify: { test: "make test" } })).toEqual([]);
    expect(schemaErrors("config", {})).toEqual([]);
    for (const bad of [{ provider: "gpt9" }, { max_iterations: "ten" }, { max_iterations: 0 }, { ship: { merge_method: "yolo" } }]) {
      expect(schemaErrors("config", bad), JSON.stringify(bad)).not.toEqual([]);
      await using dir = await tmpdir();
      dir.write("loki.yaml", JSON.stringify(bad));
      expect(() => loadConfig(dir.path, {}), JSON.stringify(bad)).toThrow();
    }
    // An unknown key: loki warns and ignores it, an editor flags it.
    expect(schemaErrors("config", { max_iteration: 5 })).toEqual(["(root): must NOT have additional properties"]);
  });
});

describe("the config template", () => {
  const text = readFileSync(TEMPLATE, "utf8");

  test("starts with the yaml-language-server line, pointing at the published schema", () => {
    const first = text.split("\n")[0] ?? "";
    const match = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
    expect(match?.[1]).toBe(`../${SCHEMA_DIR}/config.schema.json`);
    expect(existsSync(resolve(dirname(TEMPLATE), match?.[1] ?? ""))).toBe(true);
  });

  test("as shipped (all commented) and with every example uncommented, loki reads it without a warning and the schema accepts it", async () => {
    // An example is a commented line holding a key: `# key: value` or an indented `#   key: value`.
    const uncommented = text.replace(/^# (?=\s*[a-z_]+:(?: |$))/gm, "");
    expect(uncommented.split("\n").filter((l) => /^[a-z_]+:/.test(l)).length).toBeGreaterThanOrEqual(10);
    for (const yaml of [text, uncommented]) {
      await using dir = await tmpdir();
      dir.write("loki.yaml", yaml);
      expect(loadConfig(dir.path, {}).warnings).toEqual([]);
      expect(schemaErrors("config", parseYaml(yaml) ?? {})).toEqual([]);
    }
  });
});
