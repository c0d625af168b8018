// sandboxCommand, the one entry point: real paths on this host (a symlinked ~/.loki is hidden where
// it points), the env the agent gets, each platform's wrapper, and the host network kept.
import { describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../../src/core/exec.ts";
import { SANDBOX_EXEC } from "../../src/sandbox/macos.ts";
import { sandboxPolicy } from "../../src/sandbox/policy.ts";
import { resolvePolicy, sandboxCommand } from "../../src/sandbox/wrap.ts";
import { tmpdir } from "../helpers/tmp.ts";
import { sandboxWorld } from "./fixture.ts";

describe("sandboxCommand", () => {
  test("Linux: bwrap argv; the agent gets IS_SANDBOX=1 and the private /tmp as TMPDIR; the caller's env is kept", async () => {
    await using dir = await tmpdir();
    const policy = sandboxPolicy({ role: "build", repo: dir.path, scratch: dir.path, providerStateDirs: [], hidden: [], readOnly: [] });
    const command = sandboxCommand(
      policy,
      ["claude", "-p", "x"],
      { PATH: "/usr/bin", TMPDIR: "/elsewhere" },
      { platform: "linux", bwrap: "/usr/bin/bwrap" },
    );
    expect(command.kind).toBe("bwrap");
    expect(command.argv[0]).toBe("/usr/bin/bwrap");
    expect(command.argv.slice(-4)).toEqual(["--", "claude", "-p", "x"]);
    expect(command.env).toEqual({ PATH: "/usr/bin", TMPDIR: "/tmp", IS_SANDBOX: "1" });
  });

  test("macOS: sandbox-exec with the generated profile; TMPDIR is the scratch dir", async () => {
    await using dir = await tmpdir();
    const policy = sandboxPolicy({
      role: "review",
      repo: dir.path,
      scratch: join(dir.path, "scratch"),
      providerStateDirs: [],
      hidden: [],
      readOnly: [],
    });
    const command = sandboxCommand(policy, ["codex", "exec"], {}, { platform: "darwin" });
    expect(command.kind).toBe("sandbox-exec");
    expect(command.argv[0]).toBe(SANDBOX_EXEC);
    expect(command.argv[2]).toContain("(version 1)");
    expect(command.argv.slice(3)).toEqual(["codex", "exec"]);
    expect(command.env).toEqual({ IS_SANDBOX: "1", TMPDIR: join(dir.path, "scratch") });
  });

  test("an OS without a sandbox is a broken invariant (loki start refuses before)", async () => {
    await using dir = await tmpdir();
    const policy = sandboxPolicy({ role: "build", repo: dir.path, scratch: dir.path, providerStateDirs: [], hidden: [], readOnly: [] });
    expect(() => sandboxCommand(policy, ["true"], {}, { platform: "win32" })).toThrow(/no sandbox on win32/);
    expect(() => sandboxCommand(policy, [], {}, { platform: "linux" })).toThrow(/empty argv/);
  });

  test("resolvePolicy: symlinks resolved, missing paths resolved through their parent, kinds recorded", async () => {
    await using dir = await tmpdir();
    const store = join(dir.path, "store");
    mkdirSync(store);
    symlinkSync(store, join(dir.path, "link"));
    writeFileSync(join(dir.path, "file.json"), "{}");
    const policy = sandboxPolicy({
      role: "build",
      repo: dir.path,
      scratch: dir.path,
      providerStateDirs: [join(dir.path, "file.json")],
      hidden: [join(dir.path, "link"), join(dir.path, "link", "missing")],
      readOnly: [],
    });
    const { resolved, kinds } = resolvePolicy(policy);
    expect(resolved.hidden).toEqual([store, join(store, "missing")]);
    expect(kinds.get(store)).toBe("dir");
    expect(kinds.get(join(store, "missing"))).toBe("missing");
    expect(kinds.get(join(dir.path, "file.json"))).toBe("file");
  });
});

describe.skipIf(process.platform !== "linux")("sandboxCommand with real bwrap", () => {
  test("a hidden ~/.loki that is a symlink is empty under both names", async () => {
    await using dir = await tmpdir({ files: { "real-store/heldout/p/r.json": "SECRET ITEM", "home/.keep": "", "repo/a.txt": "a" } });
    const home = join(dir.path, "home");
    symlinkSync(join(dir.path, "real-store"), join(home, ".loki"));
    const repo = join(dir.path, "repo");
    const policy = sandboxPolicy({
      role: "build",
      repo,
      scratch: repo,
      providerStateDirs: [],
      hidden: [join(home, ".loki")],
      readOnly: [home],
    });
    const command = sandboxCommand(
      policy,
      ["sh", "-c", `cat ${home}/.loki/heldout/*/*.json ${dir.path}/real-store/heldout/*/*.json; cat a.txt`],
      {},
    );
    const result = await run(command.argv, { env: command.env, cwd: repo });
    expect(result.stdout).toBe("a");
    expect(result.stdout + result.stderr).not.toContain("SECRET ITEM");
  });

  test("the host network is kept: a process inside reaches an HTTP server on the host's 127.0.0.1", async () => {
    // The server counts the request, so it is the host's server that answered, not one inside.
    const seen: string[] = [];
    using server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(request) {
        seen.push(new URL(request.url).pathname);
        return new Response("model says hi");
      },
    });
    await using w = await sandboxWorld();
    const script = `"${process.execPath}" -e 'console.log(await (await fetch("http://127.0.0.1:${server.port}/v1/messages")).text())'`;
    const result = await w.inside("review", script);
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("model says hi\n");
    expect(seen).toEqual(["/v1/messages"]);
  });
});
