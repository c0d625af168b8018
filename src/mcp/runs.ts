// Which run a tool means: the repository's own, or one delegated to a worktree (--bg, --worktree), by its
// id — or, with none given, the one `loki stop` would reach. Read from .loki/ alone (run/status.ts).
import { workspaceAt, type Workspace } from "../core/workspace.ts";
import { readStatus, type StatusReport } from "../run/status.ts";
import { ToolInputError } from "./paths.ts";

export type RunTarget = { ws: Workspace; runId: string | null };

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function checkRunId(runId: string): string {
  if (!RUN_ID.test(runId)) throw new ToolInputError(`run_id ${JSON.stringify(runId)} is not a run id (see loki_status)`);
  return runId;
}

export async function runTarget(root: string, runId: string | undefined, status?: StatusReport): Promise<RunTarget> {
  const report = status ?? (await readStatus(root));
  if (runId !== undefined) {
    checkRunId(runId);
    if (report.run_id === runId) return { ws: workspaceAt(root), runId };
    const delegated = report.delegated.find((d) => d.run_id === runId);
    if (delegated) return { ws: workspaceAt(delegated.dir), runId };
    throw new ToolInputError(`no run ${runId} in this repository; loki_status lists its runs`);
  }
  if (report.run_id && report.status !== "completed") return { ws: workspaceAt(root), runId: report.run_id };
  const live = report.delegated.filter((d) => d.pid_alive);
  if (live.length > 1) throw new ToolInputError(`${live.length} runs are active (${live.map((d) => d.run_id).join(", ")}): pass run_id`);
  const only = live[0] ?? (report.run_id ? undefined : report.delegated.at(-1));
  if (only) return { ws: workspaceAt(only.dir), runId: only.run_id };
  return { ws: workspaceAt(root), runId: report.run_id };
}

/** Every run this repository knows of: its own and its delegated ones (for resource listings). */
export async function knownRuns(root: string): Promise<RunTarget[]> {
  const report = await readStatus(root);
  const runs: RunTarget[] = report.run_id ? [{ ws: workspaceAt(root), runId: report.run_id }] : [];
  for (const d of report.delegated) runs.push({ ws: workspaceAt(d.dir), runId: d.run_id });
  return runs;
}
