// The ledger's kept form (run/ledger-columns.ts): what it writes reads back as the very tally and the
// very bills, for any ledger; counts it cannot hold write no summary; and bytes it did not write —
// cut short, or with a row, a count or a role that is not one it writes — read as null.
import { describe, expect, test } from "bun:test";
import type { CostEntry } from "../../src/core/run-schema.ts";
import { addCostEntry, type LedgerTally } from "../../src/run/history-tally.ts";
import { encodeLedger, readKeptLedger, tallyOfKept } from "../../src/run/ledger-columns.ts";
import { billsOf, billsOfKept } from "../../src/run/metrics.ts";

/** A seeded generator (mulberry32): the same ledgers at every run. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ROLES: CostEntry["role"][] = ["build", "review", "judge", "plan"];
const BASES: CostEntry["basis"][] = ["exact", "estimated", "declared"];
const RUN_IDS = ["20260101-000000-0001", "run ✓ ünïcode", "lone \ud800 surrogate", 'quote " and \\ and \n', ""];
const ITERATIONS = [0, 1, 2, 7, -3, 2 ** 40, -(2 ** 52)];

function ledgerOf(seed: number, entries: number): LedgerTally {
  const next = random(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)] as T;
  const ledger: LedgerTally = new Map();
  for (let i = 0; i < entries; i++)
    addCostEntry(ledger, {
      ts: new Date(Date.UTC(2026, 0, 1) + Math.floor(next() * 1e9)).toISOString(),
      run_id: pick(RUN_IDS),
      iteration: pick(ITERATIONS),
      call_id: `c-${i}`,
      role: pick(ROLES),
      provider: "claude",
      model: "m",
      usd: pick([0, 0.1, 0.2, 1 / 3, 1e-9, 12345.6789, next()]),
      basis: pick(BASES),
      tokens: {},
      duration_ms: 1,
    });
  return ledger;
}

/** The kept bytes as the layout lays them out, on a copy: its numbers and counts to edit. */
function layout(bytes: Uint8Array) {
  const copy = new Uint8Array(bytes);
  const [, runs = 0, numCount = 0] = new Uint32Array(copy.buffer, 0, 4);
  const nums = new Float64Array(copy.buffer, 16, numCount);
  const counts = new Uint32Array(copy.buffer, 16 + numCount * 8, (runs + (numCount - runs) / 2) * 4);
  return { copy, nums, counts };
}

describe("the ledger's kept form", () => {
  test("any ledger reads back as its tally and its bills, bit for bit", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const ledger = ledgerOf(seed, seed * 7);
      const bytes = encodeLedger(ledger);
      const kept = bytes && readKeptLedger(bytes);
      if (!kept) throw new Error(`seed ${seed}: not read back`);
      expect(tallyOfKept(kept)).toEqual(ledger);
      expect(billsOfKept(kept)).toEqual(billsOf(ledger));
    }
  });

  test("an empty ledger is kept too, and read back empty", () => {
    const bytes = encodeLedger(new Map());
    expect(bytes && readKeptLedger(bytes)).toEqual({ ids: [], firsts: [], nums: new Float64Array(), counts: new Uint32Array() });
  });

  test("a count past 32 bits is not kept: no summary, not a wrong one", () => {
    const ledger = ledgerOf(3, 10);
    const run = [...ledger.values()][0];
    if (!run) throw new Error("a run");
    run.calls = 2 ** 32;
    expect(encodeLedger(ledger)).toBeNull();
  });

  test("bytes cut short anywhere, or longer, read as null", () => {
    const bytes = encodeLedger(ledgerOf(5, 12)) as Uint8Array;
    for (let end = 0; end < bytes.length; end++) expect(readKeptLedger(bytes.subarray(0, end))).toBeNull();
    expect(readKeptLedger(new Uint8Array([...bytes, 0]))).toBeNull();
  });

  test("a row, a count or a role it does not write reads as null", () => {
    const bytes = encodeLedger(ledgerOf(9, 30)) as Uint8Array;
    const edits: [string, (l: ReturnType<typeof layout>) => void][] = [
      ["magic (or the other byte order)", (l) => l.copy.set([0x4c, 0x4b, 0x4c, 0x31], 0)],
      ["a run's dollars not a number", (l) => l.nums.set([Number.NaN], 0)],
      ["a run's dollars below zero", (l) => l.nums.set([-1], 0)],
      ["an iteration number not whole", (l) => l.nums.set([1.5], 1)],
      ["a run's calls not its iterations' sum", (l) => l.counts.set([(l.counts[0] as number) + 1], 0)],
      ["more estimated than calls", (l) => l.counts.set([(l.counts[0] as number) + 1], 1)],
      ["a run with no iteration", (l) => l.counts.set([0], 3)],
      ["an iteration's roles none", (l) => l.counts.set([0], 7)],
      ["an iteration's roles not a role", (l) => l.counts.set([5], 7)],
      ["an iteration's roles repeated", (l) => l.counts.set([1 + 8], 7)],
      ["two iterations with one number", (l) => l.nums.set([l.nums[1] as number], 3)],
    ];
    expect(readKeptLedger(layout(bytes).copy)).not.toBeNull();
    for (const [what, edit] of edits) {
      const l = layout(bytes);
      edit(l);
      expect([what, readKeptLedger(l.copy)]).toEqual([what, null]);
    }
  });

  test("two runs under one id, or ids that are not strings, read as null", () => {
    const bytes = encodeLedger(ledgerOf(11, 40)) as Uint8Array;
    const { counts } = layout(bytes);
    const at = counts.byteOffset + counts.byteLength;
    /** The bytes with their strings (a JSON array: the ids, then the first timestamps) edited. */
    const withStrings = (edit: (strings: unknown[]) => unknown[]) => {
      const text = Buffer.from(JSON.stringify(edit(JSON.parse(Buffer.from(bytes.subarray(at)).toString("utf8")))));
      const out = new Uint8Array(at + text.length);
      out.set(bytes.subarray(0, at));
      out.set(text, at);
      new Uint32Array(out.buffer, 0, 4)[3] = text.length;
      return out;
    };
    expect(readKeptLedger(withStrings((strings) => strings))).not.toBeNull();
    expect(readKeptLedger(withStrings((strings) => strings.map((s, i) => (i === 1 ? strings[0] : s))))).toBeNull();
    expect(readKeptLedger(withStrings((strings) => strings.map((s, i) => (i === 0 ? 1 : s))))).toBeNull();
    expect(readKeptLedger(withStrings((strings) => strings.slice(1)))).toBeNull();
  });
});
