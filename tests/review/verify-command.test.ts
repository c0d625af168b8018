// Spec text never becomes a host command: held-out `verify:` commands run in real bubblewrap with the
// judge's policy and no tokens, only from a local spec file; an issue's commands are never run, and
// without a sandbox none run unless the run is explicitly unsandboxed.
import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { run } from "../../src/core/exec.ts";
import type { HeldoutResult } from "../../src/core/evidence-schema.ts";
import type { SpecSource } from "../../src/core/schema.ts";
import { userHome, writeJson } from "../../src/core/workspace.ts";
import { Spec } from "../../src/core/schema.ts";
import { evaluateHeldOut, type HeldoutOutcome } from "../../src/review/heldout-eval.ts";
import { commandEnv, commandMode, NOT_FROM_TRACKER, runVerifyCommand } from "../../src/review/verify-command.ts";
import { detectSandbox, type SandboxAvailability } from "../../src/sandbox/detect.ts";
import { heldOutStorePath, revealHeldOut } from "../../src/spec/heldout-store.ts";
import { commitChange, issueSpecRepo, localSpecRepo, RUN_ID, scriptedJudge, specWithHeldOutCommands, type HeldoutRepo } from "./fixture.ts";

const CHILD = resolve(import.meta.dir, "heldout-child.ts");
const TOKENS = { GITHUB_TOKEN: "ghp_heldout_secret", ANTHROPIC_API_KEY: "sk-ant-heldout-secret" };
const available: SandboxAvailability = { available: true, kind: "bwrap", path: "/usr/bin/bwrap", version: "0.8.0" };
const missing: SandboxAvailability = {
  available: false,
  kind: "bwrap",
  path: null,
  version: null,
  reason: "bubblewrap (bwrap) is not installed",
};
const file = (kind: SpecSource["kind"]): SpecSource => ({ kind, ref: "prd.md", path: "/repo/prd.md", sha256: "0".repeat(64) });

/** Each command exits 0 only if its attack worked. The first is the honest check of the spec. */
const attacks = (repo: string) => [
  "test -f src/x.js && git log --format=%s | grep -q initial",
  `cat ${heldOutStorePath(repo, RUN_ID)}`,
  `env | grep -q -e ${TOKENS.GITHUB_TOKEN} -e ${TOKENS.ANTHROPIC_API_KEY} || grep -aqs -e ${TOKENS.GITHUB_TOKEN} -e ${TOKENS.ANTHROPIC_API_KEY} /proc/*/environ`,
  'echo planted > planted.txt || echo planted > .git/hooks/post-commit || echo planted >> "$HOME/.gitconfig"',
  "cat .loki/checklist/held-out.json || cat .loki/spec/spec.json",
];

type ChildRun = { repo: HeldoutRepo; outcome: HeldoutOutcome; trust: { kind: string; data: Record<string, unknown> }[] };

/** A local spec whose five held-out items carry the attacks, judged by a fresh loki process with tokens in its environment. */
async function attackedBy(mode: "sandbox" | "unsandboxed"): Promise<ChildRun> {
  const repo = await localSpecRepo((root) => specWithHeldOutCommands(attacks(root), 20));
  writeJson(repo.ws.spec, Spec, repo.spec);
  const env = {
    PATH: process.env.PATH,
    HOME: userHome(),
    LANG: "C.UTF-8",
    GIT_CONFIG_GLOBAL: process.env.GIT_CONFIG_GLOBAL,
    GIT_CONFIG_NOSYSTEM: "1",
    ...TOKENS,
  };
  const child = await run([process.execPath, CHILD, repo.path, RUN_ID, mode], { env, replaceEnv: true, timeoutMs: 120_000 });
  if (!child.ok) throw new Error(`heldout-child failed: ${child.stderr}`);
  const { outcome, trust } = JSON.parse(child.stdout) as Omit<ChildRun, "repo">;
  return { repo, outcome, trust };
}

/** Statuses in the order of `attacks` (the order the held-out items carry them). */
function statuses(repo: HeldoutRepo, result: HeldoutResult | null): string[] {
  const byCommand = new Map(revealHeldOut(repo.ws, RUN_ID).items.map((i) => [i.verify, i.id]));
  return attacks(repo.path).map((command) => result?.items.find((j) => j.id === byCommand.get(command))?.status ?? "missing");
}

describe.skipIf(process.platform !== "linux")("verify commands from a local spec (real bwrap)", () => {
  test("the spec's commands reach the held-out store intact (the attacks below are what runs)", async () => {
    await using repo = await localSpecRepo((root) => specWithHeldOutCommands(attacks(root), 20));
    expect(revealHeldOut(repo.ws, RUN_ID).items.map((i) => i.verify)).toEqual(attacks(repo.path));
  });

  test("sandboxed: no read of ~/.loki or .loki/, no token, no write — and the honest check still passes", async () => {
    const { repo, outcome, trust } = await attackedBy("sandbox");
    await using _ = repo;
    expect(statuses(repo, outcome.result)).toEqual(["pass", "fail", "fail", "fail", "fail"]);
    expect(outcome.result?.items.every((i) => i.method === "command")).toBe(true);
    expect(outcome.verdict).toBe("BLOCKED");
    expect(existsSync(join(repo.path, "planted.txt"))).toBe(false);
    expect(existsSync(join(repo.path, ".git", "hooks", "post-commit"))).toBe(false);
    expect(readFileSync(join(userHome(), ".gitconfig"), "utf8")).not.toContain("planted");
    expect(trust.find((t) => t.kind === "heldout_eval")?.data).toMatchObject({ commands: "sandboxed" });
  });

  test("the same attacks, run bare (--no-sandbox, no bwrap): each one works — why bare needs the explicit flag", async () => {
    const { repo, outcome } = await attackedBy("unsandboxed");
    await using _ = repo;
    // The token still leaks through /proc (loki's own environment), though the command's env has none.
    expect(statuses(repo, outcome.result)).toEqual(["pass", "pass", "pass", "pass", "pass"]);
    expect(outcome.result?.items.every((i) => i.evidence.endsWith("(unsandboxed)"))).toBe(true);
    expect(existsSync(join(repo.path, "planted.txt"))).toBe(true);
  });

  test("a command alongside a judged item: the command decides its item, the judge sees only the other", async () => {
    await using repo = await localSpecRepo(specWithHeldOutCommands(["test -f src/x.js"], 8));
    const judge = scriptedJudge("pass");
    const outcome = await evaluateHeldOut(repo.input(judge));
    expect(outcome.verdict).toBe("VERIFIED");
    expect(outcome.result?.items.map((i) => i.method).sort()).toEqual(["command", "judge"]);
    const commanded = outcome.result?.items.find((i) => i.method === "command");
    expect(commanded).toMatchObject({ status: "pass", evidence: "`test -f src/x.js` exited 0" });
    expect(judge.prompts).toHaveLength(1);
    expect(judge.prompts[0]).not.toContain(`[${commanded?.id}]`);
  });
});

describe.skipIf(process.platform !== "linux" || !Bun.which("go"))("a verify command that builds (real bwrap)", () => {
  test("`go test` passes with the repository and HOME read-only: its build cache goes to the command's scratch", async () => {
    const sandbox = await detectSandbox();
    if (!sandbox.available) throw new Error(`bwrap is required here: ${sandbox.reason}`);
    const root = join(tmpdir(), `loki-verify-go-${randomBytes(4).toString("hex")}`);
    const home = join(tmpdir(), `loki-verify-home-${randomBytes(4).toString("hex")}`);
    const files: Record<string, string> = {
      "go.mod": "module example.com/m\n\ngo 1.21\n",
      "sum.go": "package m\n\nfunc Sum(a, b int) int { return a + b }\n",
      "sum_test.go": 'package m\n\nimport "testing"\n\nfunc TestSum(t *testing.T) {\n\tif Sum(2, 3) != 5 {\n\t\tt.Fatal("sum")\n\t}\n}\n',
    };
    for (const [name, text] of Object.entries(files)) await Bun.write(join(root, name), text);
    await Bun.write(join(home, ".keep"), "");
    await run(["git", "init", "-q"], { cwd: root, timeoutMs: 10_000 });
    try {
      const verdict = await runVerifyCommand({ mode: "sandboxed", sandbox }, "go test ./...", { root, home, timeoutMs: 120_000 });
      expect(verdict).toEqual({ status: "pass", evidence: "`go test ./...` exited 0" });
      // Nothing was written into the repository.
      expect(existsSync(join(root, "target"))).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe("verify commands that must not run", () => {
  const marker = () => join(tmpdir(), `loki-verify-marker-${randomBytes(4).toString("hex")}`);

  test("from a tracker issue: never executed — shown as not run, and the judge decides", async () => {
    const path = marker();
    const body = [
      "## Acceptance criteria",
      ...["add", "sub", "mul", "div"].map((fn) => `- [ ] ${fn}(a, b) is exported from math.js (verify: \`touch ${path}\`)`),
    ].join("\n");
    await using repo = await issueSpecRepo(body);
    expect(repo.spec.source.kind).toBe("issue");
    expect(revealHeldOut(repo.ws, RUN_ID).items[0]?.verify).toBe(`touch ${path}`);
    const judge = scriptedJudge("pass");
    // Even an explicitly unsandboxed run with a sandbox at hand does not run an issue's command.
    const outcome = await evaluateHeldOut(repo.input(judge, { allowUnsandboxed: true }));
    expect(existsSync(path)).toBe(false);
    expect(judge.prompts).toHaveLength(1);
    expect(outcome.result?.items).toHaveLength(1);
    expect(outcome.result?.items[0]).toMatchObject({
      method: "judge",
      status: "pass",
      evidence: `\`touch ${path}\` ${NOT_FROM_TRACKER}; judge: math.js:1`,
    });
    expect(repo.trust.find((t) => t.kind === "heldout_eval")?.data).toMatchObject({ commands: NOT_FROM_TRACKER });
  });

  test("no sandbox here: not run, the judge decides, the reason on record; --no-sandbox runs it bare", async () => {
    const path = marker();
    await using repo = await localSpecRepo(specWithHeldOutCommands([`touch ${path}`], 4));
    const none = await detectSandbox({ pathEnv: "/nonexistent" });
    expect(none.available).toBe(false);
    const judge = scriptedJudge("pass");
    const refused = await evaluateHeldOut(repo.input(judge, { sandbox: none }));
    expect(existsSync(path)).toBe(false);
    expect(refused.result?.items[0]).toMatchObject({ method: "judge", status: "pass" });
    expect(refused.result?.items[0]?.evidence).toContain("not run: no sandbox is available (bubblewrap (bwrap) is not installed)");
    commitChange(repo, "notes.md", "a new tree: the cached verdict does not apply\n");
    try {
      const bare = await evaluateHeldOut(repo.input(judge, { sandbox: none, allowUnsandboxed: true }));
      expect(existsSync(path)).toBe(true);
      expect(bare.result?.items[0]).toMatchObject({
        method: "command",
        status: "pass",
        evidence: `\`touch ${path}\` exited 0 (unsandboxed)`,
      });
      expect(judge.prompts).toHaveLength(1);
    } finally {
      rmSync(path, { force: true });
    }
  });
});

describe("commandMode and commandEnv (pure)", () => {
  test("only a local spec file may run commands; an issue never, whatever the sandbox", () => {
    expect(commandMode(file("markdown"), available, false)).toEqual({ mode: "sandboxed", sandbox: available });
    expect(commandMode(file("openspec"), missing, true)).toEqual({ mode: "unsandboxed" });
    expect(commandMode(file("yaml"), missing, false)).toMatchObject({
      mode: "not-run",
      reason: expect.stringContaining("no sandbox is available (bubblewrap (bwrap) is not installed)"),
    });
    const issue: SpecSource = {
      kind: "issue",
      ref: "acme/rocket#12",
      tracker: "github",
      url: "https://github.com/acme/rocket/issues/12",
      sha256: "0".repeat(64),
    };
    expect(commandMode(issue, available, true)).toEqual({ mode: "not-run", reason: NOT_FROM_TRACKER });
    const brief: SpecSource = { kind: "brief", ref: "add a page", sha256: "0".repeat(64) };
    expect(commandMode(brief, available, true)).toMatchObject({
      mode: "not-run",
      reason: expect.stringContaining("only from a local spec file"),
    });
  });

  test("the command's environment is built from nothing: no token, key or credential passes", () => {
    const env = commandEnv("/home/u", {
      PATH: "/usr/bin",
      LANG: "en_US.UTF-8",
      GITHUB_TOKEN: "t",
      ANTHROPIC_API_KEY: "k",
      AWS_SECRET_ACCESS_KEY: "s",
      SSH_AUTH_SOCK: "/s",
      GIT_ASKPASS: "/a",
      LOKI_KEY: "x",
    });
    expect(env).toEqual({ PATH: "/usr/bin", HOME: "/home/u", LANG: "en_US.UTF-8", TERM: "dumb", CI: "true" });
  });
});
