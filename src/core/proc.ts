// Process identity: a pid together with its start time names one process for good, where a pid alone
// may since have been reused by an unrelated one. Linux only (/proc); elsewhere nothing is ever
// confirmed, so nothing is ever killed on a pid's word. Also a process's group members and descendants.
// Reads /proc, never spawns, never throws.
import { readdirSync, readFileSync } from "node:fs";

type Stat = { state: string; ppid: number; pgrp: number; startTime: number };

/** The fields of /proc/<pid>/stat loki uses; null when there is no such process (or no /proc). */
function readStat(pid: number): Stat | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so split after its last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state): field N is at index N - 3; pgrp is field 5, starttime field 22.
  const state = fields[0];
  const ppid = Number(fields[1]);
  const pgrp = Number(fields[2]);
  const startTime = Number(fields[19]);
  if (state === undefined || !Number.isFinite(ppid) || !Number.isFinite(pgrp) || !Number.isFinite(startTime)) return null;
  return { state, ppid, pgrp, startTime };
}

/** When the process started, in clock ticks since boot (/proc/<pid>/stat field 22); null when it is gone or unknowable. */
export function processStartTime(pid: number): number | null {
  return readStat(pid)?.startTime ?? null;
}

/** Whether `pid` is still the very process that had `startTime` (a zombie still counts: its group may live on). */
export function sameProcess(pid: number, startTime: number | null): boolean {
  if (startTime === null) return false;
  return processStartTime(pid) === startTime;
}

/**
 * The processes in process group `pgid` that started at or after `notBefore`: what is left of a
 * group whose leader already exited. Linux does not hand out a pid while a group still bears it as
 * its id, so while any member lives the group is the one its leader made.
 */
export function groupMembers(pgid: number, notBefore: number): number[] {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return [];
  }
  const members: number[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat && stat.pgrp === pgid && stat.startTime >= notBefore && stat.state !== "Z") members.push(Number(name));
  }
  return members;
}

/** Send `signal` to process group `pgid`; false when there is no such group (or it is not ours to signal). */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** `pid` and every process below it (by parent pid), `pid` first; just `[pid]` where /proc is absent. */
export function processTree(pid: number): number[] {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return [pid];
  }
  const children = new Map<number, number[]>();
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), Number(name)]);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    if (out.includes(next)) continue;
    out.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return out;
}
