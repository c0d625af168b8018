// Durable file writes, the only way loki writes its state: a whole-file replace that either lands
// every byte (temp file, full-write loop, fsync, rename, directory fsync) or leaves the old file
// intact, a line append that never leaves a torn line behind, and the syncs a loop iteration groups
// until its boundary (syncOwed, or syncOwedTogether: all at once). Failures name the file and cause.
import { closeSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { dirname } from "node:path";
import { workspaceError, type LokiError } from "./errors.ts";

const CAUSES: Record<string, string> = {
  ENOSPC: "no space left on the device",
  EDQUOT: "the disk quota is exhausted",
  EROFS: "the file system is read-only",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EFBIG: "the file is too large for this file system",
  EIO: "an I/O error from the device",
  ENOTDIR: "a path component is not a directory",
  EISDIR: "a directory is in the way",
  EMFILE: "too many open files",
};

/** A write that failed: which file, what the system said, and what to do. */
export function writeFailure(path: string, error: unknown): LokiError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? "";
  const cause = CAUSES[code] ?? (error instanceof Error ? error.message : String(error));
  const hint =
    code === "ENOSPC" || code === "EDQUOT" || code === "EFBIG"
      ? `free disk space where ${dirname(path)} lives, then run the command again (nothing was half-written)`
      : code === "EROFS" || code === "EACCES" || code === "EPERM"
        ? `make ${dirname(path)} writable for this user, then run the command again`
        : "run the command again; the previous content is intact";
  return workspaceError(`could not write ${path}: ${cause}${code ? ` (${code})` : ""}`, { cause: error, hint });
}

/** Writes every byte or throws: a short write (a full disk) is an error, never success. */
function writeAll(fd: number, bytes: Uint8Array, position?: number): void {
  let done = 0;
  while (done < bytes.length) {
    const n = writeSync(fd, bytes, done, bytes.length - done, position === undefined ? null : position + done);
    if (n <= 0) throw Object.assign(new Error("short write"), { code: "ENOSPC" });
    done += n;
  }
}

/** fsync a directory so a rename in it survives a power loss; not every platform allows it (false). */
function syncDir(dir: string): boolean {
  let fd: number | null = null;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
    return true;
  } catch {
    // some file systems (and Windows) refuse to fsync a directory: the rename is then as durable as they make it
    return false;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/**
 * How long a write must last. "power": through a power loss (fsync of the file, and for a replace of
 * its directory after the rename). "process": through the writer being killed, not the machine going
 * down: the bytes are in the kernel's cache, so the rename or the append is all it takes. For records
 * only live processes need (state/children.json, rewritten at every spawn it records) and a call's transcript
 * (one append per line of agent output, which a resume after a power loss never reads: it makes the
 * call again).
 *
 * "boundary": through a power loss from the next syncOwed() on — the loop's iteration boundary —
 * and through the writer being killed at once. A replaced file's own bytes are still fsynced before
 * its rename, so it is never torn, even by a power loss: what waits is its directory's fsync (a power
 * loss before the boundary may undo the rename: the old file, whole) and an append's fsync (a power
 * loss may drop the line, or leave a torn tail that the next append and every reader cut off). Readers
 * see the write at once either way. Only for records a resume rebuilds when they fall back to the
 * last boundary: the iteration in progress is redone from its start (loop/loop.ts).
 */
export type Durability = "power" | "boundary" | "process";

/** What "boundary" writes still owe: directories whose renames, and files whose appends, are not yet on disk. */
const owed = { dirs: new Set<string>(), files: new Set<string>() };

/**
 * Make every "boundary" write so far durable: one fsync per appended file and per directory a file
 * was renamed into, whatever the number of writes; returns how many it made. A file or directory
 * gone since is skipped; a file that cannot be synced is a write failure (its lines may not be on disk).
 */
export function syncOwed(): number {
  const files = [...owed.files];
  const dirs = [...owed.dirs];
  owed.files.clear();
  owed.dirs.clear();
  let synced = 0;
  let failed: Error | null = null;
  // Every entry is tried before a failure is thrown: one file that cannot be synced leaves none of
  // the others unsynced and no longer owed.
  for (const file of files) {
    let fd: number | null = null;
    try {
      fd = openSync(file, "r");
      fsyncSync(fd);
      synced += 1;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") failed ??= writeFailure(file, error);
    } finally {
      if (fd !== null) closeQuietly(fd);
    }
  }
  for (const dir of dirs) if (syncDir(dir)) synced += 1;
  if (failed) throw failed;
  return synced;
}

/**
 * syncOwed's syncs made all at once instead of one after another: the file system's own threads run
 * them, so a boundary waits about as long as for one (journalled file systems commit them together).
 * The same entries, the same count and the same failure: every entry is tried before one is thrown.
 */
export async function syncOwedTogether(): Promise<number> {
  const files = [...owed.files];
  const dirs = [...owed.dirs];
  owed.files.clear();
  owed.dirs.clear();
  const sync = async (path: string, isDir: boolean): Promise<boolean> => {
    let handle: FileHandle | null = null;
    try {
      handle = await open(path, "r");
      await handle.sync();
      return true;
    } catch (error) {
      // A directory that refuses an fsync is as durable as its file system makes it (syncDir); a file gone is skipped.
      if (isDir || (error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw writeFailure(path, error);
    } finally {
      await handle?.close().catch(() => undefined);
    }
  };
  const settled = await Promise.allSettled([...files.map((file) => sync(file, false)), ...dirs.map((dir) => sync(dir, true))]);
  const failed = settled.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
  return settled.filter((result) => result.status === "fulfilled" && result.value).length;
}

/** Readers see the old file or the whole new one; on any failure the old file is intact and the temp file gone. */
export function replaceFile(path: string, content: string | Uint8Array, mode = 0o600, durability: Durability = "power"): void {
  const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
  const dir = dirname(path);
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  let fd: number | null = null;
  try {
    fd = openTemp(tmp, dir, mode);
    writeAll(fd, bytes);
    if (durability !== "process") fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
    if (durability === "power") syncDir(dir);
    else if (durability === "boundary") owed.dirs.add(dir);
  } catch (error) {
    if (fd !== null) closeQuietly(fd);
    // On a read-only or full file system removing the temp file can fail too: the write's own error is the one to report.
    try {
      rmSync(tmp, { force: true });
    } catch {}
    throw writeFailure(path, error);
  }
}

/**
 * Appends `line` (which ends in "\n") whole or not at all. The caller holds the file's lock. A torn
 * tail a crash left (bytes after the last newline) is cut off first; a failed write is cut back.
 * Returns how many torn bytes were dropped.
 */
export function appendLine(path: string, line: string, mode = 0o600, durability: Durability = "power"): number {
  const bytes = Buffer.from(line, "utf8");
  let fd: number | null = null;
  try {
    fd = openAppend(path, mode);
    const size = fstatSync(fd).size;
    const keep = size - tornTail(fd, size);
    if (keep !== size) ftruncateSync(fd, keep);
    try {
      writeAll(fd, bytes, keep);
      if (durability === "power") fsyncSync(fd);
      else if (durability === "boundary") owed.files.add(path);
    } catch (error) {
      ftruncateSync(fd, keep);
      throw error;
    }
    return size - keep;
  } catch (error) {
    throw writeFailure(path, error);
  } finally {
    if (fd !== null) closeQuietly(fd);
  }
}

/** Bytes after the file's last newline (0 when it ends with one or is empty). */
function tornTail(fd: number, size: number): number {
  const chunk = Buffer.alloc(4096);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const n = readSync(fd, chunk, 0, end - start, start);
    const at = chunk.subarray(0, n).lastIndexOf(0x0a);
    if (at !== -1) return size - (start + at + 1);
    end = start;
  }
  return size;
}

/** The stream, its directory made only when it is missing (a syscall less on every line). */
function openAppend(path: string, mode: number): number {
  try {
    return openSync(path, "a+", mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    return openSync(path, "a+", mode);
  }
}

/** The temp file, its directory made only when it is missing (one syscall less on every write). */
function openTemp(tmp: string, dir: string, mode: number): number {
  try {
    return openSync(tmp, "wx", mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return openSync(tmp, "wx", mode);
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {}
}
