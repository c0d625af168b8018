// The benchmark table: each row's median, its floor measured in the same run, the ratio between
// them, its absolute target and the verdict; and which rows missed their target. Pure: no I/O.
import type { Measured } from "./measure.ts";

/**
 * `at-most`: the median must not exceed the value; `at-least`: a throughput must reach it;
 * `over-floor-at-most`: what the work adds to its floor (median − floor) must not exceed it;
 * `ratio-at-most`: the work may cost at most `value` times its floor.
 */
export type Target = { kind: "at-most" | "at-least" | "over-floor-at-most" | "ratio-at-most"; value: number };

/** `floorIs`: what the floor measured, in a few words. */
export type Row = Measured & { name: string; floorIs: string; unit: "ms" | "KB" | "MB" | "MB/s" | "USD" | "calls"; target: Target };

/** How many times the floor's cost the work costs: 1× is the physical bound. For a throughput
 *  (higher is better) that is floor ÷ median, so that every ratio reads the same way. */
export function ratio(row: Row): number {
  return row.target.kind === "at-least" ? row.floor / row.median : row.median / row.floor;
}

export function meets(row: Row): boolean {
  const { kind, value } = row.target;
  if (kind === "at-least") return row.median >= value;
  if (kind === "over-floor-at-most") return row.median - row.floor <= value;
  if (kind === "ratio-at-most") return row.median / row.floor <= value;
  return row.median <= value;
}

export function misses(rows: readonly Row[]): Row[] {
  return rows.filter((row) => !meets(row));
}

const figure = (value: number, unit: Row["unit"]) =>
  unit === "USD" ? `$${value.toFixed(2)}` : unit === "calls" ? `${value} ${unit}` : `${value.toFixed(unit === "MB" ? 2 : 1)} ${unit}`;

function targetText(row: Row): string {
  const { kind, value } = row.target;
  if (kind === "at-least") return `≥ ${value} ${row.unit}`;
  if (kind === "at-most") return `≤ ${value} ${row.unit}`;
  if (kind === "ratio-at-most") return `≤ ${value}× floor`;
  return `≤ floor + ${value} ${row.unit} (+${(row.median - row.floor).toFixed(1)})`;
}

function verdict(row: Row): string {
  if (meets(row)) return "ok";
  return row.target.kind === "at-least" ? "UNDER TARGET" : "OVER TARGET";
}

/** Columns of words, left-aligned; the figures are right-aligned. */
const TEXT_COLUMNS = new Set([0, 4, 6, 7]);

/** The table as aligned text lines: a header, then one line per row. */
export function renderRows(rows: readonly Row[]): string[] {
  const cells = rows.map((row) => [
    row.name,
    figure(row.median, row.unit),
    figure(row.floor, row.unit),
    `${ratio(row).toFixed(row.target.kind === "ratio-at-most" && row.target.value < 1.5 ? 2 : 1)}×`,
    targetText(row),
    String(row.runs),
    verdict(row),
    row.floorIs,
  ]);
  const header = ["measure", "median", "floor", "ratio", "target", "runs", "verdict", "floor is"];
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((c) => (c[i] ?? "").length)));
  const line = (c: string[]) =>
    c
      .map((cell, i) => (TEXT_COLUMNS.has(i) ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...cells.map(line)];
}

/** The closing line: which rows missed their target, or that none did. */
export function summary(rows: readonly Row[]): string {
  const missed = misses(rows);
  if (missed.length === 0) return `all ${rows.length} targets met`;
  return `${missed.length} of ${rows.length} targets missed:\n${missed.map((row) => `  - ${row.name}: ${figure(row.median, row.unit)}, target ${targetText(row)}`).join("\n")}`;
}
