// Gate "build": runs the project's build command (detected, or loki.yaml `verify.build`). A red build
// blocks; a timeout, a build that cannot start or a checkout that is not the graded commit is
// inconclusive, never a pass. No build command is a skip naming the setting to add, not a silent green.
import { run } from "../core/exec.ts";
import { commandArgv, envTimeoutMs, shownCommand } from "./command-run.ts";
import { fingerprint, type Gate, type GateOutcome, inconclusive, projectArgv } from "./gate.ts";
import { worktreeDrift } from "./tests.ts";

const DEFAULT_TIMEOUT_MS = 10 * 60_000;
// Compilers print a lot; keep enough for the digest without holding a whole log in memory.
const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

export const buildGate: Gate = {
  id: "build",
  title: "Build succeeds",
  when: ({ project }) => (project.build !== null ? true : "no build command detected (set verify.build)"),
  run: async ({ subject, project, signal, confine }) => {
    const command = project.build;
    if (command === null) return inconclusive("no build command detected (set verify.build)");
    const drift = await worktreeDrift(subject);
    if (drift !== null) return inconclusive(drift);
    const shown = `\`${shownCommand(command)}\``;
    const timeoutMs = envTimeoutMs("LOKI_BUILD_TIMEOUT_MS", DEFAULT_TIMEOUT_MS);
    const { argv, env } = commandArgv(command, subject.root);
    const result = await run(await projectArgv({ confine }, argv, subject.root), {
      cwd: subject.root,
      timeoutMs,
      env: { ...env, CI: "true" },
      signal,
      maxOutputBytes: MAX_OUTPUT_BYTES,
    });
    const details = { command: shownCommand(command), source: command.source, exit_code: result.exitCode, duration_ms: result.durationMs };
    if (signal?.aborted) return inconclusive("cancelled while the build ran", details);
    if (result.spawnError !== null) return inconclusive(`could not start ${shown}: ${result.spawnError}`, details);
    if (result.timedOut)
      return inconclusive(
        `build timed out after ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)}s`} (${shown}; raise LOKI_BUILD_TIMEOUT_MS)`,
        details,
      );
    // The shell's "command not found": the build tool is missing, which says nothing about the code.
    if (result.exitCode === 127)
      return inconclusive(`${shown} could not find its build tool: ${result.digest.split("\n")[0] ?? ""}`, details);
    if (result.exitCode !== 0) {
      const why = result.signal ? `killed by ${result.signal}` : `exit code ${result.exitCode}`;
      const message = `build failed: ${shown} ${why}`;
      const finding = {
        severity: "high" as const,
        message,
        rule: "build-failed",
        fingerprint: fingerprint("build-failed", undefined, command.argv.join(" ")),
      };
      return { status: "fail", reason: message, findings: [finding], digest: result.digest, details };
    }
    return { status: "pass", reason: `${shown} succeeded — ${command.source}`, findings: [], details };
  },
};
