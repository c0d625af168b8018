// BM25 over memory documents: ranking sanity, deterministic ties, and searchMany over several indexes
// (persisted + tail, project + global) ranking exactly as one index over their union would.
import { describe, expect, test } from "bun:test";
import { addDocuments, buildIndex, type Doc, emptyIndex, mergeIndexes, searchMany } from "../../src/memory/bm25.ts";

const DOCS: Doc[] = [
  { id: "a", text: "TS2322 Type 'string' is not assignable to type 'number' in src/billing/invoice.ts" },
  { id: "b", text: "flaky test: checkout.spec.ts times out waiting for the payment iframe" },
  { id: "c", text: "docker compose: container acme-shop-db-1 is unhealthy, healthcheck failed" },
  { id: "d", text: 'migration failed: column "due_date" of relation "invoices" already exists' },
  { id: "e", text: "CORS: No 'Access-Control-Allow-Origin' header on the response from api.example.com" },
  { id: "f", text: "npm ERR! code ERESOLVE unable to resolve dependency tree for react" },
];

describe("BM25 ranking", () => {
  const index = buildIndex(DOCS);

  test.each([
    ["type error TS2322 in the invoice", "a"],
    ["the db container is unhealthy", "c"],
    ["due_date column already exists", "d"],
    ["Access-Control-Allow-Origin missing", "e"],
    ["ERESOLVE dependency conflict", "f"],
    ["flaky checkout spec timing out", "b"],
  ])("%s → %s first", (query, id) => {
    expect(searchMany([index], query, 3)[0]?.id).toBe(id);
  });

  test("a query with no known term finds nothing; k bounds the hits", () => {
    expect(searchMany([index], "kubernetes helm chart", 5)).toEqual([]);
    expect(searchMany([index], "failed invoice type", 2)).toHaveLength(2);
    expect(searchMany([index], "failed", 0)).toEqual([]);
    expect(searchMany([emptyIndex()], "failed", 5)).toEqual([]);
  });

  test("a rarer term outweighs a common one; repeats count, with saturation", () => {
    const docs = [
      { id: "1", text: "error error error error error" },
      { id: "2", text: "error ENOSPC" },
      { id: "3", text: "error" },
      { id: "4", text: "error again" },
    ];
    const hits = searchMany([buildIndex(docs)], "error ENOSPC", 4);
    expect(hits.map((h) => h.id)).toEqual(["2", "1", "3", "4"]);
  });

  test("equal scores are ordered by id, whatever the insertion order", () => {
    const docs = ["z", "m", "b", "q"].map((id) => ({ id, text: "same words here" }));
    expect(searchMany([buildIndex(docs)], "same words", 4).map((h) => h.id)).toEqual(["b", "m", "q", "z"]);
    expect(searchMany([buildIndex([...docs].reverse())], "same words", 4).map((h) => h.id)).toEqual(["b", "m", "q", "z"]);
  });
});

/** A seeded corpus of word soup over a skewed vocabulary: many shared terms, many ties. */
function corpus(count: number, seed: number): Doc[] {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const vocab = Array.from({ length: 400 }, (_, i) => `w${i.toString(36)}${i % 7 === 0 ? "_part" : ""}`);
  return Array.from({ length: count }, (_, i) => {
    const length = 5 + Math.floor(next() * 40);
    const words = Array.from({ length }, () => vocab[Math.floor(next() ** 2 * vocab.length)]);
    return { id: `ep_${(count - i).toString().padStart(6, "0")}_${seed}`, text: words.join(" ") };
  });
}

const queries = (count: number, seed: number) => corpus(count, seed + 1).map((d) => d.text.split(" ").slice(0, 6).join(" "));
const topIds = (hits: { id: string; score: number }[]) => hits.map((h) => `${h.id}@${h.score}`);

describe("searchMany over several indexes", () => {
  const docs = corpus(1_500, 7);
  const union = buildIndex(docs);
  const qs = queries(150, 7);

  test("persisted + in-memory tail ranks exactly as one index over the union (top 10, 150 queries)", () => {
    const persisted = buildIndex(docs.slice(0, 1_300));
    const tail = emptyIndex();
    addDocuments(tail, docs.slice(1_300, 1_400));
    addDocuments(tail, docs.slice(1_400));
    for (const q of qs) expect(topIds(searchMany([persisted, tail], q, 10))).toEqual(topIds(searchMany([union], q, 10)));
  });

  test("project + global, each with a tail, rank as their union", () => {
    const parts = [docs.slice(0, 700), docs.slice(700, 750), docs.slice(750, 1_450), docs.slice(1_450)].map(buildIndex);
    for (const q of qs) expect(topIds(searchMany(parts, q, 5))).toEqual(topIds(searchMany([union], q, 5)));
  });

  test("a hit names the index it came from and its ordinal there", () => {
    const first = buildIndex(docs.slice(0, 10));
    const second = buildIndex([{ id: "only-here", text: "zebra unicorn" }]);
    expect(searchMany([first, second], "unicorn", 5)).toEqual([{ index: 1, ordinal: 0, id: "only-here", score: expect.any(Number) }]);
  });

  test("addDocuments onto an index grows it like a build over all the documents", () => {
    const grown = buildIndex(docs.slice(0, 1_000));
    addDocuments(grown, docs.slice(1_000));
    for (const q of qs.slice(0, 50)) expect(topIds(searchMany([grown], q, 10))).toEqual(topIds(searchMany([union], q, 10)));
  });

  test("mergeIndexes gives the index a build over both would", () => {
    const merged = mergeIndexes(buildIndex(docs.slice(0, 900)), buildIndex(docs.slice(900)));
    expect(merged.ids).toEqual(union.ids);
    expect(merged.totalLength).toBe(union.totalLength);
    for (const q of qs.slice(0, 50)) expect(topIds(searchMany([merged], q, 10))).toEqual(topIds(searchMany([union], q, 10)));
  });
});
