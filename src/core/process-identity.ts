// Who a saved pid is now: a process is known by its pid *and* its start time, so a pid loki saved
// is treated as loki's own (reported alive, signalled, allowed to hold a lock) only while it still
// names the process that saved it, never a later process that reused the number.
import { existsSync, readFileSync } from "node:fs";
import { run } from "./exec.ts";

/** `same`: the recorded process is still there; `gone`: no such process (or a zombie); `reused`: another process has the pid. */
export type PidState = "same" | "gone" | "reused";

let bootId: string | undefined;

/** This boot's id: a start time in clock ticks means nothing across a reboot. */
function boot(): string {
  if (bootId !== undefined) return bootId;
  try {
    bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    const btime = /^btime (\d+)$/m.exec(safeRead("/proc/stat") ?? "");
    bootId = btime?.[1] ?? "unknown";
  }
  return bootId;
}

function safeRead(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * The process's start, as an opaque token compared for equality — Linux only (field 22 of
 * /proc/<pid>/stat, in ticks since this boot). null: no such process, or a zombie. undefined: this
 * system has no /proc, so only processStart (which asks `ps`) can tell.
 */
export function processStartSync(pid: number): string | null | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const stat = safeRead(`/proc/${pid}/stat`);
  if (stat === undefined) return existsSync("/proc/self/stat") ? null : undefined;
  // "pid (comm) S ppid …": comm may hold spaces and parentheses, so fields count from the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (fields[0] === "Z" || fields[0] === "X") return null;
  const ticks = fields[19];
  return ticks ? `linux:${boot()}:${ticks}` : null;
}

/** The process's start token on any system: /proc where there is one, else `ps -o lstart=`. null: no such process. */
export async function processStart(pid: number): Promise<string | null> {
  const sync = processStartSync(pid);
  if (sync !== undefined) return sync;
  if (!signalable(pid)) return null;
  const ps = await run(["ps", "-o", "lstart=", "-p", String(pid)], { timeoutMs: 10_000, env: { LC_ALL: "C", TZ: "UTC" } });
  const text = ps.stdout.trim().replace(/\s+/g, " ");
  return ps.ok && text ? `ps:${text}` : null;
}

let own: string | null | undefined;

/** This process's own start token (asked once, then remembered). */
export async function ownStart(): Promise<string | null> {
  if (own === undefined) own = await processStart(process.pid);
  return own;
}

/** This process's own start token when it is known without waiting (always on Linux; elsewhere once ownStart ran). */
export function ownStartSync(): string | null {
  if (own === undefined) {
    const sync = processStartSync(process.pid);
    if (sync === undefined) return null;
    own = sync;
  }
  return own;
}

/** Whether a signal can reach `pid` at all (EPERM: it exists, but is someone else's). */
function signalable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function judge(now: string | null, recorded: string | null | undefined): PidState {
  if (now === null) return "gone";
  // A record from before loki saved start times: a live pid is all there is to go on.
  if (!recorded) return "same";
  return now === recorded ? "same" : "reused";
}

/** Is `pid` still the process recorded with start token `recorded`? */
export async function pidState(pid: number, recorded: string | null | undefined): Promise<PidState> {
  if (!Number.isInteger(pid) || pid <= 0) return "gone";
  return judge(await processStart(pid), recorded);
}

/** pidState without waiting: exact on Linux; where there is no /proc, whether the pid lives is all it can tell. */
export function pidStateSync(pid: number, recorded: string | null | undefined): PidState {
  if (!Number.isInteger(pid) || pid <= 0) return "gone";
  const now = processStartSync(pid);
  if (now === undefined) return signalable(pid) ? "same" : "gone";
  return judge(now, recorded);
}

/** What signalling a saved process did: sent, nothing to send it to, or withheld because the pid is someone else's now. */
export type Signalled = "signalled" | "gone" | "reused";

/**
 * Send `signal` to a saved process — or, with `group`, to the process group it leads — only while
 * the pid still names the recorded process. A group whose leader is gone is still signalled: its
 * members can only be the recorded leader's (the kernel does not hand out a pid while a group holds
 * it as its id), and they are what a crash leaves behind.
 */
export async function signalSaved(
  pid: number,
  recorded: string | null | undefined,
  signal: NodeJS.Signals,
  options: { group: boolean },
): Promise<Signalled> {
  const state = await pidState(pid, recorded);
  if (state === "reused") return "reused";
  // A gone pid is not signalled itself (it may be handed out again any moment), only its group.
  const own = state === "same" ? [pid] : [];
  let sent = false;
  for (const target of options.group ? [-pid, ...own] : own) {
    try {
      process.kill(target, signal);
      sent = true;
    } catch {
      // not a group leader, or already gone
    }
  }
  return sent ? "signalled" : "gone";
}
