// The dashboard's live stream (SSE): every events.jsonl line by byte offset (`id:` = the offset just past
// it, so a reconnect replays with no gap and no duplicate), `state` when a watched .loki/ file changes,
// `hb` heartbeats. Watches directories, never files (a rename-replaced file leaves a file watch deaf).
import { type FSWatcher, readdirSync, statSync, watch } from "node:fs";
import { join, relative } from "node:path";
import { workspaceAt } from "../core/workspace.ts";
import { panelsFor, WATCHED_DIRS } from "./changes.ts";
import { frame, readNew, type Tail } from "./tail.ts";
import { streamSeal } from "./stream-seal.ts";

export type StreamHub = {
  /** An SSE response replaying from byte `from` of events.jsonl, then following it. */
  open: (from: number, signal: AbortSignal) => Response;
  clients: () => number;
  close: () => void;
};

/** A watcher event's trailing re-read: fs events can arrive before or between writes of a burst. */
export const TRAILING_MS = 75;

type Client = Tail & {
  busy: boolean;
  closed: boolean;
  send: (frame: string) => void;
  end: () => void;
};

export function createStreamHub(root: string, heartbeatMs: number): StreamHub {
  const ws = workspaceAt(root);
  const clients = new Set<Client>();
  const watchers = new Map<string, { watcher: FSWatcher; ino: number }>();
  const pending = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let rerun = false;
  let beat: ReturnType<typeof setInterval> | null = null;

  const broadcast = (text: string) => {
    for (const client of clients) client.send(text);
  };
  const pumpAll = () => {
    for (const client of clients) void pump(client);
  };

  /** Attach to each watched directory that exists now (create-on-demand ones appear mid-run), drop the gone or replaced. */
  function sync(): void {
    const dirs = [root, ws.dir, ...WATCHED_DIRS.map((rel) => join(ws.dir, rel)), ...iterationDirs()];
    for (const dir of dirs) {
      const ino = inode(dir);
      const current = watchers.get(dir);
      if (current && current.ino === ino) continue;
      current?.watcher.close();
      watchers.delete(dir);
      // The repo root is watched only until .loki/ exists: the agent's edits there would wake us for nothing.
      if (ino === null || (dir === root && inode(ws.dir) !== null)) continue;
      try {
        const watcher = watch(dir, (_type, name) => changed(dir, name === null ? null : String(name)));
        watcher.on("error", () => watchers.delete(dir));
        watchers.set(dir, { watcher, ino });
      } catch {
        // gone between the stat and the watch: the next event or heartbeat attaches it
      }
    }
  }

  function iterationDirs(): string[] {
    const base = join(ws.dir, "iterations");
    try {
      return readdirSync(base)
        .filter((name) => /^\d{1,6}$/.test(name))
        .map((name) => join(base, name));
    } catch {
      return [];
    }
  }

  function changed(dir: string, name: string | null): void {
    if (dir === root && name !== ".loki") return;
    if (dir === ws.dir && name === "events.jsonl") pumpAll();
    else if (dir !== root && name !== null) for (const panel of panelsFor(relative(ws.dir, dir), name)) pending.add(panel);
    if (timer) {
      rerun = true;
      return;
    }
    timer = setTimeout(trailing, TRAILING_MS);
  }

  function trailing(): void {
    timer = null;
    sync();
    if (pending.size > 0) broadcast(frame("state", JSON.stringify({ changed: [...pending].sort() })));
    pending.clear();
    pumpAll();
    if (rerun) {
      rerun = false;
      timer = setTimeout(trailing, TRAILING_MS);
    }
  }

  async function pump(client: Client): Promise<void> {
    if (client.busy) {
      client.again = true;
      return;
    }
    client.busy = true;
    try {
      do {
        client.again = false;
        // The seal reads .loki/ (state, verdicts, rounds): only when a line is there to seal.
        let seal: ((line: string) => string) | undefined;
        const text = await readNew(client, ws.events, (line) => (seal ??= streamSeal(ws))(line));
        if (text !== "") client.send(text);
      } while (client.again && !client.closed);
    } finally {
      client.busy = false;
    }
  }

  function start(): void {
    sync();
    beat = setInterval(() => {
      // Also the safety net for a missed watcher event: a re-read and re-attach no faster than the heartbeat.
      sync();
      pumpAll();
      const now = new Date().toISOString();
      for (const client of clients) client.send(frame("hb", JSON.stringify({ now, offset: client.offset })));
    }, heartbeatMs);
  }

  function stop(): void {
    if (beat) clearInterval(beat);
    if (timer) clearTimeout(timer);
    beat = timer = null;
    for (const { watcher } of watchers.values()) watcher.close();
    watchers.clear();
  }

  function openStream(from: number, signal: AbortSignal): Response {
    const encoder = new TextEncoder();
    let client: Client | null = null;
    const leave = () => {
      if (!client || client.closed) return;
      client.closed = true;
      clients.delete(client);
      if (clients.size === 0) stop();
    };
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const c: Client = { offset: from, ino: null, busy: false, again: false, closed: false, send: () => {}, end: () => {} };
        c.send = (text) => {
          if (c.closed) return;
          try {
            controller.enqueue(encoder.encode(text));
          } catch {
            leave();
          }
        };
        c.end = () => {
          try {
            controller.close();
          } catch {
            // already closed by the client
          }
        };
        client = c;
        c.send("retry: 1000\n\n");
        if (clients.size === 0) start();
        clients.add(c);
        void pump(c);
      },
      cancel: leave,
    });
    signal.addEventListener("abort", leave, { once: true });
    return new Response(body, { headers: { "content-type": "text/event-stream; charset=utf-8" } });
  }

  return {
    open: openStream,
    clients: () => clients.size,
    close: () => {
      for (const client of clients) {
        client.closed = true;
        client.end();
      }
      clients.clear();
      stop();
    },
  };
}

function inode(path: string): number | null {
  try {
    const stat = statSync(path);
    return stat.isDirectory() ? stat.ino : null;
  } catch {
    return null;
  }
}
