// A repository at the held-out stage for evaluateHeldOut tests: a real spec read by loki's intake (a
// local file, or an issue from a fake tracker), its held-out items committed to ~/.loki, and a
// scripted judge standing in for the model (it answers one status for every item it is shown).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Config } from "../../src/core/config.ts";
import type { Spec } from "../../src/core/schema.ts";
import { ensureWorkspace, workspaceAt, type Workspace } from "../../src/core/workspace.ts";
import type { HeldoutInput } from "../../src/review/heldout-eval.ts";
import type { ReviewAgent } from "../../src/review/agent.ts";
import { assignIds } from "../../src/spec/checklist.ts";
import { commitHeldOut, selectHeldOut } from "../../src/spec/heldout.ts";
import { readSpec } from "../../src/spec/read.ts";
import { startFakeTracker, trackerConfig } from "../helpers/fake-tracker.ts";
import { subjectOf } from "../helpers/subject.ts";
import { git, tmpdir, type TmpDir } from "../helpers/tmp.ts";

export const RUN_ID = "run-heldout";

export type Judge = ReviewAgent & { prompts: string[] };

/** Answers `status` for every `- [id]` line of the prompt it is given; records every prompt. */
export function scriptedJudge(status: "pass" | "fail" = "pass"): Judge {
  const prompts: string[] = [];
  return {
    parallel: () => false,
    prompts,
    call: async (req) => {
      prompts.push(req.prompt);
      const ids = [...req.prompt.matchAll(/^- \[([^\]]+)\]/gm)].map((m) => m[1]);
      const answer = {
        verdict: status === "pass" ? "APPROVE" : "REJECT",
        findings: [],
        items: ids.map((id) => ({ id, status, evidence: "math.js:1" })),
      };
      return {
        ok: true,
        finalText: `\`\`\`json\n${JSON.stringify(answer)}\n\`\`\``,
        costUsd: 0,
        transcript: "judge.jsonl",
        provider: "scripted",
        model: "scripted",
        errorClass: null,
      };
    },
  };
}

/**
 * A spec of `total` acceptance items whose held-out ones carry `commands`, in selection order (ids
 * hash the item text only, so the selection is known before the spec is written). No command may
 * contain a backtick: the item format ends the command at the first one.
 */
export function specWithHeldOutCommands(commands: readonly string[], total: number): string {
  const texts = Array.from({ length: total }, (_, i) => `Requirement number ${i + 1} holds`);
  const held = selectHeldOut(assignIds(texts.map((text) => ({ text, kind: "acceptance" as const }))));
  if (held.length < commands.length) throw new Error(`only ${held.length} of ${total} items are held out`);
  const command = new Map(held.map((item, index) => [item.text, commands[index]]));
  const lines = texts.map((text) =>
    command.get(text) === undefined ? `- [ ] ${text}` : `- [ ] ${text} (verify: \`${command.get(text)}\`)`,
  );
  return `# Held-out fixture\n\n## Acceptance criteria\n${lines.join("\n")}\n`;
}

export type HeldoutRepo = TmpDir & {
  ws: Workspace;
  spec: Spec;
  input: (judge: ReviewAgent, extra?: Partial<HeldoutInput>) => HeldoutInput;
  trust: { kind: string; data: Record<string, unknown> }[];
};

/** A committed repo (src/x.js, math.js, prd.md) whose spec is `prd.md`, read from the file; `prd` may
 *  depend on where the repo is (a command naming a path in it). */
export async function localSpecRepo(prd: string | ((root: string) => string)): Promise<HeldoutRepo> {
  const dir = await tmpdir({
    commit: true,
    files: { "src/x.js": "export const x = 1;\n", "math.js": "export const add = (a, b) => a + b;\n" },
  });
  dir.write("prd.md", typeof prd === "string" ? prd : prd(dir.path));
  git(dir.path, ["add", "-A"]);
  git(dir.path, ["commit", "-qm", "spec"]);
  return atHeldOut(dir, await readSpec("prd.md", { cwd: dir.path, config: Config.parse({}), env: {} }));
}

/** A committed repo whose spec is GitHub issue acme/rocket#12 (served by a fake tracker), with `body`. */
export async function issueSpecRepo(body: string): Promise<HeldoutRepo> {
  await using tracker = await startFakeTracker();
  tracker.route("GET", "/repos/acme/rocket/issues/12", {
    json: { title: "Math helpers", body, labels: [], html_url: "https://github.com/acme/rocket/issues/12" },
  });
  const dir = await tmpdir({
    commit: true,
    files: { "src/x.js": "export const x = 1;\n", "math.js": "export const add = (a, b) => a + b;\n" },
  });
  const spec = await readSpec("acme/rocket#12", {
    cwd: dir.path,
    config: trackerConfig({ github: { api_url: tracker.url } }),
    env: { GITHUB_TOKEN: "ghp_fixture" },
  });
  return atHeldOut(dir, spec);
}

function atHeldOut(dir: TmpDir, spec: Spec): HeldoutRepo {
  const ws = workspaceAt(dir.path);
  ensureWorkspace(ws);
  commitHeldOut(ws, RUN_ID, spec.items);
  const trust: HeldoutRepo["trust"] = [];
  const head = git(dir.path, ["rev-parse", "HEAD"]).trim();
  const input = (judge: ReviewAgent, extra: Partial<HeldoutInput> = {}): HeldoutInput => ({
    ws,
    runId: RUN_ID,
    iteration: 1,
    change: subjectOf([], { root: dir.path, base: head, head, includesWorktree: false }),
    spec,
    agent: judge,
    trust: (kind, data) => trust.push({ kind, data }),
    ...extra,
  });
  return { ...dir, ws, spec, input, trust };
}

/** Commits a change so the tree differs from the one judged. */
export function commitChange(repo: HeldoutRepo, rel: string, text: string): void {
  mkdirSync(join(repo.path, rel, ".."), { recursive: true });
  writeFileSync(join(repo.path, rel), text);
  git(repo.path, ["add", "-A"]);
  git(repo.path, ["commit", "-qm", `change ${rel}`]);
}
