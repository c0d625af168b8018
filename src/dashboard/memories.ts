// GET /api/iterations/<n>/memories: the memories iteration n's build prompt was given, from .loki/iterations/
// <n>/memories.json (the agent may have shaped it), sealed and redacted. Reads that one file only: never a link
// out of .loki/, never a FIFO, never past a size cap; writes nothing and never throws.
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync } from "node:fs";
import { sep } from "node:path";
import { redactText } from "../core/redact.ts";
import { GivenMemories } from "../core/run-schema.ts";
import { workspaceAt } from "../core/workspace.ts";
import { json, text } from "./guard.ts";
import { streamSeal } from "./stream-seal.ts";

/** The engine writes a few short lines; a file larger than this is not its. */
export const MEMORIES_CAP_BYTES = 1024 * 1024;
/** An iteration number as the loop counts them: 1, 2, … (no sign, no leading zero, no path). */
const ITERATION = /^[1-9]\d{0,8}$/;
const ROUTE = /^\/api\/iterations\/(.*)\/memories$/;

/** What the page is sent: `{ ok: false, message }` on every refusal, as the rest of the API. */
export type MemoriesRead = { ok: true; value: GivenMemories } | { ok: false; status: number; message: string };

/** The route's answer, for any path under /api/iterations/ (server.ts has checked Host and token). */
export function handleMemories(path: string, root: string): Response {
  const match = ROUTE.exec(path);
  if (!match) return text(404, "not found\n");
  const raw = match[1] ?? "";
  if (!ITERATION.test(raw))
    return json(400, { ok: false, message: "the iteration must be a positive whole number, as in /api/iterations/3/memories" });
  const read = readGivenMemories(root, Number(raw));
  return read.ok ? json(200, read.value) : json(read.status, { ok: false, message: read.message });
}

/** The file validated, sealed and redacted (ids too: they are the agent's bytes as much as the lines are). */
export function readGivenMemories(root: string, n: number): MemoriesRead {
  const name = `.loki/iterations/${n}/memories.json`;
  const refuse = (status: number, why: string): MemoriesRead => ({ ok: false, status, message: `${name} ${why}` });
  const file = readCapped(root, n);
  if (file === "missing") return refuse(404, "does not exist: this iteration's prompt was given no memories, or an older loki ran it");
  if (file === "outside") return refuse(422, "is a link out of .loki/: not read");
  if (file === "special") return refuse(422, "is not a regular file: not read");
  if (file === "large") return refuse(413, `is larger than ${MEMORIES_CAP_BYTES / 1024} KB: not the engine's, not read`);
  if (file === "unreadable") return refuse(422, "could not be read");
  let raw: unknown;
  try {
    raw = JSON.parse(file.text);
  } catch {
    return refuse(422, "is not valid JSON");
  }
  const parsed = GivenMemories.safeParse(raw);
  // Only the schema's own keys and indices are named: none of the file's bytes go back in an error.
  if (!parsed.success) return refuse(422, `does not match its schema at ${parsed.error.issues[0]?.path.join(".") || "(root)"}`);
  if (parsed.data.iteration !== n) return refuse(422, `names iteration ${parsed.data.iteration}, not ${n}`);
  // Sealed as the snapshot and the stream are (a held-out id or text, while the run is live), then redacted.
  const seal = streamSeal(workspaceAt(root));
  const clean = (value: string) => redactText(seal(value)).text;
  const memories = parsed.data.memories.map((m) => ({ ...m, id: clean(m.id), line: clean(m.line) }));
  return { ok: true, value: { iteration: n, memories } };
}

type Raw = { text: string } | "missing" | "outside" | "special" | "large" | "unreadable";

/**
 * The file's bytes when its real path is inside .loki/ (as serveProof checks). Opened without following a
 * last-moment link and without blocking (a FIFO would stall the whole server), then checked on the open fd.
 */
function readCapped(root: string, n: number): Raw {
  const ws = workspaceAt(root);
  let real: string;
  try {
    real = realpathSync(ws.memoriesGiven(n));
    if (!real.startsWith(`${realpathSync(ws.dir)}${sep}`)) return "outside";
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : "unreadable";
  }
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : "unreadable";
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return "special";
    if (stat.size > MEMORIES_CAP_BYTES) return "large";
    // One byte past the cap: a file that grew since fstat is caught too.
    const buffer = Buffer.alloc(MEMORIES_CAP_BYTES + 1);
    let length = 0;
    for (let got = 1; got > 0 && length < buffer.length; length += got) got = readSync(fd, buffer, length, buffer.length - length, length);
    if (length > MEMORIES_CAP_BYTES) return "large";
    return { text: buffer.toString("utf8", 0, length) };
  } catch {
    return "unreadable";
  } finally {
    closeSync(fd);
  }
}
