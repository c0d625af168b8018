// Baselines and scopes through the real CLI: --write-baseline records the known findings, a
// baseline suppresses exactly those (a new one still blocks, a red suite is never suppressed),
// and --scope diff|files|repo widens what the secret scanner reads.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loki } from "../helpers/cli.ts";
import {
  FAKE_AWS_KEY,
  FAKE_GITHUB_TOKEN,
  gateOf,
  NODE_BREAK,
  NODE_FIX,
  NODE_PROJECT,
  verifyJson,
  verifyRepo,
} from "../helpers/verify-repo.ts";

// Each test runs the real CLI several times (and real test suites): well past the 5 s default.
setDefaultTimeout(60_000);

const config = (key: string) => `module.exports = {\n  awsKey: "${key}",\n};\n`;

describe("baseline", () => {
  test("known findings are suppressed; a new one still blocks", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, { ...NODE_FIX, "src/config.js": config(FAKE_AWS_KEY) });
    expect((await verifyJson(repo.path, [])).code).toBe(2);

    const written = await loki(["verify", "--write-baseline", "baseline.json"], { cwd: repo.path });
    expect(written.code).toBe(0);
    expect(written.stdout).toContain("wrote 1 fingerprint(s) to baseline.json (verdict without it: BLOCKED)");
    const file = JSON.parse(readFileSync(join(repo.path, "baseline.json"), "utf8")) as { schema_version: number; fingerprints: string[] };
    expect(file).toEqual({
      schema_version: 1,
      fingerprints: [gateOf((await verifyJson(repo.path, [])).evidence, "secrets")?.findings[0]?.fingerprint ?? "?"],
    });

    const quiet = await verifyJson(repo.path, ["--baseline", "baseline.json"]);
    expect(quiet.code).toBe(0);
    expect(quiet.evidence.baseline).toEqual({ path: "baseline.json", suppressed: 1 });
    expect(gateOf(quiet.evidence, "secrets")).toMatchObject({
      status: "pass",
      findings: [],
      reason: "1 known finding(s) suppressed by the baseline; nothing new",
    });
    expect(readFileSync(join(repo.path, ".loki/verify/report.md"), "utf8")).toMatch(
      /## Suppressed by the baseline\n\n- secrets: `src\/config\.js:2` aws-access-key-id \(\w+\)/,
    );

    repo.commit({ "src/other.js": `exports.token = "${FAKE_GITHUB_TOKEN}";\n` });
    const loud = await verifyJson(repo.path, ["--baseline", "baseline.json"]);
    expect(loud.code).toBe(2);
    expect(gateOf(loud.evidence, "secrets")?.findings).toMatchObject([{ file: "src/other.js", line: 1, rule: "github-pat" }]);
    expect(loud.evidence.baseline?.suppressed).toBe(1);
  });

  test("a finding that moves to another line keeps its fingerprint", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, { ...NODE_FIX, "src/config.js": config(FAKE_AWS_KEY) });
    expect((await loki(["verify", "--write-baseline", "b.json"], { cwd: repo.path })).code).toBe(0);
    repo.commit({ "src/config.js": `// moved down\n\n${config(FAKE_AWS_KEY)}` });
    expect((await verifyJson(repo.path, ["--baseline", "b.json"])).code).toBe(0);
  });

  test("a red suite is state, not debt: the baseline never suppresses it", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, NODE_BREAK);
    const written = await loki(["verify", "--write-baseline", "b.json"], { cwd: repo.path });
    expect(written.stdout).toContain("wrote 0 fingerprint(s)");
    const { code, evidence } = await verifyJson(repo.path, ["--baseline", "b.json"]);
    expect(code).toBe(2);
    expect(gateOf(evidence, "tests")?.status).toBe("fail");
  });
});

describe("--scope", () => {
  // The key sits in the base commit; the change edits another line of the same file.
  const LEGACY = { ...NODE_PROJECT, "src/config.js": config(FAKE_AWS_KEY), "src/clean.js": "exports.x = 1;\n" };
  const TOUCH = { ...NODE_FIX, "src/config.js": `${config(FAKE_AWS_KEY)}// touched\n` };

  test("diff: a legacy secret on an unchanged line is not this change's", async () => {
    await using repo = await verifyRepo(LEGACY, TOUCH);
    const { code, evidence } = await verifyJson(repo.path, []);
    expect(code).toBe(0);
    expect(evidence.subject.scope).toBe("diff");
  });

  test("files: every line of a changed file is scanned", async () => {
    await using repo = await verifyRepo(LEGACY, TOUCH);
    const { code, evidence } = await verifyJson(repo.path, ["--scope", "files"]);
    expect(code).toBe(2);
    expect(gateOf(evidence, "secrets")?.findings).toMatchObject([{ file: "src/config.js", line: 2 }]);
    expect(gateOf(evidence, "tamper")?.reason).toContain("(grades the diff whatever --scope says)");
  });

  test("repo: unchanged files too", async () => {
    await using repo = await verifyRepo(LEGACY, NODE_FIX);
    expect((await verifyJson(repo.path, ["--scope", "files"])).code).toBe(0);
    const { code, evidence } = await verifyJson(repo.path, ["--scope", "repo"]);
    expect(code).toBe(2);
    expect(gateOf(evidence, "secrets")?.findings).toMatchObject([{ file: "src/config.js", line: 2 }]);
  });

  test("repo + --write-baseline captures the legacy debt, and diff-scope runs stay quiet after it", async () => {
    await using repo = await verifyRepo(LEGACY, NODE_FIX);
    expect((await loki(["verify", "--scope", "repo", "--write-baseline", "b.json"], { cwd: repo.path })).stdout).toContain(
      "wrote 1 fingerprint(s)",
    );
    expect((await verifyJson(repo.path, ["--scope", "repo", "--baseline", "b.json"])).code).toBe(0);
  });
});
