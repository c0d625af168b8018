// Reason, the first phase of an iteration: render the build prompt from the visible items, the last
// checks' failures, past failures, learnings and (opted-in) human input; keep it as prompt.md.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeJson } from "../core/workspace.ts";
import { GivenMemories } from "../core/run-schema.ts";
import { safeFor } from "../memory/episodes.ts";
import { defaultScope } from "../memory/query.ts";
import { memoryForPrompt } from "../memory/recall.ts";
import { promptLearnings } from "./continuity.ts";
import type { LoopEnv } from "./env.ts";
import { renderPrompt, type RenderedPrompt } from "./prompt.ts";
import { takeHumanInput } from "./signals.ts";
import { skillsFor } from "./skills.ts";
import { multiServiceReason } from "../app/contract.ts";
import { beginTask } from "./tasks.ts";

/** What the build agent sees of the spec: its title, summary and visible items (never a held-out one). */
export function visibleTexts(env: Pick<LoopEnv, "spec" | "visible">): string[] {
  return [env.spec.title, env.spec.summary ?? "", ...env.visible.map((item) => item.text)];
}

export function reason(env: LoopEnv, dir: string): RenderedPrompt {
  const { record } = env;
  const n = record.state.iteration;
  const human = takeHumanInput(record.ws, env.env, n);
  if (human && "refused" in human) record.emit({ kind: "warning", message: human.refused });
  // Memory, read once: never an episode from a run that could see an item this run holds out.
  const visibleIds = new Set(env.visible.map((item) => item.id));
  const keep = safeFor(env.spec.items.filter((item) => !visibleIds.has(item.id)).map((item) => item.text));
  const scope = defaultScope(record.ws, env.config.memory.global);
  const { memories, pastFailures } = memoryForPrompt(scope, visibleTexts(env).join("\n"), record.state.run_id, { keep });
  // What this prompt was given, verbatim, for the dashboard's feed (written even when empty: the
  // iteration directory may hold an earlier run's file).
  writeJson(record.ws.memoriesGiven(n), GivenMemories, { iteration: n, memories }, "process");
  const brief = beginTask(env);
  // The checklist as one task is today's prompt: a task section and a role module only for a planned task.
  const planned = brief && brief.task.origin !== "checklist" ? brief : null;
  const rendered = renderPrompt({
    spec: { title: env.spec.title, ...(env.spec.summary ? { summary: env.spec.summary } : {}) },
    items: env.visible,
    heldOutCount: env.heldOutCount,
    iteration: n,
    maxIterations: record.state.caps.max_iterations,
    feedback: record.state.feedback,
    pastFailures,
    memories,
    ...(human && "text" in human ? { humanInput: human.text } : {}),
    learnings: promptLearnings(record.ws),
    skills: skillsFor("build", "build", undefined, {
      multi_service: multiServiceReason(visibleTexts(env)) !== null,
      ...(planned ? { task_role: planned.task.role } : {}),
    }),
    ...(planned
      ? {
          task: {
            id: planned.task.id,
            title: planned.task.title,
            items: planned.task.items,
            size: planned.task.size,
            attempts: planned.task.attempts,
            escalate: planned.escalate,
            failures: planned.task.failures,
            done: planned.done,
            total: planned.total,
            architecture: planned.architecture,
          },
        }
      : {}),
  });
  writeFileSync(join(dir, "prompt.md"), `${rendered.system}\n\n---\n\n${rendered.prompt}`, { mode: 0o600 });
  record.emit({
    kind: "prompt_built",
    bytes: Buffer.byteLength(rendered.system) + Buffer.byteLength(rendered.prompt),
    items: env.visible.length,
    // Which memories this prompt was given: the proof of what memory did starts here.
    ...(memories.length > 0 ? { memories: memories.map((m) => m.id) } : {}),
  });
  return rendered;
}
