// One provider call: build the invocation, spawn the CLI (own process group, stdin closed, wall and
// idle timeouts), keep its raw stdout as the transcript, parse events, and summarize the outcome.
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { run } from "../core/exec.ts";
import { summarizeCall, type CallOutcome } from "./outcome.ts";
import type { HelpInfo, InvocationRequest, Provider, ProviderEvent } from "./provider.ts";

export type CallRequest = InvocationRequest & {
  binaryPath: string;
  help: HelpInfo;
  /** iterations/<n>/agent.jsonl: the raw stream, appended line by line. */
  transcript: string;
  timeoutMs: number;
  idleTimeoutMs: number;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
  onEvent?: (event: ProviderEvent) => void;
  onSpawn?: (pid: number) => void;
  /** Puts the final argv/env in loki's OS sandbox (the loop builds it per role); absent = unsandboxed. */
  wrap?: (argv: string[], env: Record<string, string | undefined>) => { argv: string[]; env: Record<string, string | undefined> };
};

export type CallResult = CallOutcome & { exitCode: number | null; stderrTail: string };

export async function callProvider(provider: Provider, req: CallRequest): Promise<CallResult> {
  provider.prepare?.(req);
  const invocation = provider.invocation(req, req.help);
  const plain = { argv: [req.binaryPath, ...invocation.argv.slice(1)], env: { ...req.env, ...invocation.env } };
  const { argv, env } = req.wrap ? req.wrap(plain.argv, plain.env) : plain;
  mkdirSync(dirname(req.transcript), { recursive: true });
  const events: ProviderEvent[] = [];
  const exec = await run(argv, {
    cwd: req.cwd,
    env,
    timeoutMs: req.timeoutMs,
    idleTimeoutMs: req.idleTimeoutMs,
    signal: req.signal,
    onSpawn: req.onSpawn,
    maxOutputBytes: 64 * 1024 * 1024,
    onLine: (line, stream) => {
      if (stream !== "stdout") return;
      appendFileSync(req.transcript, `${line}\n`);
      for (const event of provider.parse(line)) {
        events.push(event);
        req.onEvent?.(event);
      }
    },
  });
  const outcome = summarizeCall(events, exec, req.model, provider);
  return { ...outcome, exitCode: exec.exitCode, stderrTail: exec.stderr.split("\n").slice(-20).join("\n") };
}
