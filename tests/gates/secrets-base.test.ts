// The secrets gate against a diff that tries to hide a key or silence its finding — attributes that
// make text "binary", NUL bytes, its own .lokiignore, its own allow markers — each beside its honest
// twin, on real repositories. Suppressions and attributes count only as the base had them.
import { describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Config } from "../../src/core/config.ts";
import type { GraderConfig } from "../../src/core/grader-schema.ts";
import type { GateResult } from "../../src/core/schema.ts";
import { detectProject } from "../../src/gates/detect.ts";
import { readSubject } from "../../src/gates/diff.ts";
import { type GateContext, runGates } from "../../src/gates/gate.ts";
import { SECRET_RULES, scanLines } from "../../src/core/secrets/detect.ts";
import { createSecretsGate } from "../../src/gates/secrets.ts";
import { widenSubject } from "../../src/verify/scope.ts";
import { git, tmpdir } from "../helpers/tmp.ts";

const AWS_LINE = SECRET_RULES.find((r) => r.id === "aws-access-key-id")?.samples.tp[0] ?? "";
const AWS_KEY = scanLines([{ line: 1, text: AWS_LINE }])[0]?.secret ?? "";
const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a3e1d1a90000000049454e44ae426082",
  "hex",
);
const frozen = (lokiignore: string | null): GraderConfig => ({
  origin: "commit base",
  kinds: [],
  test: null,
  build: null,
  lint: null,
  verify: {},
  lokiignore,
  gitattributes: null,
});

type Files = Record<string, string | Buffer | null>;
type Extra = Pick<GateContext, "frozen" | "acceptConfigChange"> & { scope?: "files" };

/** Commits `base`, then `change` (null deletes), and runs the secrets gate on that diff. */
async function grade(base: Files, change: Files, extra: Extra = {}): Promise<GateResult> {
  await using dir = await tmpdir({ git: true });
  const put = (files: Files) => {
    for (const [path, content] of Object.entries(files))
      if (content === null) rmSync(join(dir.path, path));
      else writeFileSync(dir.write(path, ""), content);
    git(dir.path, ["add", "-A"]);
    git(dir.path, ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "c", "--allow-empty"]);
  };
  put({ "README.md": "# app\n", ...base });
  const baseSha = git(dir.path, ["rev-parse", "HEAD"]).trim();
  put(change);
  const config = Config.parse({});
  const read = await readSubject(dir.path, baseSha, { includeWorktree: false });
  const subject = extra.scope ? await widenSubject(read, extra.scope) : read;
  const ctx = {
    subject,
    project: detectProject(subject.root, config),
    config,
    frozen: extra.frozen,
    acceptConfigChange: extra.acceptConfigChange,
  };
  const [result] = await runGates([createSecretsGate({ gitleaks: null })], ctx);
  if (!result) throw new Error("no gate result");
  expect(JSON.stringify(result)).not.toContain(AWS_KEY);
  return result;
}

const rules = (r: GateResult) => r.findings.map((f) => [f.rule, f.file]);

describe("attributes and NUL bytes cannot hide a key", () => {
  test("`*.ts -diff` added by the diff: the key is found; without a key the same trick passes", async () => {
    const attrs = { ".gitattributes": "*.ts -diff\n" };
    expect(rules(await grade({}, { ...attrs, "src/keys.ts": `export const k = 1;\n${AWS_LINE}\n` }))).toEqual([
      ["aws-access-key-id", "src/keys.ts"],
    ]);
    const honest = await grade({}, { ...attrs, "src/keys.ts": "export const k = 1;\n" });
    expect({ status: honest.status, reason: honest.reason }).toEqual({
      status: "pass",
      reason: "scanned 2 added lines in 2 files, no secrets",
    });
  });

  test("`*.js binary` added by the diff: the key is found; an honest change passes", async () => {
    const base = { "app.js": "module.exports = 1;\n" };
    const attrs = { ".gitattributes": "*.js binary\n" };
    const hidden = await grade(base, { ...attrs, "app.js": `module.exports = 2;\n${AWS_LINE}\n` });
    expect(hidden.findings.map((f) => [f.rule, f.file, f.line])).toEqual([["aws-access-key-id", "app.js", 2]]);
    expect((await grade(base, { ...attrs, "app.js": "module.exports = 2;\n" })).status).toBe("pass");
  });

  test("a NUL byte prepended to a file with a new key: the key and text-to-binary are found", async () => {
    const result = await grade({ "config.env": "PORT=1\n" }, { "config.env": `\0PORT=1\n${AWS_LINE}\n` });
    expect(result.status).toBe("fail");
    expect(rules(result)).toEqual([
      ["aws-access-key-id", "config.env"],
      ["text-to-binary", "config.env"],
    ]);
    expect(result.findings.map((f) => f.severity)).toEqual(["critical", "high"]);
    expect(result.findings[1]?.message).toContain("config.env was text at the base and is binary now");
  });

  test("a placeholder turned into a real image or font passes; a source file or unknown name turned binary is high", async () => {
    const placeholder = { "assets/icon.ico": "placeholder\n", "fonts/Body.WOFF2": "todo\n" };
    const real = await grade(placeholder, {
      "assets/icon.ico": PNG,
      "fonts/Body.WOFF2": Buffer.from([0x77, 0x4f, 0x46, 0x32, 0, 1, 0, 0]),
    });
    expect({ status: real.status, findings: real.findings }).toEqual({ status: "pass", findings: [] });
    const withKey = await grade(placeholder, { "assets/icon.ico": Buffer.concat([PNG, Buffer.from(`\0${AWS_LINE}\0`)]) });
    expect(rules(withKey)).toEqual([["aws-access-key-id", "assets/icon.ico"]]);
    for (const path of ["src/app.ts", "data.json", "notes.mylog", "Makefile"]) {
      const turned = await grade({ [path]: "placeholder\n" }, { [path]: PNG });
      expect(turned.findings.map((f) => [f.rule, f.file, f.severity])).toEqual([["text-to-binary", path, "high"]]);
    }
  });

  test("a real binary file added or changed, with no secret, passes; a key already in it at the base is not new", async () => {
    expect((await grade({}, { "logo.png": PNG })).status).toBe("pass");
    const withKey = Buffer.concat([PNG, Buffer.from(`\0${AWS_LINE}\0`)]);
    expect((await grade({ "logo.png": withKey }, { "logo.png": Buffer.concat([withKey, Buffer.from([0, 1, 2])]) })).status).toBe("pass");
    expect(rules(await grade({ "logo.png": PNG }, { "logo.png": withKey }))).toEqual([["aws-access-key-id", "logo.png"]]);
  });

  test("the base's own attributes still count: a text file it calls binary is scanned as binary", async () => {
    const result = await grade({ ".gitattributes": "*.dat binary\n" }, { "blob.dat": `header\n${AWS_LINE}\n` });
    expect(rules(result)).toEqual([["aws-access-key-id", "blob.dat"]]);
    expect(result.details).toMatchObject({ binary_files: 1 });
  });
});

describe("suppressions come from the base", () => {
  const keyFile = { "keys/aws.env": `${AWS_LINE}\n` };

  test("a .lokiignore the diff edits does not apply when the base's has no such entry", async () => {
    const result = await grade({ ".lokiignore": "# none\n" }, { ".lokiignore": "keys/\n", ...keyFile }, { frozen: frozen("# none\n") });
    expect(rules(result)).toEqual([["aws-access-key-id", "keys/aws.env"]]);
    expect(result.reason).toContain(".lokiignore changed in this diff (not applied: the base's is)");
    expect(result.details).toMatchObject({ lokiignore: "base" });
  });

  test("the base's .lokiignore applies, and an accepted diff's own does too", async () => {
    const base = await grade({ ".lokiignore": "keys/\n" }, keyFile, { frozen: frozen("keys/\n") });
    expect({ status: base.status, reason: base.reason }).toEqual({
      status: "pass",
      reason: "scanned 0 added lines in 0 files, no secrets; suppressed 1 file by .lokiignore",
    });
    const accepted = await grade({}, { ".lokiignore": "keys/\n", ...keyFile }, { frozen: frozen(null), acceptConfigChange: true });
    expect(accepted.status).toBe("pass");
    expect(accepted.details).toMatchObject({ lokiignore: "diff (accepted)" });
  });

  test("an allow marker added by the diff is not honoured; accepted, or already at the base, it is", async () => {
    const marked = `${AWS_LINE} # loki:allow-secret\n`;
    const added = await grade({ "fixtures.txt": "x\n" }, { "fixtures.txt": `x\n${marked}` });
    expect(rules(added)).toEqual([["aws-access-key-id", "fixtures.txt"]]);
    expect(added.findings[0]?.message).toContain(
      "allow marker was added in this diff (a maintainer accepts it: loki verify --accept-config-change)",
    );
    expect((await grade({ "fixtures.txt": "x\n" }, { "fixtures.txt": `x\n${marked}` }, { acceptConfigChange: true })).status).toBe("pass");
    // The marked line was in the base; the diff adds a copy of it.
    const atBase = await grade({ "fixtures.txt": `x\n${marked}` }, { "fixtures.txt": `x\n${marked}${marked}` });
    expect({ status: atBase.status, reason: atBase.reason }).toEqual({
      status: "pass",
      reason: "scanned 1 added line in 1 file, no secrets; suppressed 1 inline",
    });
  });

  test("with --scope files, a marked line from the base is honoured and a new one is not", async () => {
    const base = { "fixtures.txt": `${AWS_LINE} # gitleaks:allow\n` };
    const widened = await grade(base, { "fixtures.txt": `${AWS_LINE} # gitleaks:allow\nmore\n` }, { scope: "files" });
    expect({ status: widened.status, reason: widened.reason }).toEqual({
      status: "pass",
      reason: "scanned 2 added lines in 1 file, no secrets; suppressed 1 inline",
    });
    const other = SECRET_RULES.find((r) => r.id === "github-pat")?.samples.tp[0] ?? "";
    const fresh = await grade(base, { "fixtures.txt": `${AWS_LINE} # gitleaks:allow\n${other} # gitleaks:allow\n` }, { scope: "files" });
    expect(rules(fresh)).toEqual([["github-pat", "fixtures.txt"]]);
  });
});
