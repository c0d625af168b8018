// A task and a queue plan for tests that lay a run's queue down themselves (status, dashboard, proof,
// core/queue): the fields every such test needs, and whatever it overrides.
import type { QueuePlan, Task } from "../../src/core/queue-schema.ts";

export function testTask(id: string, title = `Task ${id}`, over: Partial<Task> = {}): Task {
  return { id, title, items: [], deps: [], size: "M", role: "backend", origin: "plan", attempts: 0, failures: [], ...over };
}

export function testPlan(runId: string, over: Partial<QueuePlan> = {}): QueuePlan {
  return {
    schema_version: 1,
    run_id: runId,
    source: "planner",
    created_at: "2026-01-01T12:00:00.000Z",
    architecture: null,
    calls: 1,
    replans: [],
    escalate_after: 3,
    dead_letter_after: 5,
    ...over,
  };
}
