// docs/scale-out.md's recipes run as written: each YAML block parses, and every flag its `loki ci`
// lines pass is one the command has (checked against the real CLI's --help).
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { loki } from "../helpers/cli.ts";

const ROOT = join(import.meta.dir, "..", "..");
const doc = readFileSync(join(ROOT, "docs", "scale-out.md"), "utf8");
const blocks = [...doc.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1] ?? "", text: m[2] ?? "" }));

describe("docs/scale-out.md", () => {
  test("has the GitLab CI and Kubernetes Job recipes, and each YAML block parses", () => {
    const yaml = blocks.filter((b) => b.lang === "yaml");
    expect(yaml.map((b) => b.text.split("\n")[0])).toEqual([
      "# .gitlab-ci.yml",
      "# loki-issue-7.yaml — kubectl apply -f loki-issue-7.yaml",
    ]);
    for (const block of yaml) for (const parsed of parseAllDocuments(block.text)) expect(parsed.errors).toEqual([]);
    type Container = { name: string; env?: { name: string }[]; volumeMounts?: { name: string }[] };
    const job = parseAllDocuments(yaml[1]?.text ?? "")[0]?.toJS() as {
      kind: string;
      spec: { template: { spec: { initContainers: Container[]; containers: Container[] } } };
    };
    expect(job.kind).toBe("Job");
    const pod = job.spec.template.spec;
    expect(pod.initContainers.map((c) => c.name)).toEqual(["key", "build"]);
    // The signing key's secret is mounted by the one container that runs no agent; no container gets it as env.
    const all = [...pod.initContainers, ...pod.containers];
    expect(all.filter((c) => c.volumeMounts?.some((m) => m.name === "signing")).map((c) => c.name)).toEqual(["key"]);
    expect(all.flatMap((c) => c.env ?? []).map((e) => e.name)).not.toContain("LOKI_SIGNING_KEY");
  });

  test("every `loki ci` line passes only flags the command has", async () => {
    const lines = doc.match(/loki ci (?:build|deliver) [^\n`]*/g) ?? [];
    expect(lines.length).toBeGreaterThanOrEqual(4);
    const help: Record<string, string> = {};
    for (const sub of ["build", "deliver"]) help[sub] = (await loki(["ci", sub, "--help"], { cwd: ROOT })).stdout;
    for (const line of lines) {
      const sub = line.split(" ")[2] ?? "";
      for (const flag of line.match(/(?<=\s)--[a-z-]+/g) ?? []) expect(help[sub], `${flag} in: ${line}`).toContain(flag);
    }
  });
});
