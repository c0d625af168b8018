// The entry's instant answers (src/commands/instant.ts) against the commander program's: `version` in
// every form, an idle repository's `status --json`, and the piped root help must print the same bytes
// as the program does when a global flag sends the call there — and step aside whenever they cannot.
import { describe, expect, test } from "bun:test";
import { rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { cliBundle } from "../helpers/cli-bundle.ts";
import { loki } from "../helpers/cli.ts";
import { tmpdir } from "../helpers/tmp.ts";

/** The same call twice: as given (the entry may answer it) and with --quiet first (only the program can). */
async function both(args: string[], cwd: string) {
  const [instant, program] = await Promise.all([loki(args, { cwd }), loki(["--quiet", ...args], { cwd })]);
  return { instant, program };
}

describe("the entry answers as the program would", () => {
  test("version, -v, --version, -V and version --json print the program's bytes", async () => {
    await using dir = await tmpdir();
    for (const args of [["version"], ["-v"], ["--version"], ["-V"], ["version", "--json"]]) {
      const { instant, program } = await both(args, dir.path);
      expect({ args, code: instant.code, out: instant.stdout, err: instant.stderr }).toEqual({
        args,
        code: program.code,
        out: program.stdout,
        err: program.stderr,
      });
      expect(instant.code).toBe(0);
    }
  });

  test("status --json of an idle repository, also with PAUSE and STOP set, is the program's report", async () => {
    await using dir = await tmpdir({ commit: true });
    const idle = await both(["status", "--json"], dir.path);
    expect(idle.instant.stdout).toBe(idle.program.stdout);
    expect(idle.instant.json()).toMatchObject({ status: "inactive", root: dir.path, delegated: [] });
    dir.write(".loki/PAUSE", "");
    dir.write(".loki/STOP", "");
    const signalled = await both(["status", "--json"], join(dir.path, ".loki"));
    expect(signalled.instant.stdout).toBe(signalled.program.stdout);
    expect(signalled.instant.json()).toMatchObject({ signals: { pause: true, stop: true } });
  });

  test("a session or a delegated run's directory sends status --json to the program: the run is reported", async () => {
    await using dir = await tmpdir({ commit: true });
    const session = JSON.stringify({
      schema_version: 1,
      run_id: "r1",
      pid: 999_999,
      status: "running",
      provider: "claude",
      spec: "prd.md",
      started_at: "2026-01-01T00:00:00Z",
      updated_at: "2026-01-01T00:00:00Z",
    });
    dir.write(".loki/session.json", session);
    const run = await both(["status", "--json"], dir.path);
    expect(run.instant.stdout).toBe(run.program.stdout);
    expect(run.instant.json()).toMatchObject({ run_id: "r1", status: "dead" });
    rmSync(join(dir.path, ".loki", "session.json"));
    dir.write(".loki/worktrees/issue-1/.loki/session.json", session);
    const delegated = await both(["status", "--json"], dir.path);
    expect(delegated.instant.stdout).toBe(delegated.program.stdout);
    expect(delegated.instant.json()).toMatchObject({ status: "inactive", delegated: [{ run_id: "r1", status: "dead" }] });
  });

  test("a session that cannot be looked at (a looping link, .loki a file) is the program's error, not an idle report", async () => {
    await using dir = await tmpdir({ commit: true });
    dir.write(".loki/.keep", "");
    symlinkSync("session.json", join(dir.path, ".loki", "session.json"));
    const loop = await both(["status", "--json"], dir.path);
    expect([loop.instant.code, loop.instant.stdout, loop.instant.stderr]).toEqual([
      loop.program.code,
      loop.program.stdout,
      loop.program.stderr,
    ]);
    expect(loop.instant.code).toBe(3);
    rmSync(join(dir.path, ".loki"), { recursive: true });
    dir.write(".loki", "not a directory\n");
    const file = await both(["status", "--json"], dir.path);
    expect([file.instant.code, file.instant.stderr]).toEqual([file.program.code, file.program.stderr]);
    expect(file.instant.code).toBe(3);
  });

  test("the root help printed to a pipe is the program's, in every form that asks for it", async () => {
    await using dir = await tmpdir();
    const program = await loki(["--quiet", "--help"], { cwd: dir.path });
    expect(program.stdout).toContain("Usage: loki");
    for (const args of [["--help"], ["-h"], ["help"], []]) {
      const instant = await loki(args, { cwd: dir.path });
      expect({ args, code: instant.code, out: instant.stdout }).toEqual({ args, code: 0, out: program.stdout });
    }
  });

  test("a reader that goes away gets no stack trace; a working directory that is gone is the program's error", async () => {
    await using dir = await tmpdir();
    for (const args of ["--help", "status --json", "version"]) {
      const piped = Bun.spawnSync(
        ["bash", "-c", `set -o pipefail; "${process.execPath}" "${cliBundle()}" ${args} | head -c 1 >/dev/null`],
        {
          cwd: dir.path,
          stderr: "pipe",
        },
      );
      expect({ args, code: piped.exitCode, err: piped.stderr.toString() }).toEqual({ args, code: 0, err: "" });
    }
    const gone = join(dir.path, "gone");
    const script = `mkdir "${gone}" && cd "${gone}" && rmdir "${gone}" && "${process.execPath}" "${cliBundle()}"`;
    const [instant, program] = ["status --json", "--quiet status --json"].map((args) =>
      Bun.spawnSync(["bash", "-c", `${script} ${args}`], { cwd: dir.path, stdout: "pipe", stderr: "pipe" }),
    );
    expect(instant?.exitCode).toBe(program?.exitCode as number);
    expect(instant?.stderr.toString()).toBe(program?.stderr.toString() as string);
    expect(instant?.stderr.toString()).not.toMatch(/^\s+at /m);
  });

  test("output that cannot be written (a full disk) is exit 3 with one line, answered or not", async () => {
    await using dir = await tmpdir();
    for (const args of ["version", "status --json", "--help", "-q version", "-q status --json"]) {
      const full = Bun.spawnSync(["bash", "-c", `"${process.execPath}" "${cliBundle()}" ${args} >/dev/full`], {
        cwd: dir.path,
        stderr: "pipe",
      });
      expect({ args, code: full.exitCode, err: full.stderr.toString() }).toEqual({
        args,
        code: 3,
        err: "error: could not write stdout: ENOSPC\n",
      });
    }
  });
});
