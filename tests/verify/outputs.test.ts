// What `loki verify` writes for CI, through the real CLI: --json (the Evidence schema), --sarif
// (valid against the official SARIF 2.1.0 schema), --junit (one testcase per gate), the files
// under .loki/verify/, and GitHub Actions annotations plus a job summary.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Evidence } from "../../src/core/evidence-schema.ts";
import { loki } from "../helpers/cli.ts";
import { descendants, parseXml, sarifErrors } from "../helpers/formats.ts";
import { FAKE_AWS_KEY, NODE_FIX, NODE_PROJECT, verifyRepo } from "../helpers/verify-repo.ts";

// Each test runs the real CLI several times (and real test suites): well past the 5 s default.
setDefaultTimeout(60_000);

const LEAK = { ...NODE_FIX, "src/config.js": `module.exports = {\n  awsKey: "${FAKE_AWS_KEY}",\n};\n` };

type SarifLog = {
  runs: {
    tool: { driver: { name: string } };
    results: {
      ruleId: string;
      level: string;
      locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[];
    }[];
  }[];
};

describe("CI outputs", () => {
  test("--json, --sarif and --junit describe the same BLOCKED run", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, LEAK);
    const result = await loki(["verify", "--json", "--sarif", "out/loki.sarif", "--junit", "out/junit.xml"], { cwd: repo.path });
    expect(result.code).toBe(2);
    const evidence = Evidence.parse(result.json());
    expect(evidence).toMatchObject({ verdict: "BLOCKED", exit_code: 2, source: "verify", block_on: ["critical", "high"], baseline: null });
    expect(evidence.gates.map((g) => g.id)).toEqual([
      "diff",
      "build",
      "tests",
      "differential",
      "mutation",
      "static",
      "secrets",
      "deps",
      "tamper",
      "test_imports",
      "grader_config",
      "git_integrity",
      "spec_drift",
      "heldout",
    ]);
    const secrets = evidence.gates.find((g) => g.id === "secrets");
    expect(secrets?.findings).toMatchObject([{ severity: "critical", file: "src/config.js", line: 2, rule: "aws-access-key-id" }]);
    expect(JSON.stringify(evidence)).not.toContain(FAKE_AWS_KEY);

    const sarif = JSON.parse(readFileSync(join(repo.path, "out/loki.sarif"), "utf8")) as SarifLog;
    expect(sarifErrors(sarif)).toEqual([]);
    expect(sarif.runs.map((r) => r.tool.driver.name)).toEqual(evidence.gates.map((g) => `loki-${g.id}`));
    const run = sarif.runs.find((r) => r.tool.driver.name === "loki-secrets");
    expect(run?.results).toMatchObject([
      {
        ruleId: "aws-access-key-id",
        level: "error",
        locations: [{ physicalLocation: { artifactLocation: { uri: "src/config.js" }, region: { startLine: 2 } } }],
      },
    ]);

    const junit = parseXml(readFileSync(join(repo.path, "out/junit.xml"), "utf8"));
    const cases = descendants(junit, "testcase");
    expect(cases.map((c) => c.attributes.name)).toEqual(evidence.gates.map((g) => g.id));
    expect(cases.find((c) => c.attributes.name === "secrets")?.children[0]?.name).toBe("failure");
    expect(cases.find((c) => c.attributes.name === "heldout")?.children[0]?.name).toBe("skipped");

    for (const file of ["evidence.json", "report.md", "results.sarif", "junit.xml"])
      expect(existsSync(join(repo.path, ".loki/verify", file))).toBe(true);
    expect(Evidence.parse(JSON.parse(readFileSync(join(repo.path, ".loki/verify/evidence.json"), "utf8")))).toEqual(evidence);
    expect(readFileSync(join(repo.path, ".loki/verify/report.md"), "utf8")).toContain("`src/config.js:2` | secrets | aws-access-key-id |");
  });

  test("GitHub Actions: annotations on stdout and a summary appended to GITHUB_STEP_SUMMARY", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, LEAK);
    const summary = join(repo.root, "summary.md");
    await Bun.write(summary, "# earlier step\n");
    const result = await loki(["verify"], { cwd: repo.path, env: { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary } });
    expect(result.code).toBe(2);
    const commands = result.stdout.split("\n").filter((l) => l.startsWith("::"));
    expect(commands).toEqual([
      expect.stringMatching(
        /^::error file=src\/config\.js,line=2,title=loki secrets%3A aws-access-key-id \(critical\)::AWS access key id \(AKIA/,
      ),
    ]);
    const text = readFileSync(summary, "utf8");
    expect(text).toStartWith("# earlier step\n## ⛔ loki verify: BLOCKED\n");
    expect(text).toContain("| secrets | fail |");
  });

  test("GitHub Actions with --json: stdout stays pure JSON, annotations go to stderr", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, LEAK);
    const result = await loki(["verify", "--json"], { cwd: repo.path, env: { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: "" } });
    expect(Evidence.parse(result.json()).verdict).toBe("BLOCKED");
    expect(result.stderr).toMatch(/^::error file=src\/config\.js,line=2,/m);
  });

  test("outside GitHub Actions there are no workflow commands", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, LEAK);
    const result = await loki(["verify"], { cwd: repo.path, env: { GITHUB_ACTIONS: undefined } });
    expect(result.stdout).not.toContain("::error");
    expect(result.stdout).toMatch(/src\/config\.js:2 {2}critical {2}secrets\/aws-access-key-id {2}AWS access key id/);
  });
});
