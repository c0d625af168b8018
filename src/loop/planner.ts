// The planning pass at run start (standard and complex specs, or planner.mode on): one read-only,
// sandboxed call at the planning tier, in its own review copy, that sees the visible items only and
// answers with an architecture note and a task graph. An unusable answer is asked for once more, then
// the run works the checklist as one task, with a warning: planning never stalls a run.
import { lstatSync, mkdirSync, rmSync, type Stats, writeFileSync } from "node:fs";
import { join } from "node:path";
import { messageOf } from "../core/errors.ts";
import { commitPaths, git, headSha } from "../core/git.ts";
import { readQueue, writeNewQueue } from "../core/queue.ts";
import type { QueuePlan, Task } from "../core/queue-schema.ts";
import { SCHEMA_VERSION } from "../core/schema.ts";
import { findSecrets } from "../core/secrets/detect.ts";
import { readStartSnapshot } from "../gates/unseen.ts";
import { plannerRuns } from "../plan/planner-policy.ts";
import { checklistTask, parsePlanAnswer } from "../plan/tasks.ts";
import { inReviewTrees } from "../review/review-tree.ts";
import { renderItems } from "../spec/items.ts";
import type { LoopEnv } from "./env.ts";
import { reviewAgent } from "./review-agent.ts";
import { skillsFor } from "./skills.ts";
import { trust } from "./trust-sink.ts";
import { heldOutNamer } from "./heldout-seal.ts";
import { specPaths } from "../sandbox/spec-paths.ts";
import { visibleTexts } from "./reason.ts";

export const ARCHITECTURE_NOTE = "docs/architecture.md";
const EXISTING_NOTES = ["docs/architecture.md", "ARCHITECTURE.md", "docs/ARCHITECTURE.md", "architecture.md"];
const MAX_LISTED_FILES = 200;

/** The run's queue, made once (a resume finds it on disk): by the planner, its fallback, or the checklist. */
export async function ensureQueue(env: LoopEnv): Promise<void> {
  const { record } = env;
  if (readQueue(record.ws, record.state.run_id)) return;
  const visibleIds = env.visible.map((item) => item.id);
  const limits = { escalate_after: env.config.planner.escalate_after, dead_letter_after: env.config.planner.dead_letter_after };
  const base = {
    schema_version: SCHEMA_VERSION,
    run_id: record.state.run_id,
    created_at: new Date().toISOString(),
    replans: [],
    ...limits,
  };
  // Planning happens before the first iteration only: a run resumed past it (one started by an older
  // loki) never plans, and never moves its base over work already done.
  const midRun = record.state.iteration > 0;
  if (midRun || !plannerRuns(env.config.planner.mode, env.spec.complexity.tier)) {
    const plan: QueuePlan = {
      ...base,
      source: "checklist",
      note: midRun ? "resumed without a queue: no planning pass mid-run" : `${env.spec.complexity.tier} spec: no planning pass`,
      architecture: null,
      calls: 0,
    };
    writeNewQueue(record.ws, plan, [checklistTask(visibleIds)]);
    record.emit({ kind: "plan_made", source: "checklist", tasks: 1, calls: 0, architecture: null, note: plan.note });
    return;
  }
  record.save({ phase: "plan" });
  const planned = await planningPass(env, visibleIds);
  // Stopped mid-plan: no queue is written, so a resume plans again (the loop ends on the interruption).
  if (env.signal.aborted) return;
  const tasks: Task[] = planned.ok ? planned.tasks : [checklistTask(visibleIds)];
  const architecture = planned.ok && planned.architecture ? await writeArchitecture(env, planned.architecture) : null;
  const note = planned.ok ? planned.notes.join("; ") || undefined : planned.reason;
  const plan: QueuePlan = {
    ...base,
    source: planned.ok ? "planner" : "fallback",
    ...(note ? { note } : {}),
    architecture,
    calls: planned.calls,
  };
  writeNewQueue(record.ws, plan, tasks);
  record.emit({
    kind: "plan_made",
    source: plan.source,
    tasks: tasks.length,
    calls: planned.calls,
    architecture: architecture?.path ?? null,
    ...(note ? { note } : {}),
  });
  if (!planned.ok) {
    record.emit({ kind: "warning", message: `planner: no usable plan (${planned.reason}); working the checklist as one task` });
    env.notice(`planner: no usable plan (${planned.reason}); working the checklist as one task`);
  }
}

type Planned =
  | { ok: true; architecture: string; tasks: Task[]; notes: string[]; calls: number }
  | { ok: false; reason: string; calls: number };

/** At most two calls: the first answer, and one more when it was unusable (not when the budget or a mutation stopped it). */
async function planningPass(env: LoopEnv, visibleIds: string[]): Promise<Planned> {
  const prompt = await planPrompt(env);
  const dir = env.record.ws.planningDir;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, "prompt.md"), prompt, { mode: 0o600 });
  let reason = "";
  for (let call = 1; call <= 2; call++) {
    const asked =
      call === 1
        ? prompt
        : `${prompt}\n\n## Your previous answer was unusable\n${reason}\nAnswer again, with exactly one fenced json block as described.\n`;
    const answer = await askPlanner(env, asked, call);
    if ("stop" in answer) return { ok: false, reason: answer.stop, calls: call };
    const parsed = parsePlanAnswer(answer.text, visibleIds);
    // The planner never sees a held-out item; a plan that names one anyway is not used, nor asked again.
    if (parsed.ok && namesHeldOut(env, parsed))
      return { ok: false, reason: "the plan names a held-out item; it was discarded", calls: call };
    if (parsed.ok) return { ...parsed, calls: call };
    reason = parsed.reason;
  }
  return { ok: false, reason: `the plan was unusable twice: ${reason}`, calls: 2 };
}

async function askPlanner(env: LoopEnv, prompt: string, call: number): Promise<{ text: string } | { stop: string }> {
  const system = skillsFor("plan", "plan")
    .map((s) => s.body)
    .join("\n\n");
  const label = call === 1 ? "planner" : "planner-retry";
  const root = env.record.ws.root;
  const [isolated] = await inReviewTrees(root, [label], false, (name, cwd) =>
    reviewAgent(env).call({
      role: "plan",
      phase: "reason",
      label: name,
      prompt,
      systemPrompt: system,
      cwd,
      transcriptDir: "planning",
      hidden: plannerHidden(env, cwd),
    }),
  );
  if (!isolated) return { stop: "the planner did not run" };
  if (isolated.mutation) {
    trust(env.record, "reviewer_mutation", { role: "plan", detail: isolated.mutation });
    return { stop: `the planner ${isolated.mutation}; its answer was discarded` };
  }
  const result = isolated.result;
  if (result.budgetStop) return { stop: "the run's budget stopped the planning pass" };
  if (!result.ok) return { stop: `the planning call failed (${result.errorClass ?? "error"})` };
  return { text: result.finalText };
}

/**
 * What the planner must not read besides what no call reads: the spec file (it names the held-out
 * items), in the repository and in its copy, and git — whose objects hold every committed spec.
 */
function plannerHidden(env: LoopEnv, copy: string): string[] {
  const root = env.record.ws.root;
  return [
    ...specPaths(env.spec.source.path, [root, copy]),
    join(root, ".git"),
    ...(env.sandbox?.gitCommonDir ? [env.sandbox.gitCommonDir] : []),
  ];
}

/** Whether the plan's note or a task's title names a held-out item (loki reveals them to check); with
 *  items held out and none revealable, every plan does (fail closed). */
function namesHeldOut(env: LoopEnv, plan: { architecture: string; tasks: Task[] }): boolean {
  if (env.heldOutCount === 0) return false;
  const names = heldOutNamer(env.record.ws, env.record.state.run_id, visibleTexts(env));
  return names === null || [plan.architecture, ...plan.tasks.map((t) => t.title)].some(names);
}

async function planPrompt(env: LoopEnv): Promise<string> {
  const files = await git(["ls-files", "-z"], { cwd: env.record.ws.root, timeoutMs: 30_000 });
  const listed = files.ok ? files.stdout.split("\0").filter(Boolean) : [];
  const shown = listed.slice(0, MAX_LISTED_FILES);
  const hidden = env.heldOutCount > 0 ? `; ${env.heldOutCount} more are held out and checked at the end` : "";
  return [
    `# Plan: ${env.spec.title}`,
    ...(env.spec.summary ? ["", env.spec.summary] : []),
    "",
    `## Acceptance items (${env.visible.length} shown${hidden})`,
    renderItems(env.visible),
    "",
    `## Repository (${listed.length} tracked files${listed.length > shown.length ? `; the first ${shown.length}` : ""})`,
    shown.length > 0 ? shown.map((f) => `- ${f}`).join("\n") : "(empty: this is a new project)",
    "",
  ].join("\n");
}

/**
 * Commits the note as docs/architecture.md when the repository has none, then moves the run's base to
 * that commit: loki's own file is never graded as the agent's work (an empty diff stays empty). Only
 * on the run's start commit (HEAD unmoved), only into a real docs/ directory of the repository (never
 * through a symlink), only a new file; a note that holds what looks like a secret is not written.
 */
async function writeArchitecture(env: LoopEnv, text: string): Promise<QueuePlan["architecture"]> {
  const { record } = env;
  const root = record.ws.root;
  const bytes = Buffer.byteLength(text);
  const existing = EXISTING_NOTES.find((path) => present(join(root, path)));
  if (existing) return { path: existing, sha: null, bytes };
  const skip = (why: string) => {
    record.emit({ kind: "warning", message: `planner: architecture note not written: ${why}` });
    return null;
  };
  if (findSecrets(text).length > 0) return skip("it holds what looks like a secret");
  if ((await headSha(root)) !== record.state.start_sha) return skip("the repository moved since the run started");
  const docs = join(root, "docs");
  const docsStat = lstatOrNull(docs);
  if (docsStat && !docsStat.isDirectory()) return skip("docs/ is not a directory");
  if (!docsStat) mkdirSync(docs);
  const note = join(root, ARCHITECTURE_NOTE);
  let sha: string;
  try {
    // wx: a new file or nothing — never through a link planted since the check above.
    writeFileSync(note, `${text}\n`, { flag: "wx" });
  } catch (error) {
    if (!docsStat) rmSync(docs, { recursive: true, force: true });
    return skip(messageOf(error));
  }
  try {
    sha = await commitPaths(root, [ARCHITECTURE_NOTE], "loki: architecture note (planning pass)");
  } catch (error) {
    // An ignored docs/ (or a failing commit) keeps the note out of the repository, and the tree as it was.
    rmSync(note, { force: true });
    if (!docsStat) rmSync(docs, { recursive: true, force: true });
    return skip(`not committed: ${messageOf(error)}`);
  }
  record.save({ start_sha: sha, git_snapshot: await readStartSnapshot(root, sha) });
  return { path: ARCHITECTURE_NOTE, sha, bytes };
}

/** Whether anything is at `path` — a dangling symlink counts (existsSync would follow it and say no). */
function present(path: string): boolean {
  return lstatOrNull(path) !== null;
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}
