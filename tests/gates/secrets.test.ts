// The secrets gate: every built-in rule against its own samples (gitleaks-style), the entropy
// function, and the gate end to end on throwaway repos. Secrets come from the rules' fabricated
// samples, never from the environment. gitleaks and the scanner choice: secrets-gitleaks.test.ts.
import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { Config } from "../../src/core/config.ts";
import type { GateResult } from "../../src/core/schema.ts";
import { detectProject } from "../../src/gates/detect.ts";
import { readSubject } from "../../src/gates/diff.ts";
import { fingerprint, type GateContext, runGates } from "../../src/gates/gate.ts";
import { maskSecret, SECRET_RULES, scanLines, shannonEntropy } from "../../src/core/secrets/detect.ts";
import { createSecretsGate, type SecretsGateOptions } from "../../src/gates/secrets.ts";
import { parseLokiIgnore } from "../../src/gates/suppressions.ts";
import { git, tmpdir } from "../helpers/tmp.ts";

const scan = (text: string) => scanLines([{ line: 1, text }]);
const sample = (id: string) => SECRET_RULES.find((r) => r.id === id)?.samples.tp[0] ?? "";
const secretOf = (id: string) => scan(sample(id)).find((h) => h.rule.id === id)?.secret ?? "";
const AWS_LINE = sample("aws-access-key-id");
const AWS_KEY = secretOf("aws-access-key-id");

describe("secret rules: each rule's own samples", () => {
  test("the rule set is well-formed", () => {
    expect(SECRET_RULES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(SECRET_RULES.map((r) => r.id)).size).toBe(SECRET_RULES.length);
    for (const rule of SECRET_RULES) {
      expect(rule.regex.source).toContain("(?<secret>");
      expect(rule.keywords.length).toBeGreaterThan(0);
      for (const k of rule.keywords) expect(k).toBe(k.toLowerCase());
      expect(rule.samples.tp.length).toBeGreaterThan(0);
      expect(rule.samples.fp.length).toBeGreaterThan(0);
    }
  });

  for (const rule of SECRET_RULES) {
    test(`${rule.id}: true positives are found`, () => {
      for (const line of rule.samples.tp) {
        const hit = scan(line).find((h) => h.rule.id === rule.id);
        expect({ line, rule: hit?.rule.id }).toEqual({ line, rule: rule.id });
        expect(line).toContain(hit?.secret ?? "<none>");
      }
    });
    test(`${rule.id}: false positives are not`, () => {
      for (const line of rule.samples.fp) expect({ line, hits: scan(line).map((h) => h.rule.id) }).toEqual({ line, hits: [] });
    });
  }
});

describe("scanLines", () => {
  test("keeps line numbers and finds several secrets on one line", () => {
    const hits = scanLines([
      { line: 7, text: "nothing to see" },
      { line: 12, text: `${AWS_LINE} ${sample("github-pat")}` },
    ]);
    expect(hits.map((h) => [h.line, h.rule.id])).toEqual([
      [12, "aws-access-key-id"],
      [12, "github-pat"],
    ]);
  });

  test("the most specific rule wins over the generic ones for the same secret", () => {
    expect(scan(`GITHUB_TOKEN = "${secretOf("github-pat")}"`).map((h) => h.rule.id)).toEqual(["github-pat"]);
  });

  test("keyword matching ignores case, the rule's own regex decides", () => {
    const line = sample("generic-secret-assignment").replace("db_password", "DB_PassWord");
    expect(line).toContain("PassWord");
    expect(scan(line).map((h) => h.rule.id)).toEqual(["generic-secret-assignment"]);
  });
});

describe("shannonEntropy and masking", () => {
  test("is low for repeated characters and high for random base64", () => {
    expect(shannonEntropy("")).toBe(0);
    expect(shannonEntropy("aaaaaaaa")).toBe(0);
    expect(shannonEntropy("abab")).toBeCloseTo(1, 10);
    expect(shannonEntropy(randomBytes(64).toString("base64"))).toBeGreaterThan(5);
  });

  test("a mask shows at most four leading characters", () => {
    expect(maskSecret(AWS_KEY)).toBe(`${AWS_KEY.slice(0, 4)}…`);
    expect(maskSecret("hunter2")).toBe("hu…");
  });

  test(".lokiignore follows gitignore path rules", () => {
    const ignore = parseLokiIgnore("# test data\n*.pem\nfixtures/\n/config/dev.env\n!fixtures/real.ts\nfingerprint: 0123abcd\n");
    const cases = {
      "a/b.pem": true,
      "tests/fixtures/x.env": true,
      "config/dev.env": true,
      "x/config/dev.env": false,
      "fixtures/real.ts": false,
      "src/app.ts": false,
    };
    expect(Object.fromEntries(Object.keys(cases).map((p) => [p, ignore.ignores(p)]))).toEqual(cases);
    expect([...ignore.fingerprints]).toEqual(["0123abcd"]);
  });
});

/** Commits `base`, then `change` on top (null deletes a file), and runs the gate on that diff. */
async function verify(
  base: Record<string, string>,
  change: Record<string, string | null>,
  options: SecretsGateOptions = { gitleaks: null },
  context: Pick<GateContext, "frozen" | "acceptConfigChange"> = {},
): Promise<GateResult> {
  await using dir = await tmpdir({ commit: true, files: base });
  const baseSha = git(dir.path, ["rev-parse", "HEAD"]).trim();
  for (const [path, text] of Object.entries(change)) {
    if (text === null) git(dir.path, ["rm", "-q", path]);
    else dir.write(path, text);
  }
  git(dir.path, ["add", "-A"]);
  git(dir.path, ["commit", "-qm", "change", "--allow-empty"]);
  const config = Config.parse({});
  const subject = await readSubject(dir.path, baseSha, { includeWorktree: false });
  const [result] = await runGates([createSecretsGate(options)], {
    subject,
    project: detectProject(subject.root, config),
    config,
    ...context,
  });
  if (!result) throw new Error("no gate result");
  return result;
}

describe("secrets gate on throwaway repos", () => {
  test("a committed key is reported with file, line and severity, never in full", async () => {
    const result = await verify({ "README.md": "# app\n" }, { "config/app.env": `PORT=8080\n${AWS_LINE}\n` });
    expect(result.status).toBe("fail");
    expect(result.findings).toEqual([
      {
        severity: "critical",
        file: "config/app.env",
        line: 2,
        rule: "aws-access-key-id",
        message: `AWS access key id (${AWS_KEY.slice(0, 4)}…)`,
        fingerprint: fingerprint("aws-access-key-id", "config/app.env", AWS_KEY),
      },
    ]);
    expect(result.reason).toContain("config/app.env:2");
    expect(JSON.stringify(result)).not.toContain(AWS_KEY);
    expect(result.details).toMatchObject({ gitleaks: "not installed", files: 1, lines: 2 });
  });

  // Markers this diff adds count only once accepted (secrets-base.test.ts has the rest of that rule).
  test("inline allow comments suppress the finding on their line", async () => {
    const text = `${AWS_LINE} # loki:allow-secret\n${sample("github-pat")} // gitleaks:allow\n${sample("npm-token")} # pragma: allowlist secret\n`;
    const result = await verify({ "README.md": "# app\n" }, { "fixtures.txt": text }, { gitleaks: null }, { acceptConfigChange: true });
    expect({ status: result.status, reason: result.reason }).toEqual({
      status: "pass",
      reason: "scanned 3 added lines in 1 file, no secrets; suppressed 3 inline; 3 allow markers added in this diff, accepted",
    });
  });

  test(".lokiignore suppresses by path glob", async () => {
    const result = await verify(
      { ".lokiignore": "# fabricated keys\ntests/fixtures/\n" },
      { "tests/fixtures/aws.env": `${AWS_LINE}\n`, "src/app.ts": "export const port = 8080;\n" },
    );
    expect({ status: result.status, reason: result.reason }).toEqual({
      status: "pass",
      reason: "scanned 1 added line in 1 file, no secrets; suppressed 1 file by .lokiignore",
    });
    expect(result.details).toMatchObject({ lokiignore_changed: false });
  });

  test("a .lokiignore that the graded change itself edits still applies, and the reason says so", async () => {
    const result = await verify({ "README.md": "# app\n" }, { ".lokiignore": "keys/\n", "keys/aws.env": `${AWS_LINE}\n` });
    expect({ status: result.status, reason: result.reason }).toEqual({
      status: "pass",
      reason: "scanned 1 added line in 1 file, no secrets; suppressed 1 file by .lokiignore; .lokiignore changed in this diff",
    });
    expect(result.details).toMatchObject({ lokiignore_changed: true });
  });

  test(".lokiignore suppresses one finding by its fingerprint, not its neighbours", async () => {
    const ignored = fingerprint("aws-access-key-id", "keys.env", AWS_KEY);
    const result = await verify(
      { ".lokiignore": `fingerprint:${ignored}\n` },
      { "keys.env": `${AWS_LINE}\n${sample("stripe-live-key")}\n` },
    );
    expect(result.status).toBe("fail");
    expect(result.findings.map((f) => [f.rule, f.line])).toEqual([["stripe-live-key", 2]]);
    expect(result.reason).toEndWith("; suppressed 1 by fingerprint");
  });

  test("secrets on removed lines and in deleted files are not reported", async () => {
    const result = await verify(
      { "app.env": `${AWS_LINE}\nPORT=1\n`, "old.env": `${sample("github-pat")}\n` },
      { "app.env": "PORT=1\n", "old.env": null },
    );
    expect({ status: result.status, reason: result.reason }).toEqual({
      status: "pass",
      reason: "scanned 0 added lines in 0 files, no secrets",
    });
  });

  test("placeholders, documented example keys, lock files and minified assets pass", async () => {
    const placeholders = [
      'password = "changeme"',
      'api_key = "${API_KEY}"',
      "DATABASE_URL=postgres://postgres:postgres@localhost:5432/app",
      "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
      'token = "<your-token-here>"',
    ].join("\n");
    const result = await verify(
      { "README.md": "# app\n" },
      { "config.py": `${placeholders}\n`, "package-lock.json": `${AWS_LINE}\n`, "dist/app.min.js": `${AWS_LINE}\n` },
    );
    expect({ status: result.status, reason: result.reason }).toEqual({
      status: "pass",
      reason: "scanned 5 added lines in 1 file, no secrets",
    });
  });

  test("a test key is a finding below the blocking severities", async () => {
    const result = await verify({ "README.md": "# app\n" }, { ".env.test": `${sample("stripe-test-key")}\n` });
    expect(result.findings.map((f) => [f.rule, f.severity])).toEqual([["stripe-test-key", "low"]]);
  });
});
