// `loki cost` (and `loki trust`'s dollars) read straight from the ledger's sealed binary summary: the honest summary is used as it
// is, and one with any bit flipped, cut short, lengthened, sealed under another key or moved from
// another name is not believed — the bills are then the ledger's own, and the summary is rebuilt.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { historyRepo, type HistoryRepo } from "../../bench/history-fixture.ts";
import { summaryKey, writeSealed } from "../../src/core/summary-seal.ts";
import { encodeLedger, readKeptLedger, tallyOfKept } from "../../src/run/ledger-columns.ts";
import { billsOf, type RunBill, readBills, readTrajectory, type Trajectory } from "../../src/run/metrics.ts";
import { fullReading } from "../helpers/history-oracle.ts";

let repo: HistoryRepo;
let want: RunBill[];
let wantTrajectory: Trajectory | null;
let honest: Buffer;
beforeAll(async () => {
  repo = await historyRepo(12);
  ({ bills: want, trajectory: wantTrajectory } = fullReading(repo.ws));
  readBills(repo.ws);
  honest = readFileSync(repo.ws.summary("cost"));
}, 120_000);
afterAll(async () => {
  await repo[Symbol.asyncDispose]();
});

const summary = () => repo.ws.summary("cost");
/** Where the kept state starts: after the seal line and the header line. */
const stateAt = (bytes: Buffer) => bytes.indexOf(10, bytes.indexOf(10) + 1) + 1;

/** Plants `bytes` as the cost summary, reads the bills (and the trajectory, its dollars), checks they are the ledger's own and that the plant was replaced. */
function plantAndRead(bytes: Uint8Array): void {
  writeFileSync(summary(), bytes);
  expect(readBills(repo.ws)).toEqual(want);
  writeFileSync(summary(), bytes);
  expect(readTrajectory(repo.ws)).toEqual(wantTrajectory);
  expect(readFileSync(summary()).equals(Buffer.from(bytes))).toBe(false);
  expect(readBills(repo.ws)).toEqual(want);
}

describe("the ledger's sealed summary", () => {
  test("honest: read again, the bills come from the summary as it is, and it is left untouched", () => {
    writeFileSync(summary(), honest);
    const kept = readKeptLedger(honest.subarray(stateAt(honest)));
    expect(kept?.ids.length).toBe(want.length);
    expect(readBills(repo.ws)).toEqual(want);
    expect(readFileSync(summary()).equals(honest)).toBe(true);
  });

  test("any one bit flipped — in the seal, the header, the numbers, the counts or the strings — is not believed", () => {
    const at = stateAt(honest);
    const spots = new Set([0, 1, 63, 64, 65, at - 2, at - 1, at, at + 3, at + 15, at + 16, honest.length - 1]);
    for (let k = 0; k < 40; k++) spots.add(Math.floor(((k + 0.5) / 40) * honest.length));
    for (const spot of spots)
      for (const bit of [0, 3, 7]) {
        const flipped = Buffer.from(honest);
        flipped[spot] = (flipped[spot] as number) ^ (1 << bit);
        plantAndRead(flipped);
      }
  });

  test("cut short anywhere, or with bytes added, it is not believed", () => {
    const at = stateAt(honest);
    for (const end of [0, 1, 64, 65, at - 1, at, at + 8, at + 100, honest.length - 8, honest.length - 1])
      plantAndRead(honest.subarray(0, end));
    plantAndRead(Buffer.concat([honest, Buffer.from([0])]));
    plantAndRead(Buffer.concat([honest, honest.subarray(at)]));
  });

  test("forged: other figures, well formed, are shown only when sealed under the user's own key", () => {
    const at = stateAt(honest);
    const kept = readKeptLedger(honest.subarray(at));
    const key = summaryKey();
    if (!kept || !key) throw new Error("the honest summary reads, under the test HOME's key");
    const tally = tallyOfKept(kept);
    for (const run of tally.values()) run.usd *= 10;
    const forged = encodeLedger(tally);
    if (!forged) throw new Error("the forged tally encodes");
    const body = Buffer.concat([honest.subarray(honest.indexOf(10) + 1, at), forged]);
    // The twin that shows what the seal guards: the user's key (which only loki reads) makes them believed.
    writeSealed(summary(), key, body);
    expect(readBills(repo.ws)).toEqual(billsOf(tally));
    expect(billsOf(tally)).not.toEqual(want);
    const dearer = wantTrajectory?.cost_per_verified_run_usd ?? 0;
    expect(dearer).toBeGreaterThan(0);
    expect(readTrajectory(repo.ws)?.cost_per_verified_run_usd).toBeCloseTo(dearer * 10, 2);
    writeSealed(summary(), { seal: randomBytes(32), tags: randomBytes(32) }, body);
    plantAndRead(readFileSync(summary()));
  });

  test("loki's own sealed summary of another stream, moved to the cost summary's name, is not believed", () => {
    const key = summaryKey();
    if (!key) throw new Error("the test's HOME holds a summary key");
    readBills(repo.ws);
    const trust = repo.ws.summary("trust-events");
    writeSealed(trust, key, honest.subarray(honest.indexOf(10) + 1));
    plantAndRead(readFileSync(trust));
  });
});
