// The loop's inputs and result: everything runLoop and runIteration need, injected (clock,
// providers, signals) so the state machine itself does no hidden I/O setup. Types only.
import type { Config, ProviderId } from "../core/config.ts";
import type { Spec } from "../core/schema.ts";
import type { Outcome } from "../core/run-schema.ts";
import type { HelpInfo, Provider } from "../providers/provider.ts";
import type { SandboxAvailability } from "../sandbox/detect.ts";
import type { RunRecord } from "./run-state.ts";
import type { ShipStage } from "./ship.ts";

/** The run's sandbox, decided before any spend (run/prepare.ts); null = unsandboxed (--no-sandbox). */
export type RunSandbox = SandboxAvailability & { gitCommonDir: string | null };

export type Clock = { now: () => number; sleep: (ms: number, signal?: AbortSignal) => Promise<void>; random: () => number };
export type ReadyProvider = { provider: Provider; binaryPath: string; help: HelpInfo };

export type LoopEnv = {
  record: RunRecord;
  config: Config;
  spec: Spec;
  visible: { id: string; text: string }[];
  heldOutCount: number;
  stages: readonly ShipStage[];
  providers: Map<ProviderId, ReadyProvider>;
  denyRead: string[];
  allowRoot: boolean;
  sandbox: RunSandbox | null;
  env: Record<string, string | undefined>;
  signal: AbortSignal;
  clock: Clock;
  notice: (line: string) => void;
  /** Each tool call the build agent makes, as it streams (the live status line shows the latest). */
  onToolCall?: (call: ToolCall) => void;
  /** The Live App Preview (run/preview.ts), when the run starts the app: down while loki grades, up after. */
  app?: AppHooks;
};

export type AppHooks = { beforeGrading: () => Promise<void>; afterIteration: (changed: boolean) => Promise<void> };

export type ToolCall = { tool: string; input?: unknown };

export type LoopResult = { outcome: Outcome; reason: string };
