// Shared test data for the provider tests: real CLI output samples and real `--help` texts (copied
// from the research probes into tests/fixtures/), parsed the way the loop will parse them.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseHelpFlags } from "../../src/providers/help.ts";
import type { CallExit } from "../../src/providers/outcome.ts";
import type { HelpInfo, InvocationRequest, Provider, ProviderEvent } from "../../src/providers/provider.ts";

const FIXTURES = join(import.meta.dir, "..", "fixtures");

export function sampleText(name: string): string {
  return readFileSync(join(FIXTURES, "provider-samples", name), "utf8");
}

/** Every event of a sample file, line by line, as the loop would collect them. */
export function parseSample(provider: Provider, name: string): ProviderEvent[] {
  return sampleText(name)
    .split("\n")
    .flatMap((line) => provider.parse(line));
}

/** The last line of a sample whose JSON `type` is `type`, as a mutable object. */
export function sampleEvent(name: string, type: string): Record<string, unknown> {
  const lines = sampleText(name)
    .split("\n")
    .filter((l) => l.trim() !== "");
  const found = lines.map((l) => JSON.parse(l) as Record<string, unknown>).findLast((e) => e.type === type);
  if (!found) throw new Error(`${name} has no ${type} line`);
  return found;
}

export function helpText(name: string): string {
  return readFileSync(join(FIXTURES, "help", name), "utf8");
}

export function helpFrom(name: string, version = "1.0.0"): HelpInfo {
  return { version, flags: parseHelpFlags(helpText(name)) };
}

export const NO_HELP: HelpInfo = { version: null, flags: new Set() };

export function exitWith(exitCode: number | null, extra: Partial<CallExit> = {}): CallExit {
  return { exitCode, timedOut: false, signal: null, spawnError: null, durationMs: 1234, ...extra };
}

export function request(overrides: Partial<InvocationRequest> = {}): InvocationRequest {
  return {
    prompt: "Implement the checklist.",
    model: "m-1",
    role: "build",
    cwd: "/work/repo",
    scratchDir: "/scratch/run-1",
    denyRead: [],
    allowRoot: false,
    ...overrides,
  };
}
