// What a process that can write .loki/ (and not ~/.loki) cannot do to `loki trust`, `loki cost` and
// `loki proof list` through their summaries: edits to the history they did not see, modification
// times set back, and summaries planted or edited by hand — every figure stays the files' own.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appendFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { historyRepo, type HistoryRepo } from "../../bench/history-fixture.ts";
import { listProofs } from "../../src/proof/store.ts";
import { identityFrom } from "../../src/core/jsonl.ts";
import { listProofSummaries } from "../../src/proof/summaries.ts";
import { readKeptLedger } from "../../src/run/ledger-columns.ts";
import { loki } from "../helpers/cli.ts";
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

/** Replaces the first match in `path`, checking the edit keeps the file's size. */
function editInPlace(path: string, from: RegExp, to: string): void {
  const text = readFileSync(path, "utf8");
  const edited = text.replace(from, to);
  expect(edited).not.toBe(text);
  expect(edited.length).toBe(text.length);
  writeFileSync(path, edited);
}

/** A summary's seal line (if it has one) and its JSON body, to edit the body and keep the seal. */
function splitSummary(path: string): { seal: string; body: Record<string, unknown> } {
  const text = readFileSync(path, "utf8");
  const at = text.startsWith("{") ? 0 : text.indexOf("\n") + 1;
  return { seal: text.slice(0, at), body: JSON.parse(text.slice(at)) };
}

/** A JSONL summary's bytes as one binary-safe string, edited by `edit` with its seal line kept as it was. */
function editSealed(path: string, edit: (body: string) => string): void {
  const bytes = readFileSync(path).toString("latin1");
  const at = bytes.indexOf("\n") + 1;
  const body = edit(bytes.slice(at));
  expect(body).not.toBe(bytes.slice(at));
  writeFileSync(path, Buffer.from(bytes.slice(0, at) + body, "latin1"));
}

/** Runs `touch -r` (nanoseconds kept, as `cp -p` and `rsync -t` keep them). */
const touchFrom = (from: string, to: string) => expect(Bun.spawnSync(["touch", "-r", from, to]).exitCode).toBe(0);

describe("summaries against a writer of .loki/", () => {
  test("a dollar figure edited early in the ledger, the same length, then a line appended", () => {
    const { ws } = repo;
    actual();
    editInPlace(ws.costLedger, /"usd":0\.0(\d)/, '"usd":9.9$1');
    const last = readFileSync(ws.costLedger, "utf8").trimEnd().split("\n").at(-1) ?? "{}";
    appendFileSync(ws.costLedger, `${last}\n`);
    expect(actual()).toEqual(expected());
  });

  test("the ledger and the trust events edited at the same size with their modification times set back", () => {
    const { ws } = repo;
    actual();
    const times = join(repo.root, "..", "times");
    for (const [path, from, to] of [
      [ws.costLedger, /"usd":0\.0(\d)/, '"usd":7.7$1'],
      [ws.trustEvents, /"outcome":"verified"/, '"outcome":"stalled!"'],
    ] as const) {
      writeFileSync(times, "");
      touchFrom(path, times);
      editInPlace(path, from, to);
      touchFrom(times, path);
      expect(statSync(path, { bigint: true }).mtimeNs).toBe(statSync(times, { bigint: true }).mtimeNs);
    }
    expect(actual()).toEqual(expected());
  });

  test("planted proofs.json rows with the files' identity: a non-proof and a NOT VERIFIED proof shown VERIFIED", () => {
    const { ws } = repo;
    actual();
    const proofs = listProofs(ws);
    const bogus = proofs.find((p) => p.file?.payload.headline.verdict !== "NOT VERIFIED");
    const honest = proofs.find((p) => p.file?.payload.headline.verdict === "NOT VERIFIED");
    if (!bogus || !honest) throw new Error("the fixture has proofs NOT VERIFIED and others");
    writeFileSync(bogus.json, JSON.stringify({ payload: "not a proof" }));
    actual();
    const { seal, body } = splitSummary(ws.summary("proofs"));
    const rows = body.rows as { run_id: string; row: Record<string, unknown> }[];
    for (const p of [bogus, honest]) {
      const identity = identityFrom(statSync(p.json, { bigint: true }));
      const row = {
        finished_at: "2026-01-01T00:00:00.000Z",
        headline: "VERIFIED",
        cost_usd: 0.5,
        cost_basis: "exact",
        files: 1,
        problem: null,
      };
      const planted = { run_id: p.run_id, ...identity, row };
      const at = rows.findIndex((r) => r.run_id === p.run_id);
      if (at < 0) rows.push(planted);
      else rows[at] = planted;
    }
    writeFileSync(ws.summary("proofs"), `${seal}${JSON.stringify(body)}`);
    const listed = listProofSummaries(ws);
    expect(listed.find((r) => r.run_id === bogus.run_id)?.headline).toBeNull();
    expect(listed.find((r) => r.run_id === honest.run_id)?.headline).toBe(honest.file?.payload.headline.verdict ?? "?");
    expect(listed).toEqual(expected().proofs);
  });

  test("loki trust --json and loki cost --json ignore trust and cost summaries edited by hand", async () => {
    const { ws, root } = repo;
    const trust = await loki(["trust", "--json"], { cwd: root });
    const cost = await loki(["cost", "--json"], { cwd: root });
    expect([trust.code, cost.code]).toEqual([0, 0]);
    editSealed(ws.summary("trust-events"), (body) => body.replaceAll('"verified"', '"stalled"'));
    // Every run's first timestamp rewritten at the same length: the kept ledger is still well formed, only no longer sealed.
    editSealed(ws.summary("cost"), (body) => body.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, "2001-01-01T00:00:00.000Z"));
    const sealed = readFileSync(ws.summary("cost"));
    const state = sealed.subarray(sealed.indexOf(10, sealed.indexOf(10) + 1) + 1);
    expect(readKeptLedger(state)?.firsts[0]).toBe("2001-01-01T00:00:00.000Z");
    expect((await loki(["trust", "--json"], { cwd: root })).stdout).toBe(trust.stdout);
    expect((await loki(["cost", "--json"], { cwd: root })).stdout).toBe(cost.stdout);
  });

  test("without a writable ~/.loki the commands show the same figures and keep no summary", async () => {
    const { ws, root } = repo;
    const honest = await Promise.all([loki(["trust", "--json"], { cwd: root }), loki(["cost", "--json"], { cwd: root })]);
    const blocked = join(root, "..", "a-file");
    writeFileSync(blocked, "");
    const env = { HOME: join(blocked, "home") };
    rmSync(join(ws.dir, "summaries"), { recursive: true, force: true });
    const bare = await Promise.all([loki(["trust", "--json"], { cwd: root, env }), loki(["cost", "--json"], { cwd: root, env })]);
    expect(bare.map((r) => [r.code, r.stdout])).toEqual(honest.map((r) => [r.code, r.stdout]));
    const home = process.env.HOME;
    process.env.HOME = env.HOME;
    try {
      expect(actual()).toEqual(expected());
    } finally {
      process.env.HOME = home;
    }
    expect(existsSync(join(ws.dir, "summaries"))).toBe(false);
  });
});
