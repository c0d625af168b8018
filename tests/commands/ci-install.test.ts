// `loki ci install`: writes the workflow and the CI key pair, says what to set, keeps its key when run
// again, never replaces a workflow it did not write, and refuses settings that cannot go into YAML.
import { describe, expect, test } from "bun:test";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { workflowKey } from "../../src/deliver/ci-workflow.ts";
import { loki } from "../helpers/cli.ts";
import { git, tmpdir } from "../helpers/tmp.ts";

async function repo(origin = "https://github.com/acme/shop.git") {
  const dir = await tmpdir({ commit: true });
  git(dir.path, ["remote", "add", "origin", origin]);
  return dir;
}

const workflow = (dir: string) => readFileSync(join(dir, ".github", "workflows", "loki.yml"), "utf8");

describe("loki ci install", () => {
  test("writes the workflow with the CI key's public half, the key pair in ~/.loki/ci, and the steps to take", async () => {
    await using dir = await repo();
    const result = await loki(["ci", "install", "--json"], { cwd: dir.path });
    expect(result.code, result.stderr).toBe(0);
    const out = result.json<{
      created: boolean;
      repo: string;
      key: { fingerprint: string; public_key: string; private_key_file: string };
      steps: string[];
    }>();
    expect(out).toMatchObject({ created: true, repo: "acme/shop" });
    const keyFile = out.key.private_key_file;
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const pub = String(createPublicKey(createPrivateKey(readFileSync(keyFile, "utf8"))).export({ type: "spki", format: "pem" }));
    expect(workflowKey(workflow(dir.path))).toBe(pub);
    expect(out.key.public_key).toBe(pub);
    expect(readFileSync(keyFile.replace(/\.key$/, ".pub"), "utf8")).toBe(pub);
    expect(out.steps[0]).toContain(`gh secret set LOKI_SIGNING_KEY --repo acme/shop < ${keyFile}`);
    expect(out.steps.join("\n")).toContain("gh secret set ANTHROPIC_API_KEY --repo acme/shop");
    expect(out.steps.join("\n")).toContain('gh label create "loki"');
    expect(workflow(dir.path)).toContain("--budget 5 --max-duration 45m");
  });

  test("run again: new settings, the same key — even once the key file is gone (the secret holds it); --new-key rotates", async () => {
    await using dir = await repo();
    const first = (await loki(["ci", "install", "--json"], { cwd: dir.path })).json<{
      key: { fingerprint: string; private_key_file: string };
    }>();
    const again = await loki(
      ["ci", "install", "--provider", "codex", "--budget", "2.5", "--max-duration", "90m", "--label", "needs loki", "--json"],
      {
        cwd: dir.path,
      },
    );
    expect(again.code, again.stderr).toBe(0);
    expect(again.json<{ key: { fingerprint: string } }>().key.fingerprint).toBe(first.key.fingerprint);
    const text = workflow(dir.path);
    expect(text).toContain("@openai/codex");
    expect(text).toContain("OPENAI_API_KEY: ${{ secrets.OPENAI_API_KEY }}");
    expect(text).toContain("--budget 2.5 --max-duration 90m");
    expect(text).toContain("github.event.label.name == 'needs loki'");
    expect(text).toContain("timeout-minutes: 105");

    Bun.spawnSync(["rm", first.key.private_key_file], { env: { PATH: process.env.PATH } });
    const kept = await loki(["ci", "install", "--json"], { cwd: dir.path });
    const keptOut = kept.json<{ key: { fingerprint: string; private_key_file: string | null }; steps: string[] }>();
    expect(keptOut.key).toMatchObject({ fingerprint: first.key.fingerprint, private_key_file: null });
    expect(keptOut.steps[0]).toContain("already set");

    const rotated = (await loki(["ci", "install", "--new-key", "--json"], { cwd: dir.path })).json<{ key: { fingerprint: string } }>();
    expect(rotated.key.fingerprint).not.toBe(first.key.fingerprint);
  });

  test("a loki.yml loki did not write is kept unless --force", async () => {
    await using dir = await repo();
    const path = dir.write(".github/workflows/loki.yml", "name: loki verify\non: pull_request\n");
    const refused = await loki(["ci", "install"], { cwd: dir.path });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("loki did not write it");
    expect(refused.stderr).toContain("loki-verify.yml");
    expect(readFileSync(path, "utf8")).toBe("name: loki verify\non: pull_request\n");
    expect((await loki(["ci", "install", "--force"], { cwd: dir.path })).code).toBe(0);
    expect(workflow(dir.path)).toContain("loki ci deliver");
  });

  test("settings that cannot be written, and a provider that does not install from npm: exit 3, nothing written", async () => {
    await using dir = await repo("https://github.com/acme/refused.git");
    for (const [args, message] of [
      [["--label", "x'y"], "no quotes"],
      [["--runner", "windows-latest"], "needs Linux"],
      [["--max-duration", "2m"], "between 5 and 330"],
      [["--provider", "aider"], "does not install from npm"],
      [["--budget", "0"], "--budget"],
    ] as const) {
      const result = await loki(["ci", "install", ...args], { cwd: dir.path });
      expect(result.code, args.join(" ")).toBe(3);
      expect(result.stderr).toContain(message);
    }
    expect(existsSync(join(dir.path, ".github"))).toBe(false);
    expect(existsSync(join(process.env.HOME ?? "", ".loki", "ci", "acme-refused.key")), "no key made for a workflow not written").toBe(
      false,
    );
  });

  test("outside a git repository: exit 3 naming what to do", async () => {
    await using dir = await tmpdir();
    writeFileSync(join(dir.path, "x"), "");
    const result = await loki(["ci", "install"], { cwd: dir.path });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/git/);
  });
});
