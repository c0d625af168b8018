// The policy per role and the bwrap argv it becomes (pure): who may write what, and the mount order
// that keeps a hidden path hidden even inside a writable one.
import { describe, expect, test } from "bun:test";
import type { PathKind } from "../../src/sandbox/bwrap.ts";
import { BWRAP_BASE, BWRAP_ISOLATION, bwrapArgv } from "../../src/sandbox/bwrap.ts";
import type { PolicyInput } from "../../src/sandbox/policy.ts";
import { accessAt, mountPlan, sandboxPolicy, standardHidden, standardReadOnly } from "../../src/sandbox/policy.ts";

const input = (role: PolicyInput["role"]): PolicyInput => ({
  role,
  repo: "/work/repo",
  scratch: "/home/u/.cache/loki/scratch/run-1",
  providerStateDirs: ["/home/u/.claude", "/home/u/.claude.json"],
  hidden: standardHidden("/home/u", "/work/repo", "/home/u/.loki/runs/run-1"),
  readOnly: [...standardReadOnly("/home/u"), "/opt/loki", "/home/u/.claude/local/claude"],
});

describe("sandboxPolicy", () => {
  test("build: the repo, scratch and provider state are writable; network is the host's; PID namespace on", () => {
    const policy = sandboxPolicy(input("build"));
    expect(policy.writable).toEqual(["/home/u/.cache/loki/scratch/run-1", "/home/u/.claude", "/home/u/.claude.json", "/work/repo"]);
    expect(policy.readOnly).not.toContain("/work/repo");
    expect(policy).toMatchObject({ cwd: "/work/repo", network: "host", pidNamespace: true });
  });

  for (const role of ["review", "judge"] as const) {
    test(`${role}: the repo is read-only; scratch and provider state stay writable`, () => {
      const policy = sandboxPolicy(input(role));
      expect(policy.writable).toEqual(["/home/u/.cache/loki/scratch/run-1", "/home/u/.claude", "/home/u/.claude.json"]);
      expect(policy.readOnly).toContain("/work/repo");
    });
  }

  test("a linked worktree's git dir follows the repo: writable for build, read-only for review", () => {
    const git = { gitCommonDir: "/work/main/.git" };
    expect(sandboxPolicy({ ...input("build"), ...git }).writable).toContain("/work/main/.git");
    expect(sandboxPolicy({ ...input("review"), ...git }).readOnly).toContain("/work/main/.git");
  });

  test("paths are normalized; a relative path or / is a broken invariant", () => {
    expect(sandboxPolicy({ ...input("build"), repo: "/work//repo/./" }).cwd).toBe("/work/repo");
    expect(() => sandboxPolicy({ ...input("build"), repo: "repo" })).toThrow(/not absolute/);
    expect(() => sandboxPolicy({ ...input("build"), hidden: ["/"] })).toThrow(/root/);
  });
});

describe("mountPlan", () => {
  test("shallowest first, so the more specific path wins; one entry per path, strictest access", () => {
    const plan = mountPlan(
      sandboxPolicy({
        ...input("build"),
        readOnly: ["/work/repo", "/work/repo/vendor"],
        hidden: ["/work/repo/.loki", "/work/repo/vendor"],
      }),
    );
    expect(plan.filter((m) => m.path.startsWith("/work"))).toEqual([
      { path: "/work/repo", access: "read" },
      { path: "/work/repo/.loki", access: "hidden" },
      { path: "/work/repo/vendor", access: "hidden" },
    ]);
    const depths = plan.map((m) => m.path.split("/").length);
    expect(depths).toEqual([...depths].sort((a, b) => a - b));
  });

  test("accessAt: the deepest mount decides", () => {
    const plan = mountPlan(sandboxPolicy(input("build")));
    expect(accessAt(plan, "/work/repo/src/a.ts")).toBe("write");
    expect(accessAt(plan, "/work/repo/.loki/state/x.json")).toBe("hidden");
    expect(accessAt(plan, "/home/u/.claude/local/claude")).toBe("read");
    expect(accessAt(plan, "/home/u/.claude/projects")).toBe("write");
    expect(accessAt(plan, "/etc/passwd")).toBe("outside");
    expect(accessAt(plan, "/work/repository")).toBe("outside");
  });
});

describe("bwrapArgv", () => {
  const exists = (...paths: string[]) =>
    new Map<string, PathKind>(paths.map((p) => [p, p.endsWith(".json") || p.endsWith("claude") ? "file" : "dir"]));
  const all = [
    "/work/repo",
    "/work/repo/.loki",
    "/home/u",
    "/home/u/.loki",
    "/home/u/.claude",
    "/home/u/.claude.json",
    "/home/u/.claude/local/claude",
    "/home/u/.cache/loki/scratch/run-1",
    "/opt/loki",
  ];

  test("isolation and base first, then mounts, then --chdir and the command after --", () => {
    const argv = bwrapArgv(sandboxPolicy(input("build")), ["claude", "-p", "hi; rm -rf /"], exists(...all), "/usr/bin/bwrap");
    expect(argv.slice(0, 1 + BWRAP_ISOLATION.length + BWRAP_BASE.length)).toEqual(["/usr/bin/bwrap", ...BWRAP_ISOLATION, ...BWRAP_BASE]);
    expect(argv.slice(-6)).toEqual(["--chdir", "/work/repo", "--", "claude", "-p", "hi; rm -rf /"]);
    expect(argv).toContain("--unshare-pid");
    expect(argv).not.toContain("--unshare-net");
  });

  test("the repo's .loki/ tmpfs comes after the repo's bind; a provider binary's ro-bind after its state dir's bind", () => {
    const argv = bwrapArgv(sandboxPolicy(input("build")), ["true"], exists(...all));
    const at = (...flag: string[]) => argv.findIndex((_, i) => flag.every((f, k) => argv[i + k] === f));
    expect(at("--bind", "/work/repo", "/work/repo")).toBeGreaterThan(0);
    expect(at("--tmpfs", "/work/repo/.loki")).toBeGreaterThan(at("--bind", "/work/repo", "/work/repo"));
    expect(at("--ro-bind", "/home/u/.claude/local/claude", "/home/u/.claude/local/claude")).toBeGreaterThan(
      at("--bind", "/home/u/.claude", "/home/u/.claude"),
    );
    expect(at("--tmpfs", "/home/u/.loki")).toBeGreaterThan(at("--ro-bind", "/home/u", "/home/u"));
    expect(at("--bind", "/home/u/.claude.json", "/home/u/.claude.json")).toBeGreaterThan(0);
  });

  test("review: the repo is ro-bound and its .loki/ still hidden on top", () => {
    const argv = bwrapArgv(sandboxPolicy(input("review")), ["true"], exists(...all)).join(" ");
    expect(argv).toContain("--ro-bind /work/repo /work/repo");
    expect(argv).not.toContain("--bind /work/repo /work/repo");
    expect(argv.indexOf("--tmpfs /work/repo/.loki")).toBeGreaterThan(argv.indexOf("--ro-bind /work/repo /work/repo"));
  });

  test("a hidden file gets /dev/null; missing paths are skipped unless the agent could create them", () => {
    const policy = sandboxPolicy({ ...input("build"), hidden: ["/home/u/.netrc", "/work/repo/.loki", "/home/u/.loki"] });
    const kinds = new Map<string, PathKind>([...exists("/work/repo", "/home/u", "/home/u/.claude"), ["/home/u/.netrc", "file"]]);
    const argv = bwrapArgv(policy, ["true"], kinds).join(" ");
    expect(argv).toContain("--ro-bind /dev/null /home/u/.netrc");
    // .loki/ missing inside the writable repo: hidden anyway, or the agent could plant it for loki to read.
    expect(argv).toContain("--tmpfs /work/repo/.loki");
    // ~/.loki missing under the read-only HOME: nothing can create it, nothing to mount.
    expect(argv).not.toContain("/home/u/.loki");
    expect(argv).not.toContain("/opt/loki");
  });
});
