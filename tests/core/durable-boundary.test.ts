// "boundary" writes (core/durable.ts): visible to readers and whole at once, their directory and
// append fsyncs owed to syncOwed — one per file or directory, however many writes there were.
import { describe, expect, test } from "bun:test";
import { appendFileSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { appendLine, replaceFile, syncOwed, syncOwedTogether } from "../../src/core/durable.ts";
import { appendJsonl, readJsonl } from "../../src/core/workspace.ts";
import { tmpdir } from "../helpers/tmp.ts";

const Line = z.object({ n: z.number() });

describe("boundary writes", () => {
  test("a replace is whole and readable at once, its temp file gone, the file the user's alone", async () => {
    await using dir = await tmpdir();
    const file = join(dir.path, "state", "orchestrator.json");
    syncOwed();
    replaceFile(file, '{"phase":"act"}\n', 0o600, "boundary");
    expect(readFileSync(file, "utf8")).toBe('{"phase":"act"}\n');
    expect(readdirSync(join(dir.path, "state"))).toEqual(["orchestrator.json"]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  test("an append is readable at once, and a torn tail a crash left is still cut before the next line", async () => {
    await using dir = await tmpdir();
    const file = join(dir.path, "events.jsonl");
    syncOwed();
    appendJsonl(file, Line, { n: 1 }, "boundary");
    expect(readJsonl(file, Line)).toEqual([{ n: 1 }]);
    appendFileSync(file, '{"n":');
    expect(appendLine(file, '{"n":2}\n', 0o600, "boundary")).toBe(5);
    expect(readFileSync(file, "utf8")).toBe('{"n":1}\n{"n":2}\n');
  });

  test("many writes owe one sync per appended file and per directory renamed into, paid once", async () => {
    await using dir = await tmpdir();
    syncOwed();
    for (let i = 0; i < 10; i++) {
      replaceFile(join(dir.path, "state", "orchestrator.json"), `{"i":${i}}\n`, 0o600, "boundary");
      replaceFile(join(dir.path, "session.json"), `{"i":${i}}\n`, 0o600, "boundary");
      appendJsonl(join(dir.path, "events.jsonl"), Line, { n: i }, "boundary");
    }
    // state/, the directory itself (session.json), events.jsonl
    expect(syncOwed()).toBe(3);
    expect(syncOwed()).toBe(0);
  });

  test("syncOwedTogether pays the same syncs at once: the same count, then nothing owed", async () => {
    await using dir = await tmpdir();
    syncOwed();
    for (let i = 0; i < 3; i++) {
      replaceFile(join(dir.path, "state", "orchestrator.json"), `{"i":${i}}\n`, 0o600, "boundary");
      replaceFile(join(dir.path, "iterations", "1", "gates.json"), `{"i":${i}}\n`, 0o600, "boundary");
      appendJsonl(join(dir.path, "events.jsonl"), Line, { n: i }, "boundary");
      appendJsonl(join(dir.path, "trust-events.jsonl"), Line, { n: i }, "boundary");
    }
    // state/, iterations/1/, events.jsonl, trust-events.jsonl
    expect(await syncOwedTogether()).toBe(4);
    expect(await syncOwedTogether()).toBe(0);
    appendJsonl(join(dir.path, "gone", "events.jsonl"), Line, { n: 1 }, "boundary");
    rmSync(join(dir.path, "gone"), { recursive: true });
    expect(await syncOwedTogether()).toBe(0);
  });

  test("power and process writes owe nothing", async () => {
    await using dir = await tmpdir();
    syncOwed();
    replaceFile(join(dir.path, "a.json"), "{}\n", 0o600, "power");
    replaceFile(join(dir.path, "b.json"), "{}\n", 0o600, "process");
    appendJsonl(join(dir.path, "cost.jsonl"), Line, { n: 1 });
    appendLine(join(dir.path, "agent.jsonl"), "{}\n", 0o600, "process");
    expect(syncOwed()).toBe(0);
  });

  test("a file gone before the boundary is skipped, not an error", async () => {
    await using dir = await tmpdir();
    const file = join(dir.path, "sub", "events.jsonl");
    syncOwed();
    appendJsonl(file, Line, { n: 1 }, "boundary");
    rmSync(join(dir.path, "sub"), { recursive: true });
    expect(syncOwed()).toBe(0);
  });
});
