// `bun bench/history.ts`: what `loki trust`, `loki cost` and `loki proof list` cost at 1,000 runs of
// history, in-process (the same functions the commands call, everything but the printing), each next
// to its floor: reading the raw bytes of the files its data comes from. Each must stay within 3×.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { listProofSummaries } from "../src/proof/summaries.ts";
import { readBills, readTrajectory } from "../src/run/metrics.ts";
import { historyRepo } from "./history-fixture.ts";
import { type Measured, paired, timed } from "./measure.ts";

export const HISTORY_RUNS = 1000;
/** Each command may cost at most this many times the reading of its files' bytes. */
export const HISTORY_RATIO = 3;
const SAMPLES = 15;

export type HistoryRow = { name: string; floorIs: string; measured: Measured };

/** Wall ms of reading every file in `paths` whole, as raw bytes. */
const readAll = (paths: readonly string[]) => () =>
  timed(() => {
    for (const path of paths) readFileSync(path);
  });

/** The three history commands on a fresh 1,000-run history, each paired with its floor. */
export async function benchHistory(): Promise<HistoryRow[]> {
  await using repo = await historyRepo(HISTORY_RUNS);
  const { ws } = repo;
  const proofsDir = join(ws.dir, "proofs");
  const proofFiles = readdirSync(proofsDir)
    .map((id) => join(proofsDir, id, "proof.json"))
    .filter((path) => existsSync(path));
  // The first sample of each (the warm-up) fills the page cache and whatever the command keeps.
  return [
    {
      name: `loki trust, ${HISTORY_RUNS} runs (in-process)`,
      floorIs: "read trust-events.jsonl + cost.jsonl",
      measured: await paired(() => timed(() => readTrajectory(ws)), readAll([ws.trustEvents, ws.costLedger]), SAMPLES, 2),
    },
    {
      name: `loki cost, ${HISTORY_RUNS} runs (in-process)`,
      floorIs: "read cost.jsonl",
      measured: await paired(() => timed(() => readBills(ws)), readAll([ws.costLedger]), SAMPLES, 2),
    },
    {
      name: `loki proof list, ${proofFiles.length} proofs (in-process)`,
      floorIs: "read every proof.json",
      measured: await paired(() => timed(() => listProofSummaries(ws)), readAll(proofFiles), SAMPLES, 2),
    },
  ];
}

if (import.meta.main) {
  let missed = false;
  for (const { name, floorIs, measured } of await benchHistory()) {
    const ratio = measured.median / measured.floor;
    const ok = ratio <= HISTORY_RATIO;
    missed ||= !ok;
    console.log(
      `${name}: ${measured.median.toFixed(2)} ms vs ${floorIs} ${measured.floor.toFixed(2)} ms = ${ratio.toFixed(2)}× (target ≤ ${HISTORY_RATIO}×) ${ok ? "ok" : "OVER TARGET"}`,
    );
  }
  if (missed) process.exitCode = 1;
}
