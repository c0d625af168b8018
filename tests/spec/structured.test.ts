// Free-form JSON/YAML specs: recognized keys at any depth, groups, verify, source lines, and
// syntax errors reported as file:line:col.
import { describe, expect, test } from "bun:test";
import { assertShallow, MULTI_DOCUMENT_WARNING, parseJsonText, parseStructured, parseYamlText } from "../../src/spec/structured.ts";
import type { SpecItemKind } from "../../src/core/schema.ts";
import { loki } from "../helpers/cli.ts";
import { fixture, rows, specErrorOf } from "../helpers/spec-fixture.ts";
import { tmpdir } from "../helpers/tmp.ts";

const u = undefined;

describe("parseStructured on JSON", () => {
  const raw = fixture("spec.json");
  const spec = parseStructured(parseJsonText(raw, "spec.json"), raw, "spec.json");

  test("items from nested recognized lists, with groups, verify and lines", () => {
    expect(rows(spec)).toEqual([
      {
        line: 8,
        kind: "acceptance",
        section: "acceptance_criteria",
        group: "Search",
        verify: u,
        text: "Search by ingredient returns matching recipes",
      },
      { line: 9, kind: "acceptance", section: "acceptance_criteria", group: "Search", verify: u, text: "Search is case-insensitive" },
      {
        line: 13,
        kind: "requirement",
        section: "features",
        group: u,
        verify: "bun test tests/import.test.ts",
        text: "Import: Import a recipe from a URL",
      },
      { line: 17, kind: "requirement", section: "features", group: u, verify: u, text: "Print a recipe card" },
      { line: 20, kind: "task", section: "Tasks", group: u, verify: u, text: "Set up the database" },
      { line: 20, kind: "task", section: "Tasks", group: u, verify: u, text: "Write the importer" },
    ]);
  });

  test("title, summary (first paragraph) and one section per recognized list", () => {
    expect([spec.title, spec.summary, spec.warnings]).toEqual(["Recipe box", "Save and share recipes.", []]);
    expect(spec.sections).toEqual([
      { title: "features", level: 1, line: 4 },
      { title: "acceptance_criteria", level: 2, line: 7 },
      { title: "Tasks", level: 2, line: 20 },
    ]);
    expect(spec.text).toContain("not an item");
  });
});

describe("parseStructured on YAML", () => {
  const raw = fixture("spec.yaml");
  const spec = parseStructured(parseYamlText(raw, "spec.yaml"), raw, "spec.yaml");

  test("items with lines from YAML node ranges; sub-keys of a list group their items", () => {
    expect(rows(spec)).toEqual([
      { line: 6, kind: "requirement", section: "requirements", group: "functional", verify: u, text: "Show free spots on a map" },
      { line: 7, kind: "requirement", section: "requirements", group: "functional", verify: u, text: "Pay by card" },
      { line: 9, kind: "requirement", section: "requirements", group: "security", verify: u, text: "Card numbers are never stored" },
      {
        line: 11,
        kind: "requirement",
        section: "user-stories",
        group: u,
        verify: u,
        text: "Reserve: As a driver I reserve a spot ahead of time",
      },
      { line: 13, kind: "requirement", section: "user-stories", group: u, verify: u, text: "US-7: As an admin I see all reservations" },
      {
        line: 17,
        kind: "scenario",
        section: "scenarios",
        group: u,
        verify: u,
        text: "Expired ticket: GIVEN a ticket that ran out; WHEN the driver opens the app; THEN a warning is shown",
      },
    ]);
  });

  test("unusable elements are warnings, not items", () => {
    expect(spec.warnings).toEqual([
      "ignored an element with no name, title or description at user-stories.2",
      "ignored a non-text element at scenarios.1",
    ]);
    expect([spec.title, spec.summary]).toEqual(["Parking app", "Find and pay for parking."]);
  });

  test("multi-document YAML uses the first document and warns", () => {
    const multi = fixture("bad/multi.yaml");
    const parsed = parseStructured(parseYamlText(multi, "multi.yaml"), multi, "multi.yaml");
    expect(parsed.items.map((i) => [i.text, i.line])).toEqual([["Write the parser", 3]]);
    expect(parsed.warnings).toEqual([MULTI_DOCUMENT_WARNING]);
  });

  test.each([
    ["acceptanceCriteria", "acceptance"],
    ["Acceptance Criteria", "acceptance"],
    ["user_stories", "requirement"],
    ["STORIES", "requirement"],
    ["criteria", "acceptance"],
    ["tasks", "task"],
  ])("key %s gives kind %s", (key, kind) => {
    const raw = `{"${key}": ["do the thing"]}`;
    expect(parseStructured(JSON.parse(raw), raw).items).toEqual([
      { text: "do the thing", kind: kind as SpecItemKind, section: key, line: 1 },
    ]);
  });

  test("nothing recognized names the keys loki looks for", () => {
    const raw = fixture("bad/no-items.json");
    const error = specErrorOf(() => parseStructured(parseJsonText(raw, "no-items.json"), raw, "no-items.json"));
    expect(error.message).toBe(
      "no acceptance items found in no-items.json: loki looks for lists under the keys features, requirements, acceptance, acceptance_criteria, criteria, user_stories, stories, tasks, scenarios",
    );
    expect(error.hint).toContain("acceptance_criteria");
  });
});

describe("syntax errors carry file:line:col", () => {
  test.each([
    ["fixture: trailing comma", fixture("bad/invalid.json"), "bad.json:6:3: invalid JSON: value expected"],
    ["missing comma", '{\n  "a": 1\n  "b": 2\n}', "bad.json:3:3: invalid JSON: ',' expected"],
    ["comment", '{\n  // no\n  "a": 1\n}', "bad.json:2:3: invalid JSON: comments are not allowed in JSON"],
    ["unterminated string", '{"a": "open\n}', "bad.json:1:7: invalid JSON: unterminated string"],
    ["empty file", "", "bad.json:1:1: invalid JSON: value expected"],
    ["two values", "{}\n{}", "bad.json:2:1: invalid JSON: unexpected content after the end of the document"],
  ])("JSON %s", (_name, text, message) => {
    const error = specErrorOf(() => parseJsonText(text, "bad.json"));
    expect(error.message).toBe(message);
    expect(error.hint).toMatch(/^fix the JSON at line \d+, column \d+ of bad\.json/);
  });

  test.each([
    [
      "fixture: bad indentation",
      fixture("bad/invalid.yaml"),
      "bad.yaml:5:1: invalid YAML: All mapping items must start at the same column",
    ],
    ["unterminated quote", 'title: x\nname: "open\n', 'bad.yaml:3:1: invalid YAML: Missing closing "quote'],
    ["duplicate key", "a: 1\na: 2\n", "bad.yaml:2:1: invalid YAML: Map keys must be unique"],
    [
      "error in a later document",
      "a: 1\n---\nb: [\n",
      "bad.yaml:4:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ],
  ])("YAML %s", (_name, text, message) => {
    const error = specErrorOf(() => parseYamlText(text, "bad.yaml"));
    expect(error.message).toBe(message);
    expect(error.data).toMatchObject({ file: "bad.yaml" });
  });

  test("valid input parses; a BOM is tolerated", () => {
    expect(parseJsonText('\uFEFF{"a": [1]}')).toEqual({ a: [1] });
    expect(parseYamlText("a:\n  - 1\n")).toEqual({ a: [1] });
    expect(parseYamlText("")).toBeNull();
  });
});

describe("a spec nested past any real one", () => {
  test("a 100,000-level JSON spec is refused as a spec error (exit 3 from plan), not a stack overflow", async () => {
    await using dir = await tmpdir({ commit: true, files: { "deep.json": `${"[".repeat(100_000)}${"]".repeat(100_000)}` } });
    const result = await loki(["plan", "deep.json"], { cwd: dir.path });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("deep.json is nested more than 200 levels deep");
    expect(result.stderr).not.toContain("internal error");
  });

  test("200 levels are read; 201 are not", () => {
    const nest = (n: number) => `${"[".repeat(n - 1)}{"acceptance_criteria": ["a user can sign in"]}${"]".repeat(n - 1)}`;
    expect(() => assertShallow(JSON.parse(nest(199)), "ok.json")).not.toThrow();
    expect(specErrorOf(() => assertShallow(JSON.parse(nest(201)), "deep.json")).message).toContain("more than 200 levels");
  });
});
