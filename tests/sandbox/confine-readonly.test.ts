// What graded commands may not change: the directories loki runs programs from later (PATH), its own
// code and a CI runner's files. Which mounts readOnlyMounts makes, and that bwrap really enforces them.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { confineArgv, protectedPaths, readOnlyMounts } from "../../src/sandbox/confine.ts";
import { tmpdir } from "../helpers/tmp.ts";

describe("readOnlyMounts", () => {
  test("an existing directory is bound read-only; a missing one in HOME gets a tmpfs at its topmost missing directory, elsewhere nothing; a missing file nothing", async () => {
    await using dir = await tmpdir();
    const bin = join(dir.path, "bin");
    mkdirSync(bin);
    const dirs = [bin, join(dir.path, "go", "bin"), "/proc/nonexistent-loki/bin", "/nonexistent-loki/bin"];
    const mounts = readOnlyMounts({ dirs, files: [join(dir.path, ".bashrc")] }, [], dir.path);
    expect(mounts).toEqual([
      { kind: "tmpfs", path: join(dir.path, "go") },
      { kind: "bind", path: bin },
    ]);
  });

  test("a missing directory inside a read-only bound one gets no mount of its own (nothing can make it there)", async () => {
    await using dir = await tmpdir();
    const bin = join(dir.path, "bin");
    mkdirSync(bin);
    expect(readOnlyMounts({ dirs: [bin, join(bin, "sub")], files: [] }, [], dir.path)).toEqual([{ kind: "bind", path: bin }]);
  });

  test("leaves out what holds or lies in the repository and the hidden directories, and / itself", async () => {
    await using dir = await tmpdir();
    const repo = join(dir.path, "repo");
    mkdirSync(join(repo, "node_modules", ".bin"), { recursive: true });
    expect(readOnlyMounts({ dirs: [dir.path, join(repo, "node_modules", ".bin"), "/"], files: [] }, [repo])).toEqual([]);
  });

  test("protectedPaths names every PATH directory, loki's runtime and a CI runner's command files", () => {
    const paths = protectedPaths({
      PATH: "/opt/tool/bin:relative/bin:/usr/bin",
      RUNNER_TEMP: "/runner/_temp",
      GITHUB_ENV: "/runner/_temp/env",
    });
    expect(paths.dirs).toContain("/opt/tool/bin");
    expect(paths.dirs).toContain("/usr/bin");
    expect(paths.dirs).not.toContain("relative/bin");
    expect(paths.files).toContain("/runner/_temp");
    expect(paths.files).toContain("/runner/_temp/env");
    expect(paths.files.some((p) => p.endsWith(".bunfig.toml"))).toBe(true);
  });
});

describe.skipIf(!Bun.which("bwrap"))("confineArgv with read-only mounts (real bwrap)", () => {
  test("a command can write its working directory but not a protected PATH directory, nor create a missing one", async () => {
    await using dir = await tmpdir();
    const work = join(dir.path, "work");
    const bin = join(dir.path, "bin");
    mkdirSync(work);
    mkdirSync(bin);
    const missing = join(dir.path, "later", "bin");
    const script = `echo ok > out.txt; echo x > ${bin}/git; mkdir -p ${missing} && echo x > ${missing}/git; exit 0`;
    const argv = confineArgv(
      ["sh", "-c", script],
      work,
      [],
      "bwrap",
      readOnlyMounts({ dirs: [bin, missing], files: [] }, [work], dir.path),
    );
    const proc = Bun.spawnSync(argv, { cwd: work, env: { PATH: "/usr/bin:/bin" } });
    expect(proc.exitCode, proc.stderr.toString()).toBe(0);
    expect(existsSync(join(work, "out.txt"))).toBe(true);
    expect(existsSync(join(bin, "git"))).toBe(false);
    expect(existsSync(join(missing, "git"))).toBe(false);
    writeFileSync(join(bin, "keep"), "");
  });

  test("a hidden socket (a container engine's, in a CI build) is an empty file to the command: nothing to connect to", async () => {
    await using dir = await tmpdir();
    const socket = join(dir.path, "engine.sock");
    const server = Bun.listen({ unix: socket, socket: { data() {} } });
    try {
      const argv = confineArgv(["sh", "-c", `test -S ${socket} && echo socket || echo plain`], dir.path, [socket], "bwrap");
      const proc = Bun.spawnSync(argv, { cwd: dir.path, env: { PATH: "/usr/bin:/bin" } });
      expect(proc.stdout.toString().trim(), proc.stderr.toString()).toBe("plain");
    } finally {
      server.stop(true);
    }
  });
});
