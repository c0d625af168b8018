// lazySchema: a schema is built on its first use and from then on behaves as the schema itself —
// parse results and errors, derived schemas, instanceof, JSON Schema, compiled parsers — so wrapping
// every top-level schema changes when it is built, never what it accepts.
import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { lazySchema } from "../../src/core/lazy-schema.ts";
import { compiledSchema, parseFrozen } from "../../src/core/validated.ts";
import { Evidence } from "../../src/core/evidence-schema.ts";
import { Config } from "../../src/core/config.ts";

const plain = () =>
  z.object({
    id: z.string().min(1),
    kind: z.enum(["a", "b"]),
    count: z.number().int().default(0),
    tags: z.array(z.string()).optional(),
  });

describe("lazySchema", () => {
  test("nothing is built until the schema is used, then once", () => {
    let builds = 0;
    const Lazy = lazySchema(() => {
      builds++;
      return plain();
    });
    const Derived = lazySchema(() => z.object({ inner: Lazy.optional() }));
    expect(builds).toBe(0);
    expect(Derived.parse({ inner: { id: "x", kind: "a" } })).toEqual({ inner: { id: "x", kind: "a", count: 0 } });
    expect(Lazy.parse({ id: "y", kind: "b" })).toEqual({ id: "y", kind: "b", count: 0 });
    expect(builds).toBe(1);
  });

  test("accepts and refuses exactly what the schema does, with the same issues", () => {
    const Lazy = lazySchema(plain);
    const Eager = plain();
    const inputs: unknown[] = [
      { id: "x", kind: "a" },
      { id: "", kind: "a" },
      { id: "x", kind: "c", count: 1.5 },
      { id: "x", kind: "b", tags: ["t", 3] },
      null,
      "text",
      { id: "x", kind: "a", extra: true },
    ];
    for (const input of inputs) {
      const lazy = Lazy.safeParse(input);
      const eager = Eager.safeParse(input);
      expect(lazy.success).toBe(eager.success);
      expect(lazy.success ? lazy.data : lazy.error.issues).toEqual(eager.success ? eager.data : eager.error.issues);
      const compiled = compiledSchema(Lazy).safeParse(input);
      expect(compiled.success).toBe(eager.success);
    }
  });

  test("is an instance of its zod class; derived schemas, shape and options work through it", () => {
    const Kind = lazySchema(() => z.enum(["x", "y"]));
    const Item = lazySchema(plain);
    expect(Item instanceof z.ZodObject).toBe(true);
    expect(Kind instanceof z.ZodEnum).toBe(true);
    expect(Kind.options).toEqual(["x", "y"]);
    expect(Object.keys(Item.shape)).toEqual(["id", "kind", "count", "tags"]);
    expect(Item.extend({ more: z.boolean() }).parse({ id: "x", kind: "a", more: true })).toEqual({
      id: "x",
      kind: "a",
      count: 0,
      more: true,
    });
    expect(Item.array().safeParse([{ id: "" }]).success).toBe(false);
    expect(Item.partial().parse({})).toEqual(plain().partial().parse({}));
  });

  test("JSON Schema generated through it is the eager schema's", () => {
    const Inner = lazySchema(plain);
    const Outer = lazySchema(() => z.object({ a: Inner, b: z.array(Inner) }));
    const eagerInner = plain();
    const eager = z.object({ a: eagerInner, b: z.array(eagerInner) });
    expect(z.toJSONSchema(Outer, { target: "draft-7" })).toEqual(z.toJSONSchema(eager, { target: "draft-7" }));
  });

  test("loki's own lazy schemas parse their shapes: a default config, and a parsed value is frozen as valid", () => {
    const config = Config.parse({});
    expect(config.max_iterations).toBe(25);
    expect(Evidence.safeParse({}).success).toBe(false);
    const frozen = parseFrozen(Config, {});
    expect(Object.isFrozen(frozen)).toBe(true);
  });
});
