// Canonical JSON is RFC 8785: key order by UTF-16 code units (`{"10":1,"9":2}`), ECMAScript number
// and string forms (the RFC's own examples and Appendix B), non-I-JSON input mapped, not crashed on;
// and what was hashed with the sorted-keys form before (held-out store commitments, spec locks,
// the held-out verdict seal) still checks, because for their fixed keys the two forms are the same bytes.
import { describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { writeFileSync } from "node:fs";
import { LokiError } from "../../src/core/errors.ts";
import { canonicalJson, iJsonProblem, sha256, sortedKeysJson } from "../../src/core/hash.ts";
import { HeldOutCommitment, SCHEMA_VERSION, type SpecItem } from "../../src/core/schema.ts";
import { workspaceAt } from "../../src/core/workspace.ts";
import { isSealed, sealOf } from "../../src/review/heldout-cache.ts";
import { assignIds } from "../../src/spec/checklist.ts";
import { commitHeldOut } from "../../src/spec/heldout.ts";
import { revealHeldOut } from "../../src/spec/heldout-store.ts";
import { itemHash } from "../../src/spec/lock.ts";
import { tmpdir } from "../helpers/tmp.ts";

/** The double whose IEEE 754 bits are `hex`. */
function double(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

describe("RFC 8785", () => {
  test("keys sort by UTF-16 code units, so integer-like keys sort as text: 10 before 9", () => {
    expect(canonicalJson({ "9": 2, "10": 1 })).toBe('{"10":1,"9":2}');
    expect(sortedKeysJson({ "9": 2, "10": 1 })).toBe('{"9":2,"10":1}');
  });

  test("unicode keys (RFC 8785 §3.2.3): surrogate pairs sort by their code units", () => {
    const input = JSON.parse(
      '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis"}',
    ) as Record<string, string>;
    // Values in the canonical text's own order (a parsed object would put the key "1" first again).
    const order = [...canonicalJson(input).matchAll(/:"([^"]+)"/g)].map((m) => m[1]);
    expect(order).toEqual([
      "Carriage Return",
      "One",
      "Control",
      "Latin Small Letter O With Diaeresis",
      "Euro Sign",
      "Emoji: Grinning Face",
      "Hebrew Letter Dalet With Dagesh",
    ]);
  });

  test("the RFC's sample (§3.2.2): literals, numbers and string escapes", () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  test("numbers take their ECMAScript form: 1e21, -0, 0.1+0.2 and Appendix B", () => {
    expect(canonicalJson([1e21, -0, 0.1 + 0.2, 1e-7, 100, 1.5])).toBe("[1e+21,0,0.30000000000000004,1e-7,100,1.5]");
    const appendixB: [string, string][] = [
      ["0000000000000000", "0"],
      ["8000000000000000", "0"],
      ["0000000000000001", "5e-324"],
      ["8000000000000001", "-5e-324"],
      ["7fefffffffffffff", "1.7976931348623157e+308"],
      ["ffefffffffffffff", "-1.7976931348623157e+308"],
      ["4340000000000000", "9007199254740992"],
      ["c340000000000000", "-9007199254740992"],
      ["4430000000000000", "295147905179352830000"],
      ["44b52d02c7e14af5", "9.999999999999997e+22"],
      ["44b52d02c7e14af6", "1e+23"],
      ["44b52d02c7e14af7", "1.0000000000000001e+23"],
      ["444b1ae4d6e2ef4e", "999999999999999700000"],
      ["444b1ae4d6e2ef4f", "999999999999999900000"],
      ["444b1ae4d6e2ef50", "1e+21"],
      ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
      ["3eb0c6f7a0b5ed8d", "0.000001"],
      ["41b3de4355555553", "333333333.3333332"],
      ["41b3de4355555554", "333333333.33333325"],
      ["41b3de4355555555", "333333333.3333333"],
      ["41b3de4355555556", "333333333.3333334"],
      ["41b3de4355555557", "333333333.33333343"],
      ["becbf647612f3696", "-0.0000033333333333333333"],
      ["43143ff3c1cb0959", "1424953923781206.2"],
    ];
    expect(appendixB.map(([hex]) => canonicalJson(double(hex)))).toEqual(appendixB.map(([, json]) => json));
  });

  test("no whitespace, nested objects sorted at every depth, array order kept, undefined members dropped", () => {
    expect(canonicalJson({ b: [3, { z: 1, a: undefined, m: [2, 1] }], a: "x" })).toBe('{"a":"x","b":[3,{"m":[2,1],"z":1}]}');
  });
});

describe("input RFC 8785 cannot take", () => {
  test("is mapped as a UTF-8 JSON writer would store it, never thrown on", () => {
    const odd = { ["k\uD800"]: "v\uDC00w", n: Number.NaN, i: Number.POSITIVE_INFINITY, d: new Date(0), list: [undefined, 1] };
    expect(iJsonProblem(odd)).toBe("a lone surrogate in a key at $");
    expect(iJsonProblem({ a: ["ok", Number.NaN] })).toBe("the non-finite number NaN at $.a[1]");
    expect(iJsonProblem({ a: ["ok", "\uD83D\uDE00"] })).toBeNull();
    expect(canonicalJson(odd)).toBe('{"d":"1970-01-01T00:00:00.000Z","i":null,"k\uFFFD":"v\uFFFDw","list":[null,1],"n":null}');
  });

  test("a cyclic value is an internal LokiError", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(LokiError);
    expect(() => canonicalJson(cyclic)).toThrow(/cyclic/);
  });
});

describe("what was hashed with the sorted-keys form before RFC 8785", () => {
  const items: SpecItem[] = assignIds(
    ["Users can log in", "Prices show in € and ¥ — naïve café", "Logs rotate daily", "Exports are CSV", "Rate limits apply"].map(
      (text, i) => ({
        text,
        kind: "acceptance" as const,
        ...(i === 1 ? { section: "Ünïcode" } : {}),
        ...(i === 2 ? { verify: "npm test" } : {}),
      }),
    ),
  );

  test("spec lock item hashes are unchanged: a lock written before does not report drift", () => {
    for (const item of items) {
      const before = sha256(
        sortedKeysJson({ text: item.text, kind: item.kind, section: item.section ?? null, verify: item.verify ?? null }),
      );
      expect(itemHash(item)).toBe(before);
    }
  });

  test("a held-out store committed before still reveals against its commitment", async () => {
    await using dir = await tmpdir({ git: true });
    const ws = workspaceAt(dir.path);
    const { commitment, store } = commitHeldOut(ws, "run-before", items);
    const before = sha256(sortedKeysJson(store));
    expect(commitment.store_sha256).toBe(before);
    // The commitment file exactly as the older loki wrote it.
    writeFileSync(ws.heldOut, JSON.stringify(HeldOutCommitment.parse({ ...commitment, store_sha256: before }), null, 2));
    expect(revealHeldOut(ws, "run-before").items.map((i) => i.id)).toEqual(store.items.map((i) => i.id));
  });

  test("a held-out verdict sealed before keeps its seal", () => {
    const salt = "0f".repeat(16);
    const result = {
      schema_version: SCHEMA_VERSION,
      run_id: "run-before",
      iteration: 2,
      evaluated_at: "2026-01-02T03:04:05.000Z",
      verdict: "VERIFIED" as const,
      items: [{ id: "ac-1", status: "pass" as const, method: "judge" as const, category: "Acceptance", evidence: "café.js:1 ✓" }],
      passed: 1,
      failed: 0,
      unknown: 0,
      tree: "a".repeat(40),
    };
    const before = createHmac("sha256", Buffer.from(salt, "hex"))
      .update(`loki/heldout-result/v1\n${sortedKeysJson(result)}`)
      .digest("hex");
    expect(sealOf(salt, result)).toBe(`hmac-sha256:${before}`);
    expect(isSealed(salt, { ...result, mac: `hmac-sha256:${before}` })).toBe(true);
  });
});
