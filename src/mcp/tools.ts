// The default six tools of the MCP server (`loki mcp`): status, start, events, verify, proof, stop — each
// a thin call of loki's own pipeline, with zod-checked input and annotations saying what it touches.
import { z } from "zod";
import { LIVE_STATUSES } from "../core/session-schema.ts";
import { readStatus } from "../run/status.ts";
import { callLoki } from "./call.ts";
import { readEvents } from "./events.ts";
import { ToolInputError } from "./paths.ts";
import { callFailure, isErrorJson, isRecord, ok, withProgress } from "./result.ts";
import { runTarget } from "./runs.ts";
import { startRun } from "./start.ts";
import { READ, type ToolContext, type ToolDef } from "./tool-types.ts";

const VERIFY_TIMEOUT_MS = 60 * 60_000;
const STOP_TIMEOUT_MS = 60_000;
const PROOF_TIMEOUT_MS = 120_000;

const runId = z.string().max(100).optional().describe("a run id from loki_status (default: the active run)");

/** A git revision loki verify may be given: no option, no whitespace, nothing a shell would read. */
const gitRef = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9_./@{}^~:][A-Za-z0-9_./@{}^~:-]*$/, "a branch, tag or commit (no leading '-', no spaces)");

export function coreTools(ctx: ToolContext): ToolDef[] {
  const { root } = ctx;
  return [
    {
      name: "loki_status",
      description: "The repository's run and its delegated (--bg) runs: status, iteration, phase, spend, outcome, next step.",
      input: {},
      annotations: READ,
      run: async () => ok(await readStatus(root)),
    },
    {
      name: "loki_start",
      description:
        "Start a background run (own worktree and branch) from a spec file in the repo, an issue ref or a one-line brief. Returns run_id.",
      input: {
        spec: z.string().min(1).max(4000).describe("spec path, issue ref (#12, URL) or brief"),
        provider: z
          .string()
          .regex(/^[a-z][a-z0-9-]{0,30}$/)
          .optional(),
        budget_usd: z.number().positive().max(100_000).optional(),
        max_iterations: z.number().int().min(1).max(1000).optional(),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
      run: (input, extra) => withProgress(extra, "starting", () => startRun(ctx.server, root, input, extra.signal)),
    },
    {
      name: "loki_events",
      description: "Poll a run's events after a cursor (omit it to start). Returns events, the next cursor, and more=true if more wait.",
      input: {
        run_id: runId,
        cursor: z.string().max(80).optional(),
        limit: z.number().int().min(1).max(500).optional().describe("default 100"),
      },
      annotations: READ,
      run: async (input: { run_id?: string; cursor?: string; limit?: number }) => {
        const target = await runTarget(root, input.run_id);
        // Status first, then events: the state says the run ended a moment before its run_finished
        // event is written, so until the process is gone it is still stopping; once it is gone, events
        // read after that hold the end (read before, a client stopping at "completed" misses it).
        const status = await readStatus(target.ws.root);
        const page = await readEvents(target.ws, input.cursor, input.limit ?? 100, target.runId);
        const ending = status.pid_alive && ["completed", "blocked", "failed", "stopped"].includes(status.status);
        return ok({ run_id: target.runId, status: ending ? "stopping" : status.status, outcome: status.outcome, ...page });
      },
    },
    {
      name: "loki_verify",
      description:
        "Grade the diff against base with loki's deterministic gates (tests, tampering, secrets, findings). Verdict VERIFIED, CONCERNS or BLOCKED.",
      input: {
        base: gitRef.optional().describe(ctx.verify.base ? "default: the run's start commit" : "default: upstream, origin/HEAD, main"),
        uncommitted: z.boolean().optional().describe(`include uncommitted changes (default ${ctx.verify.uncommitted})`),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      run: (input: { base?: string; uncommitted?: boolean }, extra) =>
        withProgress(extra, "verifying", async () => {
          const base = input.base ?? ctx.verify.base;
          const uncommitted =
            (input.uncommitted ?? ctx.verify.uncommitted) ? ["--uncommitted", ...ctx.verify.masked.flatMap((p) => ["--masked", p])] : [];
          const argv = ["verify", "--json", ...uncommitted, ...(base ? ["--", base] : [])];
          // Checked when its turn comes, not before waiting behind another verify.
          const call = await oneAtATime(async () => {
            if (!ctx.child) await refuseDuringRun(root);
            return callLoki(argv, { cwd: root, timeoutMs: VERIFY_TIMEOUT_MS, signal: extra.signal });
          });
          if (call.code === 3 || isErrorJson(call) || !isRecord(call.json)) return callFailure(call, "loki verify");
          return ok(verdictOf(call.json));
        }),
    },
    {
      name: "loki_proof",
      description: "Check a run's signed proof: re-hash, signature, signer, diff. Status clean, or each check that failed.",
      input: { run_id: runId },
      annotations: READ,
      run: async (input: { run_id?: string }, extra) => {
        const target = await runTarget(root, input.run_id);
        const argv = ["proof", "verify", "--json", ...(target.runId ? ["--", target.runId] : [])];
        const call = await callLoki(argv, { cwd: target.ws.root, timeoutMs: PROOF_TIMEOUT_MS, signal: extra.signal });
        if (call.code === 3 || isErrorJson(call)) return callFailure(call, "loki proof verify");
        return ok({ ...(call.json as object), resource: target.runId ? `loki://runs/${target.runId}/proof` : null });
      },
    },
    {
      name: "loki_stop",
      description: "Stop a run at its next boundary; its state is kept (loki resume continues it).",
      input: { run_id: runId },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
      run: async (input: { run_id?: string }, extra) => {
        const target = await runTarget(root, input.run_id);
        if (!target.runId) throw new ToolInputError("no run here to stop; loki_status shows the runs");
        const call = await callLoki(["stop", "--json"], { cwd: target.ws.root, timeoutMs: STOP_TIMEOUT_MS, signal: extra.signal });
        if (call.code !== 0 || isErrorJson(call)) return callFailure(call, "loki stop");
        return ok(call.json);
      },
    },
  ];
}

/**
 * A run working in this checkout is graded by its own gates, its spec and held-out store hidden from the
 * tests they run. `loki verify` from here would run the tree's tests — the agent's, mid-run — on the host
 * with the spec in reach, so loki_verify waits for the run (the child set runs inside the run's sandbox).
 */
async function refuseDuringRun(root: string): Promise<void> {
  const status = await readStatus(root);
  if (status.run_id && status.pid_alive && LIVE_STATUSES.includes(status.status))
    throw new ToolInputError(
      `run ${status.run_id} is working in this checkout: its own gates grade it; loki_verify runs when it has ended (watch it with loki_events, or loki_stop it)`,
    );
}

/** A verify runs the project's whole test suite: one at a time, the rest wait their turn. */
let verifying: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(work: () => Promise<T>): Promise<T> {
  const next = verifying.then(work, work);
  verifying = next.catch(() => {});
  return next;
}

/** The evidence cut to what a caller decides on: verdict, reasons, each gate, the first findings. */
function verdictOf(evidence: Record<string, unknown>): Record<string, unknown> {
  const gates = Array.isArray(evidence.gates) ? evidence.gates.filter(isRecord) : [];
  const findings = gates.flatMap((g) => (Array.isArray(g.findings) ? g.findings.filter(isRecord).map((f) => ({ gate: g.id, ...f })) : []));
  return {
    verdict: evidence.verdict,
    exit_code: evidence.exit_code,
    reasons: evidence.reasons,
    repo: evidence.repo,
    subject: evidence.subject,
    gates: gates.map((g) => ({
      id: g.id,
      status: g.status,
      reason: g.reason,
      findings: Array.isArray(g.findings) ? g.findings.length : 0,
    })),
    findings: findings.slice(0, 20),
    findings_total: findings.length,
  };
}
