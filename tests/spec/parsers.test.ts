// Cross-parser properties: large inputs (a ~2,000-line PRD, a ~5 MB OpenAPI document) give the
// expected counts and lines, parsing is deterministic, and the parser modules stay pure.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseBrief } from "../../src/spec/brief.ts";
import { parseMarkdown } from "../../src/spec/markdown.ts";
import { parseOpenApi } from "../../src/spec/openapi.ts";
import { parseStructured, parseJsonText, parseYamlText } from "../../src/spec/structured.ts";
import { fixture, specErrorOf } from "../helpers/spec-fixture.ts";

/** 100 sections of 20 lines; every tenth is an excluded "Notes" section. */
function bigPrd(): string {
  const lines = ["# Big product", ""];
  for (let s = 0; s < 100; s++) {
    lines.push(s % 10 === 9 ? `## Notes ${s}` : `## Feature ${s} acceptance criteria`, "");
    for (let i = 0; i < 10; i++) lines.push(`- [ ] Feature ${s} item ${i} works (verify: \`bun test f${s}-${i}\`)`);
    lines.push(`- Group ${s}:`, `  - leaf ${s}.a`, `  - leaf ${s}.b`, `  - leaf ${s}.c`);
    lines.push("```", `- [ ] fenced ${s}`, "```", "");
  }
  return lines.join("\n");
}

/** An OpenAPI document of `count` paths × 2 operations (5,000 paths ≈ 5 MB of JSON). */
function bigOpenApi(count = 5000): { doc: Record<string, unknown> } {
  const paths: Record<string, unknown> = {};
  const pad = "Lorem ipsum dolor sit amet. ".repeat(12);
  for (let p = 0; p < count; p++) {
    const ok = { "200": { description: pad }, "404": { $ref: "#/components/responses/NotFound" } };
    paths[`/things/${p}/{id}`] =
      p % 100 === 0
        ? { $ref: `#/components/x-shared/~1shared~1${p}` }
        : {
            get: { summary: `Get thing ${p}`, tags: ["things"], responses: ok },
            put: { operationId: `putThing${p}`, description: pad, responses: ok },
          };
  }
  const shared: Record<string, unknown> = {};
  for (let p = 0; p < count; p += 100)
    shared[`/shared/${p}`] = { get: { summary: `Shared ${p}`, responses: { "200": { description: "ok" } } }, delete: { responses: {} } };
  const doc = {
    openapi: "3.0.3",
    info: { title: "Big", version: "9" },
    paths,
    components: { responses: { NotFound: { description: "nf" } }, "x-shared": shared },
  };
  return { doc };
}

describe("large inputs", () => {
  test("a ~2,000-line PRD: counts, verify commands, exclusions and lines", () => {
    const text = bigPrd();
    expect(text.split("\n").length).toBeGreaterThanOrEqual(2000);
    const spec = parseMarkdown(text, "big.md");
    expect(spec.items.length).toBe(90 * 13);
    expect(spec.sections.length).toBe(101);
    expect(spec.items.filter((i) => i.verify !== undefined).length).toBe(900);
    expect(spec.items.filter((i) => i.group === "Group 0").map((i) => i.text)).toEqual(["leaf 0.a", "leaf 0.b", "leaf 0.c"]);
    expect(spec.items.some((i) => i.text.startsWith("fenced") || i.section?.startsWith("Notes"))).toBe(false);
    const last = spec.items[spec.items.length - 1];
    expect(last).toMatchObject({ text: "leaf 98.c", line: text.split("\n").indexOf("  - leaf 98.c") + 1 });
  });

  test("a ~5 MB OpenAPI JSON: every operation, refs resolved, lines of path keys", () => {
    const { doc } = bigOpenApi();
    const raw = JSON.stringify(doc, null, 2);
    expect(raw.length).toBeGreaterThan(5_000_000);
    const spec = parseOpenApi(parseJsonText(raw, "big.json"), raw, "big.json");
    expect(spec.endpoints).toBe(50 * 2 + 4950 * 2);
    expect(spec.items.length).toBe(spec.endpoints);
    expect(spec.warnings).toEqual([]);
    expect(spec.items.slice(0, 3).map((i) => i.text)).toEqual([
      "GET /things/0/{id} — Shared 0 (responses: 200)",
      "DELETE /things/0/{id}",
      "GET /things/1/{id} — Get thing 1 (responses: 200, 404)",
    ]);
    const lastPath = "/things/4999/{id}";
    expect(spec.items[spec.items.length - 1]).toMatchObject({
      text: `PUT ${lastPath} — putThing4999 (responses: 200, 404)`,
      line: raw.slice(0, raw.indexOf(`"${lastPath}"`)).split("\n").length,
    });
  });

  test("a ~5 MB OpenAPI YAML gives the same operations as its JSON twin", () => {
    const { doc } = bigOpenApi();
    const raw = Bun.YAML.stringify(doc, null, 2);
    expect(raw.length).toBeGreaterThan(5_000_000);
    const fromYaml = parseOpenApi(parseYamlText(raw, "big.yaml"), raw, "big.yaml");
    const json = JSON.stringify(doc, null, 2);
    const fromJson = parseOpenApi(parseJsonText(json), json);
    expect(fromYaml.items.map((i) => i.text)).toEqual(fromJson.items.map((i) => i.text));
    expect(fromYaml.items[fromYaml.items.length - 1]?.line).toBe(raw.slice(0, raw.indexOf('"/things/4999/{id}":')).split("\n").length);
  });

  test("a syntax error deep in a large (natively parsed) YAML file still reports its line and column", () => {
    const body = Bun.YAML.stringify(bigOpenApi(1200).doc, null, 2).trimEnd();
    const raw = `${body}\nbad:\n  - x\n y: 1\n`;
    const lines = body.split("\n").length + 3;
    expect(raw.length).toBeGreaterThan(1_000_000);
    const error = specErrorOf(() => parseYamlText(raw, "big.yaml"));
    expect(error.message).toBe(`big.yaml:${lines}:1: invalid YAML: All mapping items must start at the same column`);
  });

  test("a minified 5 MB document still parses, every operation on line 1", () => {
    const { doc } = bigOpenApi();
    const raw = JSON.stringify(doc);
    const spec = parseOpenApi(JSON.parse(raw), raw);
    expect(spec.items.length).toBe(10000);
    expect(new Set(spec.items.map((i) => i.line))).toEqual(new Set([1]));
  });
});

describe("every parser", () => {
  test.each([
    ["markdown", () => parseMarkdown(fixture("prd-todo.md"))],
    ["json", () => parseStructured(parseJsonText(fixture("spec.json")), fixture("spec.json"))],
    ["yaml", () => parseStructured(parseYamlText(fixture("spec.yaml")), fixture("spec.yaml"))],
    ["openapi", () => parseOpenApi(parseYamlText(fixture("openapi3.yaml")), fixture("openapi3.yaml"))],
    ["brief", () => parseBrief("Add a health check; log every request")],
  ])("%s is deterministic and emits normalized item texts", (_name, parse) => {
    const first = parse();
    expect(parse()).toEqual(first);
    for (const item of first.items) {
      expect(item.text).toBe(item.text.replace(/\s+/g, " ").trim());
      expect(item.text.length).toBeGreaterThan(0);
      if (item.line !== undefined) expect(item.line).toBeGreaterThan(0);
    }
  });

  test.each([
    "brief",
    "item-text",
    "markdown",
    "markdown-items",
    "markdown-lines",
    "openapi",
    "openapi-refs",
    "openspec",
    "structured",
    "structured-items",
  ])("src/spec/%s.ts touches no fs, network or process state", (name) => {
    const source = readFileSync(join(import.meta.dir, "../../src/spec", `${name}.ts`), "utf8");
    expect(source).not.toMatch(
      /from "(node:)?(fs|fs\/promises|child_process|net|http|https|os)"|\bprocess\.|\bBun\.(?!YAML\.parse\()|\bfetch\(|\bDate\.now|new Date\(/,
    );
  });
});
