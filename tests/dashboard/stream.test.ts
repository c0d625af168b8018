// The live stream (/events) against real appends to .loki/events.jsonl: byte-offset ids, replay from
// ?from= and Last-Event-ID, bursts (the chokidar-throttle bug), partial lines, a replaced file, a server
// restart, heartbeats, state events from directory watches, redaction, and Bun's idle close. Idle CPU
// is a benchmark row (bench/dashboard.ts), not a timed test.
import { afterEach, describe, expect, test } from "bun:test";
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startDashboard } from "../../src/dashboard/server.ts";
import { appendEvents, type Harness, openStream, recordingDeps, startHarness } from "./harness.ts";

const open: Harness[] = [];
/** A heartbeat far beyond each test's length unless asked: the heartbeat's re-read must not hide a deaf watcher. */
async function harness(options: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  const h = await startHarness({ heartbeatMs: 60_000, ...options });
  open.push(h);
  return h;
}
afterEach(async () => {
  for (const h of open.splice(0)) await h[Symbol.asyncDispose]();
});

const line = (n: number) => JSON.stringify({ kind: "note", n, text: `line ${n} é✓` });
const bytes = (lines: string[]) => Buffer.byteLength(lines.map((l) => `${l}\n`).join(""));
const events = (path: string) => join(path, ".loki", "events.jsonl");

describe("events by byte offset", () => {
  test("replays the file, each line's id the byte offset just past it (multi-byte text counted in bytes)", async () => {
    const h = await harness();
    const lines = [line(1), line(2), line(3)];
    appendEvents(h.root, lines);
    const s = await openStream(h);
    expect(s.response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    await s.until((f) => s.events().length === 3);
    expect(s.events().map((f) => [f.id, f.data])).toEqual(lines.map((l, i) => [String(bytes(lines.slice(0, i + 1))), l]));
    await s.close();
  });

  test("?from= and Last-Event-ID replay from that offset; the header wins (it is the browser's reconnect)", async () => {
    const h = await harness();
    const lines = [1, 2, 3, 4].map(line);
    appendEvents(h.root, lines);
    const from = await openStream(h, {}, `?from=${bytes(lines.slice(0, 2))}`);
    await from.until(() => from.events().length === 2);
    expect(from.events().map((f) => f.data)).toEqual(lines.slice(2));
    const header = await openStream(h, { "last-event-id": String(bytes(lines.slice(0, 3))) }, "?from=0");
    await header.until(() => header.events().length === 1);
    await Bun.sleep(100);
    expect(header.events().map((f) => f.data)).toEqual(lines.slice(3));
    await Promise.all([from.close(), header.close()]);
  });

  test("20 lines appended within 10 ms all arrive, in order, once", async () => {
    const h = await harness();
    const s = await openStream(h);
    await Bun.sleep(100);
    const lines = Array.from({ length: 20 }, (_, i) => line(i));
    const started = performance.now();
    for (const l of lines) appendFileSync(events(h.root), `${l}\n`);
    expect(performance.now() - started).toBeLessThan(10);
    await s.until(() => s.events().length >= 20, 500);
    await Bun.sleep(150);
    expect(s.events().map((f) => f.data)).toEqual(lines);
    await s.close();
  });

  test("a reconnect with Last-Event-ID gets what it missed: no gap, no duplicate", async () => {
    const h = await harness();
    const first = await openStream(h);
    const lines = Array.from({ length: 10 }, (_, i) => line(i));
    appendEvents(h.root, lines.slice(0, 5));
    await first.until(() => first.events().length === 5);
    const lastId = first.events().at(-1)?.id ?? "";
    await first.close();
    appendEvents(h.root, lines.slice(5));
    const again = await openStream(h, { "last-event-id": lastId });
    await again.until(() => again.events().length === 5);
    await Bun.sleep(100);
    expect([...first.events(), ...again.events()].map((f) => f.data)).toEqual(lines);
    await again.close();
  });

  test("a server restarted mid-stream replays from the client's offset", async () => {
    const h = await harness();
    const s = await openStream(h);
    const lines = Array.from({ length: 6 }, (_, i) => line(i));
    appendEvents(h.root, lines.slice(0, 3));
    await s.until(() => s.events().length === 3);
    await h.dash.stop();
    await s.until(() => s.isClosed());
    appendEvents(h.root, lines.slice(3));
    const next = await startDashboard({ root: h.root, port: 0, deps: recordingDeps(h.root, []), heartbeatMs: 60_000 });
    try {
      const token = new URL(next.url).searchParams.get("t") ?? "";
      const replay = await openStream({ ...h, dash: next, token }, { "last-event-id": s.events().at(-1)?.id ?? "" });
      await replay.until(() => replay.events().length === 3);
      await Bun.sleep(100);
      expect([...s.events(), ...replay.events()].map((f) => f.data)).toEqual(lines);
      await replay.close();
    } finally {
      await next.stop();
    }
  });

  test("a line longer than a whole read (16 MB) is passed over; the lines after it still arrive", async () => {
    const h = await harness({ heartbeatMs: 60_000 });
    const s = await openStream(h);
    const huge = JSON.stringify({ kind: "note", text: "x".repeat(17 * 1024 * 1024) });
    appendFileSync(events(h.root), `${huge}\n${line(1)}\n`);
    await s.until(() => s.events().length === 1, 20_000);
    expect(s.events()[0]).toEqual({ id: String(bytes([huge, line(1)])), event: "ev", data: line(1) });
    appendEvents(h.root, [line(2)]);
    await s.until(() => s.events().length === 2);
    expect(s.events()[1]?.data).toBe(line(2));
    await s.close();
  });

  test("a partial line waits for its newline", async () => {
    const h = await harness({ heartbeatMs: 300 });
    const s = await openStream(h);
    appendFileSync(events(h.root), '{"kind":"note","half":');
    await s.until((f) => f.filter((x) => x.event === "hb").length >= 2);
    expect(s.events()).toEqual([]);
    expect(JSON.parse(s.frames.filter((f) => f.event === "hb").at(-1)?.data ?? "{}").offset).toBe(0);
    appendFileSync(events(h.root), "true}\n");
    await s.until(() => s.events().length === 1);
    const whole = '{"kind":"note","half":true}';
    expect(s.events()[0]).toEqual({ id: String(bytes([whole])), event: "ev", data: whole });
    await s.close();
  });

  test("a truncated or replaced file is read again from 0, announced as a state change of events", async () => {
    const h = await harness();
    const s = await openStream(h);
    appendEvents(h.root, [line(1), line(2), line(3)]);
    await s.until(() => s.events().length === 3);
    const tmp = `${events(h.root)}.new`;
    writeFileSync(tmp, `${line(9)}\n${line(10)}\n${line(11)}\n${line(12)}\n`);
    renameSync(tmp, events(h.root));
    await s.until(() => s.events().length === 7);
    const reset = s.frames.findIndex((f) => f.event === "state" && JSON.parse(f.data).changed.includes("events"));
    expect(reset).toBeGreaterThan(-1);
    expect(
      s
        .events()
        .slice(3)
        .map((f) => f.data),
    ).toEqual([9, 10, 11, 12].map(line));
    writeFileSync(events(h.root), "");
    appendEvents(h.root, [line(20)]);
    await s.until(() => s.events().length === 8);
    expect(s.events().at(-1)).toEqual({ id: String(bytes([line(20)])), event: "ev", data: line(20) });
    await s.close();
  });

  test("an offset that is not a line start replays from 0 instead of sending half a line", async () => {
    const h = await harness();
    appendEvents(h.root, [line(1), line(2)]);
    const s = await openStream(h, { "last-event-id": "5" });
    await s.until(() => s.events().length === 2);
    expect(s.events().map((f) => f.data)).toEqual([line(1), line(2)]);
    await s.close();
  });
});

describe("what is sent", () => {
  test("each line is redacted again, and a CR inside a line cannot forge a frame", async () => {
    const h = await harness();
    const s = await openStream(h);
    const token = `ghp_${"a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"}`;
    appendEvents(h.root, [
      JSON.stringify({ kind: "note", text: `pushed with ${token}` }),
      '{"kind":"note"}\revent: state\rdata: {"changed":["forged"]}',
    ]);
    await s.until(() => s.events().length === 2);
    expect(s.events()[0]?.data).toContain("[REDACTED:github-token]");
    expect(JSON.stringify(s.frames)).not.toContain(token);
    expect(s.frames.filter((f) => f.event === "state")).toEqual([]);
    await s.close();
  });

  test("heartbeats carry the time and the offset sent so far", async () => {
    const h = await harness({ heartbeatMs: 300 });
    appendEvents(h.root, [line(1)]);
    const s = await openStream(h);
    await s.until((f) => f.filter((x) => x.event === "hb").length >= 2, 2000);
    const hb = JSON.parse(s.frames.filter((f) => f.event === "hb").at(-1)?.data ?? "{}");
    expect(hb.offset).toBe(bytes([line(1)]));
    expect(Math.abs(Date.parse(hb.now) - Date.now())).toBeLessThan(2000);
    await s.close();
  });

  test("state files written by rename, and directories created mid-run, are announced by panel", async () => {
    const h = await harness();
    const s = await openStream(h);
    const changed = () => s.frames.filter((f) => f.event === "state").flatMap((f) => JSON.parse(f.data).changed as string[]);
    const state = join(h.root, ".loki", "state");
    writeFileSync(join(state, "orchestrator.json.1.x.tmp"), "{}");
    renameSync(join(state, "orchestrator.json.1.x.tmp"), join(state, "orchestrator.json"));
    await s.until(() => changed().includes("status"), 2000);
    expect(changed()).toEqual(["cost", "status", "timeline"]);
    mkdirSync(join(h.root, ".loki", "checklist"));
    await Bun.sleep(150);
    writeFileSync(join(h.root, ".loki", "checklist", "checklist.json"), "{}");
    await s.until(() => changed().includes("checklist"), 2000);
    mkdirSync(join(h.root, ".loki", "iterations", "2"), { recursive: true });
    await Bun.sleep(150);
    writeFileSync(join(h.root, ".loki", "iterations", "2", "agent.jsonl"), "{}\n");
    await Bun.sleep(200);
    expect(changed()).not.toContain("gates");
    writeFileSync(join(h.root, ".loki", "iterations", "2", "gates.json"), "{}");
    await s.until(() => changed().includes("gates"), 2000);
    await s.close();
  });
});

describe("staying open", () => {
  test("the stream outlives Bun's idle timeout with no heartbeat to keep it busy", async () => {
    // Bun checks idle connections every ~4 s: with a 1 s timeout a quiet stream without
    // server.timeout(req, 0) is reset after about 4 s (measured), so 5.5 s of silence tells.
    const h = await harness({ heartbeatMs: 60_000, idleTimeoutS: 1 });
    const s = await openStream(h);
    await Bun.sleep(5500);
    expect(s.isClosed()).toBe(false);
    appendEvents(h.root, [line(1)]);
    await s.until(() => s.events().length === 1, 1000);
    await s.close();
  });

  test("stopping the server ends its streams and its watchers", async () => {
    const h = await harness({ heartbeatMs: 300 });
    const s = await openStream(h);
    await s.until((f) => f.some((x) => x.event === "hb"));
    await h.dash.stop();
    await s.until(() => s.isClosed(), 2000);
  });
});
