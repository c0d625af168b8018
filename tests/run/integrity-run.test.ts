// An unsandboxed run (--no-sandbox) whose agent rewrites the provider CLI loki will run its judge
// and reviewers with, or loki's own installed bundle: the change is caught before the next grader
// call, no grader runs, the run does not end VERIFIED and its reason names the path. The honest
// twins still verify.
import { describe, expect, test } from "bun:test";
import { cpSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { installedLokiCopy, loki } from "../helpers/cli.ts";
import { PRD_MATH4, scenarioRepo } from "../helpers/scenario.ts";
import { tmpdir } from "../helpers/tmp.ts";

const AGENTS = resolve(import.meta.dir, "..", "fixtures", "agents");

describe("an unsandboxed run whose grader is swapped mid-run", () => {
  test("the swapped provider CLI blocks the run, naming its path", async () => {
    await using outside = await tmpdir();
    // The provider the run resolves is a copy: the agent rewrites it, never the repository's fixture.
    const bin = join(realpathSync(outside.path), "agents");
    cpSync(AGENTS, bin, { recursive: true });
    const claudeBin = join(bin, "claude");
    await using s = await scenarioRepo("swap-provider", "max_iterations: 2\n", { FAKE_CLAUDE_BIN: claudeBin }, PRD_MATH4);
    const result = await s.loki(["start", "prd.md", "--no-sandbox"], { PATH: `${bin}:${process.env.PATH}` });

    expect(readFileSync(claudeBin, "utf8")).toContain("# swapped");
    expect(result.code, result.stderr).not.toBe(0);
    const reason = `the provider CLI changed during the run: ${claudeBin}`;
    expect(s.orchestrator().violations.some((v) => v.endsWith(reason))).toBe(true);
    expect(s.trustEvents().some((e) => e.kind === "grader_tampered" && String(e.data.reason) === reason)).toBe(true);
    expect(s.events().some((e) => e.kind === "warning" && e.message.includes(reason))).toBe(true);
    // No grader ran on the swapped CLI: the only reviews the fake saw came before the swap (none).
    expect(s.reviews()).toEqual([]);
    const gates = s.events().flatMap((e) => (e.kind === "ship_gate" ? [e] : []));
    expect(gates.length).toBeGreaterThan(0);
    expect(gates.every((g) => g.verdict !== "VERIFIED")).toBe(true);
    expect(gates.some((g) => g.verdict === "BLOCKED" && g.reasons.some((r) => r.includes(claudeBin)))).toBe(true);
    expect(s.completion().outcome).not.toBe("verified");
    expect(s.completion().reason).toContain("blocked");
    expect(s.proof().payload.headline.verdict).toBe("NOT VERIFIED");
    expect(s.proof().payload.headline.reasons.join("\n")).toContain(reason);
  });

  test("a claude planted in the repository's node_modules/.bin (where loki looks first) is caught before any judge runs", async () => {
    await using s = await scenarioRepo("plant-provider", "max_iterations: 2\n", {}, PRD_MATH4);
    const result = await s.loki(["start", "prd.md"]);
    expect(result.code, result.stderr).not.toBe(0);
    const reason = `a provider CLI appeared during the run where loki looks for one first: ${join(s.path, "node_modules", ".bin", "claude")}`;
    expect(s.orchestrator().violations.some((v) => v.endsWith(reason))).toBe(true);
    expect(s.reviews()).toEqual([]);
    expect(s.completion().outcome).not.toBe("verified");
    expect(s.proof().payload.headline.reasons.join("\n")).toContain(reason);
  });

  test("the honest twin, unsandboxed and on a copy of the same CLI, still verifies", async () => {
    await using outside = await tmpdir();
    const bin = join(realpathSync(outside.path), "agents");
    cpSync(AGENTS, bin, { recursive: true });
    await using s = await scenarioRepo("full", "", { FAKE_CLAUDE_BIN: join(bin, "claude") }, PRD_MATH4);
    const result = await s.loki(["start", "prd.md", "--no-sandbox"], { PATH: `${bin}:${process.env.PATH}` });
    expect(result.code, result.stderr).toBe(0);
    expect(s.orchestrator()).toMatchObject({ sandboxed: false, violations: [] });
    expect(Object.keys(s.integrity().provider)).toContain(join(bin, "claude"));
    expect(s.trustEvents().some((e) => e.kind === "grader_tampered")).toBe(false);
    expect(s.completion().outcome).toBe("verified");
    expect(s.proof().payload.headline.verdict).toBe("VERIFIED WITH GAPS");
  });
});

describe("an unsandboxed run whose own loki is rewritten mid-run", () => {
  test("the agent appends to the installed bundle running it: caught before any reviewer, never VERIFIED", async () => {
    const entry = installedLokiCopy();
    await using s = await scenarioRepo("swap-loki", "max_iterations: 2\n", { FAKE_LOKI_CODE: entry }, PRD_MATH4);
    const result = await loki(["start", "prd.md", "--no-sandbox"], { cwd: s.path, env: s.env, entry });

    expect(readFileSync(entry, "utf8")).toContain("// swapped");
    expect(result.code, result.stderr).not.toBe(0);
    const reason = `loki's own code changed during the run: ${entry}`;
    expect(s.orchestrator().violations.some((v) => v.endsWith(reason))).toBe(true);
    expect(s.trustEvents().some((e) => e.kind === "grader_tampered" && String(e.data.reason) === reason)).toBe(true);
    expect(s.reviews()).toEqual([]);
    expect(s.completion().outcome).not.toBe("verified");
    expect(s.proof().payload.headline.verdict).toBe("NOT VERIFIED");
  });

  test("the honest twin on the same kind of copy verifies, with the bundle's directory fingerprinted", async () => {
    const entry = installedLokiCopy();
    await using s = await scenarioRepo("full", "", {}, PRD_MATH4);
    const result = await loki(["start", "prd.md", "--no-sandbox"], { cwd: s.path, env: s.env, entry });
    expect(result.code, result.stderr).toBe(0);
    expect(s.orchestrator().violations).toEqual([]);
    expect(Object.keys(s.integrity().loki)).toEqual(expect.arrayContaining([entry, join(dirname(entry), "cli.js.jsc")]));
    expect(s.completion().outcome).toBe("verified");
  });
});
