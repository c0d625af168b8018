// OpenAPI 3.x / Swagger 2.0: one item per operation in document order, $ref resolution with
// warnings for broken, circular and external refs, and the line of each path key.
import { describe, expect, test } from "bun:test";
import { isOpenApi, parseOpenApi } from "../../src/spec/openapi.ts";
import { createResolver, resolvePointer } from "../../src/spec/openapi-refs.ts";
import { parseJsonText, parseYamlText } from "../../src/spec/structured.ts";
import { fixture, specErrorOf } from "../helpers/spec-fixture.ts";

function load(rel: string) {
  const raw = fixture(rel);
  const value = rel.endsWith(".json") ? parseJsonText(raw, rel) : parseYamlText(raw, rel);
  return { raw, value };
}

const ops = (rel: string) => {
  const { raw, value } = load(rel);
  return parseOpenApi(value, raw, rel);
};

describe("OpenAPI 3 JSON with $refs", () => {
  const spec = ops("openapi3.json");

  test("one operation item per operation, in document order", () => {
    expect(spec.items.map((i) => [i.line, i.section, i.text])).toEqual([
      [9, "users", "GET /users — List users (responses: 200, default)"],
      [9, "users", "POST /users — createUser (responses: 201, 422)"],
      [27, "users", "GET /users/{id} — Get a user (responses: 200, 404)"],
      [27, undefined, "DELETE /users/{id} — Delete a user (responses: 204)"],
      [30, "teams", "GET /teams/{team}/members — Lists the members of a team (responses: 200, 404)"],
      [43, undefined, "HEAD /tilde~path (responses: 204)"],
    ]);
    expect(spec.items.every((i) => i.kind === "operation")).toBe(true);
    expect(spec.items[2]?.operation).toEqual({ method: "GET", path: "/users/{id}", responses: ["200", "404"] });
    expect(spec.endpoints).toBe(6);
  });

  test("broken, circular and external refs are warnings, not crashes", () => {
    expect(spec.warnings).toEqual([
      "unresolvable $ref: #/components/responses/Invalid (at POST /users response 422)",
      "circular $ref: #/components/pathItems/loopA → #/components/pathItems/loopB → #/components/pathItems/loopA (at /loop)",
      "external $ref not followed: shared.yaml#/paths/~1remote (at /remote)",
    ]);
  });

  test("title with version, summary from the first paragraph, a section per first tag", () => {
    expect([spec.title, spec.summary]).toEqual(["Users API v1.4.0", "Manage users and their teams."]);
    expect(spec.sections).toEqual([
      { title: "users", level: 2, line: 9 },
      { title: "teams", level: 2, line: 30 },
    ]);
  });
});

describe("OpenAPI 3 YAML and Swagger 2.0", () => {
  test.each([
    [
      "openapi3.yaml",
      "Orders v2",
      [
        [7, "GET /orders — List orders (responses: 200)"],
        [7, "POST /orders — Place an order (responses: 201, 400)"],
        [22, "GET /orders/{id} — Get an order (responses: 200)"],
        [24, "POST /orders/{id}/cancel — cancelOrder (responses: 202)"],
      ],
      ["unresolvable $ref: #/components/responses/Missing (at POST /orders response 400)"],
    ],
    [
      "swagger2.yaml",
      "Pet Store v1.0.0",
      [
        [7, "GET /pets — List pets (responses: 200, default)"],
        [7, "POST /pets — Adds a pet to the store (responses: 201)"],
        [21, "DELETE /pets/{petId} — deletePet (responses: 204)"],
      ],
      [],
    ],
  ])("%s", (rel, title, items, warnings) => {
    const spec = ops(rel);
    expect(spec.title).toBe(title);
    expect(spec.items.map((i) => [i.line, i.text])).toEqual(items);
    expect(spec.warnings).toEqual(warnings);
  });

  test.each([
    [{ openapi: "3.0.3", paths: {} }, true],
    [{ openapi: "3.1.0" }, true],
    [{ openapi: 3.1 }, true],
    [{ swagger: "2.0" }, true],
    [{ swagger: 2 }, true],
    [{ openapi: "2.0" }, false],
    [{ swagger: "1.2" }, false],
    [{ title: "x", paths: {} }, false],
    [["openapi"], false],
    ["openapi: 3.0.0", false],
    [null, false],
  ])("isOpenApi(%j) is %p", (value, expected) => {
    expect(isOpenApi(value)).toBe(expected);
  });
});

describe("OpenAPI errors and refs", () => {
  test("no paths is a spec error with a hint", () => {
    const error = specErrorOf(() => ops("openapi-no-paths.yaml"));
    expect(error.message).toBe("OpenAPI document has no paths");
    expect(error.hint).toContain("paths:");
    expect(specErrorOf(() => parseOpenApi({ swagger: "2.0" }, "")).message).toBe("OpenAPI document has no paths");
  });

  test("paths without operations is a spec error", () => {
    const value = { openapi: "3.0.0", paths: { "/x": { parameters: [] } } };
    expect(specErrorOf(() => parseOpenApi(value, JSON.stringify(value), "api.json")).message).toBe(
      "OpenAPI document has no operations under paths in api.json",
    );
  });

  test("JSON pointers decode ~1, ~0, percent escapes and array indexes", () => {
    const root = { a: { "x/y": { "m~n": [10, 20] } }, "{id}": 1 };
    expect(resolvePointer(root, "#/a/x~1y/m~0n/1")).toBe(20);
    expect(resolvePointer(root, "#/%7Bid%7D")).toBe(1);
    expect(resolvePointer(root, "#")).toBe(root);
    expect(resolvePointer(root, "#/a/missing")).toBeUndefined();
    expect(resolvePointer(root, "#/a/toString")).toBeUndefined();
  });

  test("a self-referencing ref warns once however often it is used", () => {
    const warnings: string[] = [];
    const root = { self: { $ref: "#/self" } };
    const resolve = createResolver(root, warnings);
    expect(resolve({ $ref: "#/self" }, "first")).toBeUndefined();
    expect(resolve({ $ref: "#/self" }, "second")).toBeUndefined();
    expect(warnings).toEqual(["circular $ref: #/self → #/self (at first)"]);
  });
});
