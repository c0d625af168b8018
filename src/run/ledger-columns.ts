// The ledger's tally (history-tally.ts) as its summary keeps it: numbers in two typed arrays, strings in
// one JSON array, read back into KeptLedger, from which `loki cost` makes its bills with no tally built.
// Pure. Anything not laid out as this writes it reads as null, and the ledger is then refolded.
import pkg from "../../package.json" with { type: "json" };
import type { Fold } from "../core/jsonl.ts";
import { CostEntry } from "../core/run-schema.ts";
import { addCostEntry, type LedgerTally, type RunTally } from "./history-tally.ts";

/**
 * Rows in ledger order. `nums` (float64): per run its usd, then per iteration its number and usd.
 * `counts` (uint32): per run calls, estimated, declared and how many iterations; per iteration
 * calls, estimated, declared and its roles (3 bits each, the first lowest: place in ROLES + 1).
 * `ids` and `firsts`: each run's id and first timestamp.
 */
export type KeptLedger = { ids: string[]; firsts: string[]; nums: Float64Array; counts: Uint32Array };

const ROLES: readonly string[] = CostEntry.shape.role.options;
/** Also tells the byte order: a summary from a machine of the other order is not this one's. */
const MAGIC = 0x4c4b4c31;
const HEAD = 16;
const U32 = 0xffffffff;

const fits = (v: number) => Number.isInteger(v) && v >= 0 && v <= U32;

/** The bytes of `ledger`, or null when a count does not fit 32 bits (the ledger is then not summarised). */
export function encodeLedger(ledger: LedgerTally): Uint8Array | null {
  const nums: number[] = [];
  const counts: number[] = [];
  for (const run of ledger.values()) {
    nums.push(run.usd);
    counts.push(run.calls, run.estimated, run.declared, run.iterations.size);
    for (const [n, it] of run.iterations) {
      let roles = 0;
      for (let k = it.roles.length - 1; k >= 0; k--) roles = roles * 8 + ROLES.indexOf(it.roles[k] as string) + 1;
      nums.push(n, it.usd);
      counts.push(it.calls, it.estimated, it.declared, roles);
    }
  }
  if (!fits(ledger.size) || !counts.every(fits)) return null;
  const strings = Buffer.from(JSON.stringify([...ledger.keys(), ...[...ledger.values()].map((run) => run.first)]));
  const out = new ArrayBuffer(HEAD + nums.length * 8 + counts.length * 4 + strings.length);
  new Uint32Array(out, 0, 4).set([MAGIC, ledger.size, nums.length, strings.length]);
  new Float64Array(out, HEAD, nums.length).set(nums);
  new Uint32Array(out, HEAD + nums.length * 8, counts.length).set(counts);
  new Uint8Array(out, HEAD + nums.length * 8 + counts.length * 4).set(strings);
  return new Uint8Array(out);
}

/** Whether `bits` are distinct roles of ROLES, one at least (checked without building them: every row is checked). */
function rolesHold(bits: number): boolean {
  let seen = 0;
  for (let rest = bits; rest !== 0; rest >>>= 3) {
    const code = rest & 7;
    if (code === 0 || code > ROLES.length || seen & (1 << code)) return false;
    seen |= 1 << code;
  }
  return seen !== 0;
}

/** An iteration's roles from their bits (rolesHold checked them). */
export function rolesOf(bits: number): string[] {
  const roles: string[] = [];
  for (let rest = bits; rest !== 0; rest >>>= 3) roles.push(ROLES[(rest & 7) - 1] as string);
  return roles;
}

const need = (ok: boolean) => {
  if (!ok) throw new TypeError("not a kept ledger");
};

/** The ledger `encodeLedger` wrote, checked whole (every row, every count, every role); null for any other bytes. */
export function readKeptLedger(bytes: Uint8Array): KeptLedger | null {
  try {
    // A copy: the typed arrays need their 8-byte alignment, which the bytes' place in the file does not give.
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
    need(bytes.length >= HEAD);
    const [magic, runs, numCount, stringBytes] = Array.from(new Uint32Array(buffer, 0, 4));
    const iterations = ((numCount as number) - (runs as number)) / 2;
    const rows = (runs as number) + iterations;
    const countsAt = HEAD + (numCount as number) * 8;
    const stringsAt = countsAt + rows * 16;
    need(magic === MAGIC && Number.isInteger(iterations) && iterations >= 0 && stringsAt + (stringBytes as number) === bytes.length);
    const nums = new Float64Array(buffer, HEAD, numCount);
    const counts = new Uint32Array(buffer, countsAt, rows * 4);
    const strings = JSON.parse(Buffer.from(buffer, stringsAt).toString("utf8")) as unknown;
    need(Array.isArray(strings) && strings.length === 2 * (runs as number) && strings.every((s) => typeof s === "string"));
    const ids = (strings as string[]).slice(0, runs);
    need(new Set(ids).size === ids.length);
    checkRows(nums, counts, ids.length);
    return { ids, firsts: (strings as string[]).slice(ids.length), nums, counts };
  } catch {
    return null;
  }
}

/** Every run's iterations distinct and adding up to the run's calls; every sum a finite dollar figure. */
function checkRows(nums: Float64Array, counts: Uint32Array, runs: number): void {
  const usd = (v: number) => Number.isFinite(v) && v >= 0;
  let at = 0;
  let c = 0;
  for (let r = 0; r < runs; r++) {
    const calls = counts[c] as number;
    const estimated = counts[c + 1] as number;
    const declared = counts[c + 2] as number;
    const size = counts[c + 3] as number;
    need(c + 4 + size * 4 <= counts.length && usd(nums[at] as number) && estimated + declared <= calls && size > 0);
    const start = at + 1;
    let sumCalls = 0;
    let sumEstimated = 0;
    let sumDeclared = 0;
    at += 1;
    c += 4;
    for (let k = 0; k < size; k++, at += 2, c += 4) {
      const n = nums[at] as number;
      need(Number.isSafeInteger(n) && usd(nums[at + 1] as number) && rolesHold(counts[c + 3] as number));
      for (let prev = start; prev < at; prev += 2) need(nums[prev] !== n);
      const itCalls = counts[c] as number;
      const itEstimated = counts[c + 1] as number;
      const itDeclared = counts[c + 2] as number;
      need(itCalls > 0 && itEstimated + itDeclared <= itCalls);
      sumCalls += itCalls;
      sumEstimated += itEstimated;
      sumDeclared += itDeclared;
    }
    need(sumCalls === calls && sumEstimated === estimated && sumDeclared === declared);
  }
  need(at === nums.length && c === counts.length);
}

/** The tally again, to fold the ledger's new lines into. */
export function tallyOfKept(kept: KeptLedger): LedgerTally {
  const { ids, firsts, nums, counts } = kept;
  const ledger: LedgerTally = new Map();
  let at = 0;
  let c = 0;
  ids.forEach((id, r) => {
    const size = counts[c + 3] as number;
    const run: RunTally = {
      first: firsts[r] as string,
      usd: nums[at] as number,
      calls: counts[c] as number,
      estimated: counts[c + 1] as number,
      declared: counts[c + 2] as number,
      iterations: new Map(),
    };
    ledger.set(id, run);
    at += 1;
    c += 4;
    for (let k = 0; k < size; k++, at += 2, c += 4)
      run.iterations.set(nums[at] as number, {
        usd: nums[at + 1] as number,
        calls: counts[c] as number,
        estimated: counts[c + 1] as number,
        declared: counts[c + 2] as number,
        roles: rolesOf(counts[c + 3] as number),
      });
  });
  return ledger;
}

export const LEDGER_FOLD: Fold<CostEntry, LedgerTally> = {
  version: `${pkg.version}/ledger-tally/3`,
  empty: () => new Map(),
  add: addCostEntry,
  encode: encodeLedger,
  decode: (bytes) => {
    const kept = readKeptLedger(bytes);
    return kept && tallyOfKept(kept);
  },
};
