// The settings `loki ci install` renders its workflow from by default (claude), for tests that read or
// run that workflow: one place, so every test checks the same file a user gets.
import type { WorkflowSettings } from "../../src/deliver/ci-workflow.ts";

export function claudeWorkflow(publicKeyPem: string, overrides: Partial<WorkflowSettings> = {}): WorkflowSettings {
  return {
    lokiVersion: "0.1.0",
    provider: "claude",
    providerPackages: ["@anthropic-ai/claude-code"],
    providerSecret: "ANTHROPIC_API_KEY",
    label: "loki",
    budgetUsd: 5,
    maxDurationMinutes: 45,
    runner: "ubuntu-latest",
    publicKeyPem,
    ...overrides,
  };
}
