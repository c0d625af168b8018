// The persisted memory index on real files: round trip, an appended tail, save covering it, every kind
// of damaged or stale .idx rebuilt from the JSONL with the same results, torn lines skipped until whole;
// and searchStores over a project and a global store loaded from disk.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildIndex, type Doc, searchMany } from "../../src/memory/bm25.ts";
import { HEADER_BYTES } from "../../src/memory/index-codec.ts";
import { type DocOf, type LoadedIndex, loadIndex, refreshIndex, saveIndex } from "../../src/memory/index-file.ts";
import { searchStores } from "../../src/memory/search.ts";

const TOPICS = [
  "TS2322 Type 'string' is not assignable to type 'number' in src/billing/invoice.ts",
  "flaky test checkout.spec.ts times out waiting for the payment iframe",
  "container acme-shop-db-1 is unhealthy: docker compose healthcheck failed",
  "migration failed: column due_date of relation invoices already exists",
  "CORS: no Access-Control-Allow-Origin header from api.example.com",
  "npm ERR! code ERESOLVE unable to resolve dependency tree",
  "Cannot find module './utils/formatDate' imported from src/reports/summary.ts",
  "JWT expired: refreshToken rejected by the auth service with 401",
];
const QUERIES = [
  "type error in invoice",
  "unhealthy db container",
  "due_date already exists",
  "ERESOLVE",
  "formatDate module",
  "expired token 401",
];

type Line = { id: string; text: string; ts: string; outcome: string };
const episode = (n: number): Line => ({
  id: `ep_${String(n).padStart(5, "0")}`,
  text: `${TOPICS[n % TOPICS.length]} (attempt ${n % 13}, area ${["billing", "orders", "auth"][n % 3]})`,
  ts: new Date(Date.UTC(2026, 0, 1) + n * 3_600_000).toISOString(),
  outcome: n % 4 === 0 ? "success" : "failure",
});
const jsonl = (lines: Line[]) => lines.map((l) => `${JSON.stringify(l)}\n`).join("");
const docOf: DocOf = (value) => {
  const v = value as Partial<Line>;
  return typeof v.id === "string" && typeof v.text === "string" ? { id: v.id, text: v.text } : null;
};

let dir: string;
let source: string;
let idx: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "loki-memidx-"));
  source = join(dir, "episodes.jsonl");
  idx = join(dir, "episodes.idx");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const EPISODES = Array.from({ length: 300 }, (_, n) => episode(n));
const docsOf = (lines: Line[]): Doc[] => lines.map((l) => ({ id: l.id, text: l.text }));

/** The loaded store ranks every query exactly as a fresh build over `expected` does. */
function expectSameResults(loaded: LoadedIndex, expected: Line[]): void {
  const fresh = buildIndex(docsOf(expected));
  for (const q of QUERIES)
    expect(searchMany([loaded.index, loaded.tail], q, 10).map((h) => [h.id, h.score])).toEqual(
      searchMany([fresh], q, 10).map((h) => [h.id, h.score]),
    );
}

/** A store whose .idx covers the first `covered` episodes. */
function persisted(covered: number): void {
  writeFileSync(source, jsonl(EPISODES.slice(0, covered)));
  saveIndex(idx, loadIndex(source, idx, docOf));
}

describe("loadIndex / saveIndex", () => {
  test("no JSONL: an empty index; no .idx: built from the JSONL", () => {
    expect(loadIndex(source, idx, docOf).index.ids).toEqual([]);
    writeFileSync(source, jsonl(EPISODES));
    const loaded = loadIndex(source, idx, docOf);
    expect(loaded.rebuilt).toBe("no persisted index");
    expect(loaded.coverage).toMatchObject({ bytes: statSync(source).size, lines: 300 });
    expectSameResults(loaded, EPISODES);
  });

  test("round trip: the saved index loads as is, with the same results", () => {
    persisted(300);
    const loaded = loadIndex(source, idx, docOf);
    expect(loaded.rebuilt).toBeNull();
    expect(loaded.tail.ids).toEqual([]);
    expect(loaded.index.ids).toEqual(EPISODES.map((e) => e.id));
    expectSameResults(loaded, EPISODES);
    expect(readFileSync(idx).subarray(0, 8).toString()).toBe("LKMEMIDX");
  });

  test("appended episodes are indexed as the tail; a save then covers them", () => {
    persisted(250);
    appendFileSync(source, jsonl(EPISODES.slice(250)));
    const loaded = loadIndex(source, idx, docOf);
    expect(loaded.rebuilt).toBeNull();
    expect(loaded.index.ids).toHaveLength(250);
    expect(loaded.tail.ids).toEqual(EPISODES.slice(250).map((e) => e.id));
    expect(loaded.coverage).toMatchObject({ bytes: statSync(source).size, lines: 300 });
    expectSameResults(loaded, EPISODES);
    saveIndex(idx, loaded);
    const again = loadIndex(source, idx, docOf);
    expect(again.rebuilt).toBeNull();
    expect(again.index.ids).toHaveLength(300);
    expect(again.tail.ids).toEqual([]);
    expectSameResults(again, EPISODES);
  });

  test("refreshIndex persists a tail and returns one index", () => {
    persisted(200);
    appendFileSync(source, jsonl(EPISODES.slice(200)));
    const refreshed = refreshIndex(source, idx, docOf);
    expect(refreshed.tail.ids).toEqual([]);
    expect(refreshed.index.ids).toHaveLength(300);
    expect(loadIndex(source, idx, docOf).tail.ids).toEqual([]);
  });

  const damage: [string, () => void, RegExp][] = [
    ["a truncated .idx", () => truncateSync(idx, statSync(idx).size - 7), /length/],
    ["a .idx cut inside its header", () => truncateSync(idx, HEADER_BYTES - 1), /shorter than its header/],
    ["an empty .idx", () => writeFileSync(idx, ""), /shorter/],
    ["one flipped bit in the body", () => flip(idx, Math.floor(statSync(idx).size / 2)), /checksum/],
    ["one flipped bit in the last byte", () => flip(idx, statSync(idx).size - 1), /checksum/],
    ["one flipped bit in coveredBytes", () => flip(idx, 24), /checksum/],
    ["one flipped bit in the stored checksum", () => flip(idx, 80), /checksum/],
    ["another format version", () => flip(idx, 8), /format/],
    ["another tokenizer version", () => flip(idx, 10), /tokenizer/],
    ["not an index at all", () => writeFileSync(idx, Buffer.alloc(4096, 7)), /magic/],
  ];
  test.each(damage)("%s is detected and rebuilt from the JSONL", (_name, harm, reason) => {
    persisted(300);
    harm();
    const loaded = loadIndex(source, idx, docOf);
    expect(loaded.rebuilt).toMatch(reason);
    expect(loaded.tail.ids).toEqual([]);
    expectSameResults(loaded, EPISODES);
    saveIndex(idx, loaded);
    expect(loadIndex(source, idx, docOf).rebuilt).toBeNull();
  });

  test("a JSONL rewritten with another first line (and longer) is rebuilt, not trusted", () => {
    persisted(300);
    const rewritten = [episode(1000), ...EPISODES.slice(0, 299), episode(1001)];
    writeFileSync(source, jsonl(rewritten));
    const loaded = loadIndex(source, idx, docOf);
    expect(loaded.rebuilt).toMatch(/first line changed/);
    expectSameResults(loaded, rewritten);
  });

  test("a JSONL shorter than the index covers (pruned) is rebuilt", () => {
    persisted(300);
    const pruned = EPISODES.slice(0, 120);
    writeFileSync(source, jsonl(pruned));
    const loaded = loadIndex(source, idx, docOf);
    expect(loaded.rebuilt).toMatch(/shorter/);
    expectSameResults(loaded, pruned);
  });

  test("a JSONL rewritten to the same first line but no line end where the index ends is rebuilt", () => {
    persisted(300);
    const changed = [EPISODES[0] as Line, ...EPISODES.slice(1).map((e) => ({ ...e, text: `${e.text} (edited by hand)` }))];
    writeFileSync(source, jsonl(changed));
    const loaded = loadIndex(source, idx, docOf);
    expect(loaded.rebuilt).toMatch(/line end/);
    expectSameResults(loaded, changed);
  });

  test("a torn last line is skipped, and picked up once completed", () => {
    persisted(100);
    const whole = `${JSON.stringify(EPISODES[100])}\n`;
    appendFileSync(source, whole.slice(0, 40));
    const torn = loadIndex(source, idx, docOf);
    expect(torn.rebuilt).toBeNull();
    expect(torn.tail.ids).toEqual([]);
    expect(torn.coverage.bytes).toBe(statSync(source).size - 40);
    expectSameResults(torn, EPISODES.slice(0, 100));
    saveIndex(idx, torn); // a save while the line is torn must not cover it
    appendFileSync(source, whole.slice(40));
    const completed = loadIndex(source, idx, docOf);
    expect(completed.rebuilt).toBeNull();
    expect(completed.tail.ids).toEqual([(EPISODES[100] as Line).id]);
    expectSameResults(completed, EPISODES.slice(0, 101));
  });

  test("a rebuild skips a torn last line too, and unparsable or foreign lines anywhere", () => {
    writeFileSync(source, `${jsonl(EPISODES.slice(0, 50))}{not json\n\n{"other":1}\n${jsonl(EPISODES.slice(50, 60))}{"id":"torn`);
    const loaded = loadIndex(source, idx, docOf);
    expect(loaded.index.ids).toHaveLength(60);
    expect(loaded.coverage.lines).toBe(63);
    expectSameResults(loaded, EPISODES.slice(0, 60));
  });
});

function flip(path: string, at: number): void {
  const bytes = readFileSync(path);
  bytes[at] = (bytes[at] as number) ^ 0x01;
  writeFileSync(path, bytes);
}

describe("searchStores over stores loaded from disk", () => {
  const meta = (lines: Line[]) => {
    const byId = new Map(lines.map((l) => [l.id, l]));
    return (id: string) => {
      const l = byId.get(id);
      return l && { ts: l.ts, outcome: l.outcome, hasFix: l.outcome === "failure" && l.id.endsWith("7") };
    };
  };

  test("project and global searched together; the project store wins a tie; near-identical texts collapse", () => {
    const project = join(dir, "p.jsonl");
    const global = join(dir, "g.jsonl");
    const same = { ts: "2026-01-01T00:00:00Z", outcome: "failure" };
    writeFileSync(project, jsonl([{ id: "p1", text: "docker compose healthcheck: db unhealthy", ...same }, episode(1)]));
    writeFileSync(
      global,
      jsonl([
        { id: "g1", text: "Docker compose healthcheck -- DB unhealthy!", ...same },
        { id: "g2", text: "db unhealthy after healthcheck in compose", ...same },
      ]),
    );
    const stores = [
      { name: "project" as const, ...loadIndex(project, join(dir, "p.idx"), docOf) },
      { name: "global" as const, ...loadIndex(global, join(dir, "g.idx"), docOf) },
    ];
    const results = searchStores(stores, "db container unhealthy healthcheck", { k: 5 });
    expect(results.map((r) => `${r.store}:${r.id}`)).toEqual(["project:p1", "global:g2"]);
  });

  test("fixed failures and recent episodes rise; without meta only BM25 and the store decide", () => {
    const lines = [
      { id: "old-fixed-7", text: "CORS preflight blocked", ts: "2025-01-01T00:00:00Z", outcome: "failure" },
      { id: "new-success", text: "CORS preflight blocked again", ts: "2026-06-01T00:00:00Z", outcome: "success" },
      { id: "new-fixed-7", text: "CORS preflight was blocked", ts: "2026-06-01T00:00:00Z", outcome: "failure" },
    ];
    writeFileSync(source, jsonl(lines));
    const store = { name: "project" as const, ...loadIndex(source, idx, docOf) };
    const now = Date.parse("2026-06-02T00:00:00Z");
    const ranked = searchStores([store], "CORS preflight blocked", { k: 3, now, meta: meta(lines) }).map((r) => r.id);
    expect(ranked[0]).toBe("new-fixed-7");
    expect(ranked.indexOf("old-fixed-7")).toBe(2);
    const plain = searchStores([store], "CORS preflight blocked", { k: 3 });
    expect(plain.map((r) => r.id)).toEqual(searchMany([store.index], "CORS preflight blocked", 3).map((h) => h.id));
  });

  test("results are deterministic and bounded by k across a persisted index and its tail", () => {
    persisted(200);
    appendFileSync(source, jsonl(EPISODES.slice(200)));
    const store = { name: "project" as const, ...loadIndex(source, idx, docOf) };
    const first = searchStores([store], "invoice type error", { k: 7, now: 0 });
    expect(first).toHaveLength(7);
    expect(searchStores([store], "invoice type error", { k: 7, now: 0 })).toEqual(first);
  });
});
