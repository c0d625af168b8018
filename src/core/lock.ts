// loki's locks, on proper-lockfile (a lock directory whose mtime the holder keeps fresh), and the
// short-held append lock (withLock). Each lock is created naming its owner (pid + process start), so a
// lock whose owner died is broken at once; age breaks only a lock whose owner cannot be read or is dead.
import { mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { lockSync as LockSync } from "proper-lockfile";
import { z } from "zod";
import { writeFailure } from "./durable.ts";
import { workspaceError } from "./errors.ts";
import { ownStartSync, pidStateSync } from "./process-identity.ts";
import { lazySchema } from "./lazy-schema.ts";
import { randomHex } from "./hash.ts";

export const LockOwner = lazySchema(() =>
  z.object({
    pid: z.number().int(),
    /** The owner's process start (core/process-identity.ts); null where it could not be read. */
    start: z.string().nullable(),
    run_id: z.string().optional(),
    acquired_at: z.string(),
  }),
);
export type LockOwner = z.infer<typeof LockOwner>;

const OWNER_FILE = "owner.json";
/** An append lock is held for one write: a waiter gives up after this long… */
const APPEND_WAIT_MS = 5_000;
/** …and age alone breaks it only later than that, so a waiter never breaks a slow but live holder. */
const APPEND_STALE_MS = 15_000;
/** A breaker holds its guard for two syscalls; one older than this was left by a crash. */
const BREAK_GUARD_STALE_MS = 2_000;

/** The owner a lock directory names; null when it names none (being created, or torn by a crash). */
export function readLockOwner(lockDir: string): LockOwner | null {
  try {
    return LockOwner.parse(JSON.parse(readFileSync(join(lockDir, OWNER_FILE), "utf8")));
  } catch {
    return null;
  }
}

/** A reader that catches the file half-written reads no owner, and waits: never a wrong one. */
export function writeOwner(lockDir: string, owner: LockOwner, replace = false): void {
  const file = join(lockDir, OWNER_FILE);
  if (!replace) return writeFileSync(file, `${JSON.stringify(owner)}\n`, { mode: 0o600, flag: "wx" });
  const temp = join(lockDir, `.${OWNER_FILE}.${process.pid}`);
  writeFileSync(temp, `${JSON.stringify(owner)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}

/** Remove a lock directory: first renamed away whole (never an empty lock directory another process
 *  could take in between), then deleted with its owner file and any stray file a crash left. */
function removeLockDir(lockDir: string): void {
  const gone = `${lockDir}.gone.${process.pid}.${randomHex(4)}`;
  try {
    renameSync(lockDir, gone);
  } catch (error) {
    // Gone already; or it cannot be moved (no permission on its directory): deleted where it is, as before.
    if (errno(error) !== "ENOENT") rmSync(lockDir, { recursive: true, force: true });
    return;
  }
  rmSync(gone, { recursive: true, force: true });
}

const sameOwner = (a: LockOwner | null, b: LockOwner | null) =>
  a !== null && b !== null && a.pid === b.pid && a.start === b.start && a.acquired_at === b.acquired_at;
export const errno = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code;

/**
 * The file system proper-lockfile locks with: creating the lock directory names its owner in it
 * (or, with `adopt`, takes a lock already handed to this process), and removing it — on release, at
 * exit, or as stale by age — never removes a lock a live process other than `me` owns.
 */
export function lockFs(me: LockOwner, adopt: boolean) {
  const mine = (owner: LockOwner | null) => owner !== null && owner.pid === me.pid && owner.start === me.start;
  // The lock is made already named: its owner is written into a private directory that is then
  // renamed onto the lock's name, so no process ever finds the lock without its owner (one killed
  // midway leaves only its private directory, which holds no one up).
  const mkdir = (path: string) => {
    const own = `${path}.new.${process.pid}.${randomHex(4)}`;
    mkdirSync(own, { mode: 0o700 });
    try {
      writeOwner(own, me);
      renameSync(own, path);
    } catch (error) {
      rmSync(own, { recursive: true, force: true });
      const code = errno(error);
      if (code !== "EEXIST" && code !== "ENOTEMPTY") throw error;
      if (adopt && mine(readLockOwner(path))) return;
      throw Object.assign(new Error(`EEXIST: lock ${path} is held`), { code: "EEXIST" });
    }
  };
  const rmdir = (path: string) => {
    const owner = readLockOwner(path);
    if (owner && !mine(owner) && pidStateSync(owner.pid, owner.start) === "same") return;
    removeLockDir(path);
  };
  const callback =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    (...args: [...A, (error: unknown, result?: R) => void]) => {
      const done = args.pop() as (error: unknown, result?: R) => void;
      let result: R;
      try {
        result = fn(...(args as unknown as A));
      } catch (error) {
        return done(error);
      }
      done(null, result);
    };
  const sync = { mkdirSync: mkdir, rmdirSync: rmdir, statSync, utimesSync, realpathSync };
  return {
    ...sync,
    mkdir: callback(mkdir),
    rmdir: callback(rmdir),
    stat: callback(statSync),
    utimes: callback(utimesSync),
    realpath: callback(realpathSync),
  };
}

/**
 * Remove a lock whose owner is dead — only while it still names that owner: of two processes that
 * found the same dead owner, the second must not remove the lock the first has just taken.
 */
export function breakLock(lockDir: string, dead: LockOwner): boolean {
  const guard = `${lockDir}.break`;
  try {
    mkdirSync(guard);
  } catch (error) {
    if (errno(error) !== "EEXIST") throw error;
    const age = Date.now() - (statSync(guard, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (age > BREAK_GUARD_STALE_MS) rmSync(guard, { recursive: true, force: true });
    return false;
  }
  try {
    if (!sameOwner(readLockOwner(lockDir), dead)) return false;
    removeLockDir(lockDir);
    return true;
  } finally {
    rmSync(guard, { recursive: true, force: true });
  }
}

/** Remove the append lock of `path` when a dead process left it (a kill mid-append): for a writer that
 *  appends under another lock it holds, which would otherwise leave it there for good. */
export function clearDeadLock(path: string): void {
  const lockDir = `${path}.lock`;
  const owner = readLockOwner(lockDir);
  if (owner && pidStateSync(owner.pid, owner.start) !== "same") breakLock(lockDir, owner);
}

let lockSyncOnce: typeof LockSync | undefined;
/** proper-lockfile's lockSync, loaded by the first append lock: a command that appends nothing (`loki plan`)
 *  does not load it and the graceful-fs it brings (~1 ms of its start). */
function lockSync(...args: Parameters<typeof LockSync>): ReturnType<typeof LockSync> {
  lockSyncOnce ??= (require("proper-lockfile") as { lockSync: typeof LockSync }).lockSync;
  return lockSyncOnce(...args);
}

/** Run `fn` holding the append lock of `path` (a sibling `.lock` directory). A lock left by a dead process is broken at once. */
export function withLock<T>(path: string, fn: () => T): T {
  const lockDir = `${path}.lock`;
  mkdirSync(dirname(path), { recursive: true });
  const me: LockOwner = { pid: process.pid, start: ownStartSync(), acquired_at: new Date().toISOString() };
  const deadline = Date.now() + APPEND_WAIT_MS;
  let release: () => void;
  for (;;) {
    try {
      release = lockSync(path, { realpath: false, stale: APPEND_STALE_MS, fs: lockFs(me, false), onCompromised: () => {} });
      break;
    } catch (error) {
      if (errno(error) !== "ELOCKED") throw writeFailure(lockDir, error);
      const owner = readLockOwner(lockDir);
      if (owner && pidStateSync(owner.pid, owner.start) !== "same" && breakLock(lockDir, owner)) continue;
      if (Date.now() > deadline)
        throw workspaceError(`timed out waiting for lock ${lockDir}${owner ? ` (held by pid ${owner.pid})` : ""}`, {
          hint: `remove ${lockDir} if no loki process is running`,
        });
      Bun.sleepSync(2);
    }
  }
  try {
    return fn();
  } finally {
    try {
      release();
    } catch {
      // already released: broken as stale while fn ran (it outlived APPEND_STALE_MS)
    }
  }
}
