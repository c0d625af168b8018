// The children a run's process has started and not yet seen end (.loki/state/children.json; not exec's
// ephemeral read-only git queries), each with its start time, so that `loki resume` and `loki stop` can
// end what a kill -9 left running — the process and its whole group — and never a reused pid.
import { z } from "zod";
import type { SpawnWatch } from "../core/exec.ts";
import { groupMembers, processStartTime, sameProcess, signalGroup } from "../core/proc.ts";
import { IsoTime, SCHEMA_VERSION, Version } from "../core/schema.ts";
import { readJson, writeFileAtomic, writeJson, type Workspace } from "../core/workspace.ts";
import { removeReviewCopies } from "../review/review-tree.ts";
import { lazySchema } from "../core/lazy-schema.ts";

const Owned = lazySchema(() => z.object({ pid: z.number().int(), start_time: z.number().nullable() }));
const Child = lazySchema(() => Owned.extend({ command: z.string(), started_at: IsoTime }));
type Child = z.infer<typeof Child>;
/** state/children.json: `owner` is the loki process that started `children` (its group leaders). */
export const RunChildren = lazySchema(() => z.object({ schema_version: Version, owner: Owned, children: z.array(Child) }));

/** An exit is written a moment later: the next spawn's write (git runs back to back) usually carries it. */
const EXIT_WRITE_DELAY_MS = 200;
const COMMAND_CHARS = 200;

/** A watch for exec's watchSpawns that keeps children.json current; close() writes its last state. */
export function trackChildren(ws: Workspace): SpawnWatch & { close: () => void } {
  const owner = { pid: process.pid, start_time: processStartTime(process.pid) };
  const live = new Map<number, Child>();
  let pending: ReturnType<typeof setTimeout> | undefined;
  const write = () => {
    clearTimeout(pending);
    pending = undefined;
    // Only a live machine has children to end: surviving the loki process being killed is enough. Written
    // at every spawn, so as compact JSON, unchecked: typed here, and validated where it is read (reapChildren).
    const doc: z.input<typeof RunChildren> = { schema_version: SCHEMA_VERSION, owner, children: [...live.values()] };
    writeFileAtomic(ws.children, `${JSON.stringify(doc)}\n`, 0o600, "process");
  };
  return {
    spawned({ pid, argv }) {
      const command = argv.slice(0, 4).join(" ");
      live.set(pid, {
        pid,
        start_time: processStartTime(pid),
        command: command.length > COMMAND_CHARS ? `${command.slice(0, COMMAND_CHARS - 1)}…` : command,
        started_at: new Date().toISOString(),
      });
      write();
    },
    exited(pid) {
      live.delete(pid);
      if (pending !== undefined) return;
      pending = setTimeout(() => {
        try {
          write();
        } catch {
          // a stale entry is harmless: its process is gone, and a reused pid is told apart by start time
        }
      }, EXIT_WRITE_DELAY_MS);
      pending.unref?.();
    },
    close() {
      write();
    },
  };
}

/** What a dead run left behind and this process ended or removed. */
export type Leftovers = { processes: string[]; reviewCopies: number };

/**
 * End the recorded children that still run and are still the same processes, with their groups:
 * SIGTERM first (git removes its lock files on it), SIGKILL after `graceMs`. Does nothing while
 * the loki process that recorded them is alive: they are its own.
 */
export async function reapChildren(ws: Workspace, graceMs = 2000): Promise<string[]> {
  let saved: z.infer<typeof RunChildren> | undefined;
  try {
    saved = readJson(ws.children, RunChildren);
  } catch {
    saved = undefined; // unreadable: nothing in it can be confirmed, so nothing is killed on its word
  }
  if (!saved || sameProcess(saved.owner.pid, saved.owner.start_time)) return [];
  const targets = saved.children.filter((child) => leftover(child));
  for (const child of targets) signalGroup(child.pid, "SIGTERM");
  if (!(await until(() => targets.every(gone), graceMs))) {
    for (const child of targets.filter((c) => !gone(c))) signalGroup(child.pid, "SIGKILL");
    await until(() => targets.every(gone), 2000);
  }
  writeJson(ws.children, RunChildren, {
    schema_version: SCHEMA_VERSION,
    owner: { pid: process.pid, start_time: processStartTime(process.pid) },
    children: [],
  });
  return targets.map((child) => `${child.command} (pid ${child.pid})`);
}

/** Still running as recorded: the very process, or (its leader gone) members of the group it led. */
function leftover(child: Child): boolean {
  if (child.start_time === null) return false;
  if (sameProcess(child.pid, child.start_time)) return true;
  // A live process under that pid that is not ours means the pid was reused: never touch it.
  return processStartTime(child.pid) === null && groupMembers(child.pid, child.start_time).length > 0;
}

function gone(child: Child): boolean {
  return child.start_time === null || groupMembers(child.pid, child.start_time).length === 0;
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await Bun.sleep(25);
  }
  return true;
}

/** Before a dead run continues (`loki resume`) or is declared stopped (`loki stop`): end its children, remove its review copies. */
export async function clearLeftovers(ws: Workspace): Promise<Leftovers> {
  const processes = await reapChildren(ws);
  const reviewCopies = await removeReviewCopies(ws.root);
  return { processes, reviewCopies };
}
