// detectSandbox: a real probe with the flags every agent call uses, and an explanation (with the fix)
// when there is no usable sandbox — no bwrap, user namespaces unavailable, an unknown OS.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Sysctls } from "../../src/sandbox/detect.ts";
import { detectSandbox, explainProbeFailure } from "../../src/sandbox/detect.ts";
import { sandboxWorld } from "./fixture.ts";

const DETECT = resolve(import.meta.dir, "../../src/sandbox/detect.ts");
const OPEN: Sysctls = { unprivilegedUsernsClone: null, maxUserNamespaces: "15000", apparmorRestrict: null };

describe.skipIf(process.platform !== "linux")("detectSandbox on Linux", () => {
  test("bwrap is installed and its probe passes here", async () => {
    const found = await detectSandbox();
    expect(found).toMatchObject({ available: true, kind: "bwrap" });
    expect(found.version).toMatch(/^\d+\.\d+/);
    expect(found.path).toMatch(/\/bwrap$/);
  });

  test("inside a sandbox (no user namespaces left), the probe fails and says why", async () => {
    await using w = await sandboxWorld();
    const script = `"${process.execPath}" -e 'import { detectSandbox } from "${DETECT}"; console.log(JSON.stringify(await detectSandbox()))'`;
    const result = await w.inside("build", script);
    expect(result.exitCode).toBe(0);
    const found = JSON.parse(result.stdout);
    expect(found).toMatchObject({ available: false, kind: "bwrap" });
    expect(found.reason).toMatch(/cannot create .*namespace/);
    expect(found.install).toBeString();
  });

  test("no bwrap on PATH: unavailable, with the install command", async () => {
    const empty = mkdtempSync(join(tmpdir(), "loki-nopath-"));
    try {
      const found = await detectSandbox({ pathEnv: empty });
      expect(found).toMatchObject({ available: false, kind: "bwrap", path: null, reason: "bubblewrap (bwrap) is not installed" });
      expect(found.install).toContain("apt-get install bubblewrap");
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe("detectSandbox elsewhere", () => {
  test("an OS without a sandbox is unavailable and names --no-sandbox", async () => {
    const found = await detectSandbox({ platform: "win32" });
    expect(found).toMatchObject({ available: false, kind: null });
    expect(found.reason).toContain("win32");
    expect(found.install).toContain("--no-sandbox");
  });

  test.skipIf(process.platform === "darwin")("macOS without /usr/bin/sandbox-exec is unavailable", async () => {
    const found = await detectSandbox({ platform: "darwin" });
    expect(found).toMatchObject({ available: false, kind: "sandbox-exec", reason: "/usr/bin/sandbox-exec is missing" });
  });
});

describe("explainProbeFailure", () => {
  const cases: Array<{ name: string; stderr: string; sysctls: Sysctls; reason: RegExp; install: RegExp }> = [
    {
      name: "max_user_namespaces = 0",
      stderr: "bwrap: No permissions to create new namespace",
      sysctls: { ...OPEN, maxUserNamespaces: "0" },
      reason: /max_user_namespaces is 0/,
      install: /sysctl -w user\.max_user_namespaces/,
    },
    {
      name: "Debian's unprivileged_userns_clone = 0",
      stderr: "bwrap: No permissions to creating new namespace",
      sysctls: { ...OPEN, unprivilegedUsernsClone: "0" },
      reason: /unprivileged_userns_clone is 0/,
      install: /unprivileged_userns_clone=1/,
    },
    {
      name: "Ubuntu's AppArmor restriction",
      stderr: "bwrap: setting up uid map: Permission denied",
      sysctls: { ...OPEN, apparmorRestrict: "1" },
      reason: /AppArmor/,
      install: /apparmor\.d\/bwrap/,
    },
    {
      name: "a bwrap too old for --disable-userns",
      stderr: "bwrap: Unknown option --disable-userns",
      sysctls: OPEN,
      reason: /too old/,
      install: /upgrade bubblewrap/,
    },
    {
      name: "a container without user namespaces",
      stderr: "bwrap: Creating new namespace failed: Operation not permitted",
      sysctls: OPEN,
      reason: /Creating new namespace failed: Operation not permitted/,
      install: /container/,
    },
    {
      name: "anything else",
      stderr: "bwrap: Can't mount proc on /newroot/proc: Invalid argument",
      sysctls: OPEN,
      reason: /probe: Can't mount proc/,
      install: /bwrap --ro-bind/,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const explained = explainProbeFailure(c.stderr, "0.8.0", c.sysctls);
      expect(explained.reason).toMatch(c.reason);
      expect(explained.install).toMatch(c.install);
    });
  }
});
