// Programs loki runs outside any sandbox are found once, on PATH's absolute directories, and refused
// when the file changed since: a planted or swapped binary is never run.
import { describe, expect, test } from "bun:test";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { absolutePath, pinBinary, pinnedPath } from "../../src/core/pinned.ts";
import { tmpdir } from "../helpers/tmp.ts";

describe("pinned programs", () => {
  test("relative and empty PATH entries are never searched", async () => {
    expect(absolutePath("node_modules/.bin::/usr/bin:.:/bin")).toBe("/usr/bin:/bin");
    await using dir = await tmpdir();
    mkdirSync(join(dir.path, "rel"));
    writeFileSync(join(dir.path, "rel", "loki-pinned-test"), "#!/bin/sh\n", { mode: 0o755 });
    const cwd = process.cwd();
    process.chdir(dir.path);
    try {
      expect(pinBinary("loki-pinned-test", "rel").path).toBe("loki-pinned-test");
    } finally {
      process.chdir(cwd);
    }
  });

  test("a program planted on PATH after the start is not the one used; a swapped file is refused", async () => {
    await using dir = await tmpdir();
    const early = join(dir.path, "early");
    const real = join(dir.path, "real");
    mkdirSync(early);
    mkdirSync(real);
    writeFileSync(join(real, "tool"), "#!/bin/sh\necho real\n", { mode: 0o755 });
    const pinned = pinBinary("tool", `${early}:${real}`);
    writeFileSync(join(early, "tool"), "#!/bin/sh\necho planted\n", { mode: 0o755 });
    expect(pinnedPath(pinned)).toBe(join(real, "tool"));
    // The directory renamed away and a new one made in its place (what a read-only bind does not stop).
    renameSync(real, `${real}-old`);
    mkdirSync(real);
    writeFileSync(join(real, "tool"), "#!/bin/sh\necho planted\n", { mode: 0o755 });
    expect(() => pinnedPath(pinned)).toThrow(/replaced while loki ran/);
  });
});
