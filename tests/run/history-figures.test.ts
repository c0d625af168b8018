// `loki trust`, `loki cost` and `loki proof list` on a recorded history show exactly what the
// straightforward reading (every line parsed, every proof parsed) shows: the first read, a repeated
// one, after new runs, and after torn, invalid or hand-edited lines.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { historyRepo, type HistoryRepo } from "../../bench/history-fixture.ts";
import { listProofs } from "../../src/proof/store.ts";
import { fullReading, summaryReading } from "../helpers/history-oracle.ts";

let repo: HistoryRepo;
beforeAll(async () => {
  repo = await historyRepo(24);
}, 120_000);
afterAll(async () => {
  await repo[Symbol.asyncDispose]();
});

const expected = () => fullReading(repo.ws);

const actual = () => summaryReading(repo.ws);

describe("history figures", () => {
  test("the recorded history: the same figures, read once and read again", () => {
    const want = expected();
    expect(want.trajectory?.runs).toBe(24);
    expect(want.bills.length).toBe(24);
    expect(actual()).toEqual(want);
    expect(actual()).toEqual(want);
  });

  test("lines appended after a read count, and a torn tail counts as today (skipped, then replaced)", () => {
    const { ws } = repo;
    actual();
    const cost = readFileSync(ws.costLedger, "utf8").split("\n");
    const entry = JSON.parse(cost[0] ?? "{}");
    appendFileSync(ws.costLedger, `${JSON.stringify({ ...entry, run_id: "late-run", usd: 1.25 })}\n`);
    appendFileSync(ws.trustEvents, `${JSON.stringify({ ts: entry.ts, run_id: "late-run", iteration: 0, kind: "run_start", data: {} })}\n`);
    expect(actual()).toEqual(expected());
    appendFileSync(ws.costLedger, '{"ts":"2026-01-01T00:00:00.000Z","run_id":"late-run","iter');
    appendFileSync(
      ws.trustEvents,
      '{"ts":"2026-01-01T00:00:00.000Z","run_id":"late-run","iteration":0,"kind":"completion","data":{"outcome":"verified"}}',
    );
    expect(actual()).toEqual(expected());
  });

  test("invalid lines in the middle and a hand edit that keeps the size are read as today", () => {
    const { ws } = repo;
    actual();
    const lines = readFileSync(ws.costLedger, "utf8").split("\n");
    lines.splice(5, 0, "not json", '{"ts":"x"}', "");
    writeFileSync(ws.costLedger, lines.join("\n"));
    expect(actual()).toEqual(expected());
    const text = readFileSync(ws.costLedger, "utf8");
    const edited = text.replace(/"usd":0\.0(\d)/, '"usd":0.9$1');
    expect(edited.length).toBe(text.length);
    writeFileSync(ws.costLedger, edited);
    const events = readFileSync(ws.trustEvents, "utf8").replace('"outcome":"verified"', '"outcome":"stalled!"');
    writeFileSync(ws.trustEvents, events);
    expect(actual()).toEqual(expected());
  });

  test("a proof rewritten, damaged or removed is listed as today", () => {
    const { ws } = repo;
    actual();
    const [first, second] = listProofs(ws);
    if (!first || !second) throw new Error("the fixture has proofs");
    writeFileSync(first.json, readFileSync(first.json, "utf8").replace('"VERIFIED"', '"VERIFIED WITH GAPS"'));
    writeFileSync(second.json, "{ torn");
    expect(actual()).toEqual(expected());
    writeFileSync(second.json, "");
    expect(actual()).toEqual(expected());
  });
});
