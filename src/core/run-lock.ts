// The run lock (.loki/run.lock): one run per repository, taken before anything of a run is written
// and held — heartbeated — for the run's whole life, or handed from a --bg parent to its child. It
// names the run, its pid and process start; a lock whose owner is gone or whose pid was reused is taken over.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { lock as lockAsync } from "proper-lockfile";
import { writeFailure } from "./durable.ts";
import { messageOf, workspaceError } from "./errors.ts";
import { breakLock, errno, type LockOwner, lockFs, readLockOwner, writeOwner } from "./lock.ts";
import { ownStart, pidState, processStart } from "./process-identity.ts";

/** Age breaks only a lock whose owner cannot be read; a live holder refreshes it far more often. */
const RUN_STALE_MS = 30_000;
const RUN_HEARTBEAT_MS = 5_000;
/** How long a --bg child waits for its parent to hand it the run lock. */
const HANDOVER_WAIT_MS = 15_000;
/** How long a lock that names no owner yet is given to name one (its owner writes it right after taking it). */
const OWNER_WAIT_MS = 2_000;

/** A run lock this process holds: where to say it was lost (the run's event stream, once there is one). */
type Held = { owner: LockOwner; release: () => Promise<void>; warn: (message: string) => void };
const held = new Map<string, Held>();

/**
 * Take the run lock at `lockDir` (.loki/run.lock) for run `runId`, before anything of the run is
 * written, or refuse naming the run that holds it. A lock whose owner is gone — or whose pid now
 * belongs to another process — is stale and taken over. `handOverFrom`: a --bg child's parent pid,
 * which holds the lock until it hands it over (handOverRunLock).
 */
export async function takeRunLock(
  lockDir: string,
  runId: string,
  options: { warn: (message: string) => void; handOverFrom?: number },
): Promise<void> {
  if (held.has(lockDir)) return;
  mkdirSync(dirname(lockDir), { recursive: true, mode: 0o700 });
  const me: LockOwner = { pid: process.pid, start: await ownStart(), run_id: runId, acquired_at: new Date().toISOString() };
  const started = Date.now();
  const deadline = started + HANDOVER_WAIT_MS;
  for (;;) {
    try {
      const release = await lockAsync(lockDir, {
        lockfilePath: lockDir,
        realpath: false,
        stale: RUN_STALE_MS,
        update: RUN_HEARTBEAT_MS,
        fs: lockFs(me, true),
        onCompromised: (error) => lost(lockDir, error),
      });
      held.set(lockDir, { owner: readLockOwner(lockDir) ?? me, release, warn: options.warn });
      return;
    } catch (error) {
      if (errno(error) !== "ELOCKED") throw writeFailure(lockDir, error);
      const owner = readLockOwner(lockDir);
      if (owner && (await pidState(owner.pid, owner.start)) !== "same" && Date.now() < deadline) {
        // Another process may be breaking it at this moment: try again shortly.
        if (!breakLock(lockDir, owner)) await Bun.sleep(20);
        continue;
      }
      const handing = options.handOverFrom !== undefined && (owner === null || owner.pid === options.handOverFrom);
      // A lock taken this instant names its owner a moment later: wait (briefly) for it, to say whose run it is.
      if ((handing && Date.now() < deadline) || (owner === null && Date.now() < started + OWNER_WAIT_MS)) {
        await Bun.sleep(50);
        continue;
      }
      throw activeRun(lockDir, owner);
    }
  }
}

function activeRun(lockDir: string, owner: LockOwner | null) {
  const hint = "one run per repository: watch it with `loki status`, or end it with `loki stop`";
  if (!owner)
    return workspaceError(`another loki run is starting here (${lockDir} names no owner yet)`, {
      hint: `${hint}; if no loki process is running, remove ${lockDir}`,
    });
  return workspaceError(
    `run ${owner.run_id ?? "(unknown)"} is active here (pid ${owner.pid}, started ${owner.acquired_at}): loki status / loki stop`,
    { hint, data: { run_id: owner.run_id ?? null, pid: owner.pid, started_at: owner.acquired_at } },
  );
}

/** Lost while held (removed, or taken by another process): the run goes on, and says so. */
function lost(lockDir: string, error: Error): void {
  const run = held.get(lockDir);
  held.delete(lockDir);
  run?.warn(`the run lock ${lockDir} was lost (${messageOf(error)}): another loki run may start here while this one runs`);
}

/** Whether this process holds the run lock at `lockDir` now (not lost, not handed over). */
export function holdsRunLock(lockDir: string): boolean {
  return held.has(lockDir);
}

/** Where warnings about the held run lock go from now on (the run's event stream, once it has one). */
export function warnRunLockTo(lockDir: string, warn: (message: string) => void): void {
  const run = held.get(lockDir);
  if (run) run.warn = warn;
}

/** Run `work` (a run's setup) under the run lock just taken: if it fails, the lock is released. */
export async function underRunLock<T>(lockDir: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    await releaseRunLock(lockDir);
    throw error;
  }
}

/** Release the run lock at `lockDir` if this process holds it. Never throws: the run is over either way. */
export async function releaseRunLock(lockDir: string): Promise<void> {
  const run = held.get(lockDir);
  if (!run) return;
  held.delete(lockDir);
  try {
    await run.release();
  } catch {
    // already gone: nothing left to release
  }
}

/**
 * Hand the run lock to the --bg child `pid`: the lock names the child from now on, so the parent's
 * release (and exit) leaves it in place and the child adopts it — at no moment is it free.
 */
export async function handOverRunLock(lockDir: string, pid: number): Promise<void> {
  const run = held.get(lockDir);
  if (!run) return;
  const start = await processStart(pid);
  if (start !== null) writeOwner(lockDir, { ...run.owner, pid, start }, true);
  await releaseRunLock(lockDir);
}
