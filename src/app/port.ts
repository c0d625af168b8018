// Where an app listens: a free port to hand it (PORT), the port its own "listening on" line names,
// and the TCP ports its processes hold in LISTEN (Linux /proc) when it ignores PORT and says nothing.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createServer } from "node:net";
import { processTree } from "../core/proc.ts";

/** A port on 127.0.0.1 nothing listens on at this moment (the OS's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

// What dev servers print: "Local: http://localhost:5173/", "Listening on http://0.0.0.0:3000",
// "Serving HTTP on 0.0.0.0 port 8000", "Uvicorn running on http://127.0.0.1:8000", "listening on :8080",
// "Server started on port 4000". ANSI colour codes are stripped first (Vite bolds the port).
const URL_PORT = /\bhttps?:\/\/(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1?\]|[\w.-]+):(\d{2,5})\b/i;
const PHRASE_PORT =
  /\b(?:listening|listens|running|serving|started|server|bound|available)\b[^\n]{0,40}?(?:\bport\b\s*[:=]?\s*|\bon\s+(?:[\w.[\]-]*?)?:)(\d{2,5})\b/i;
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;

/** The port a log line announces, or null. */
export function listeningLine(line: string): number | null {
  const text = line.replace(ANSI, "");
  const match = URL_PORT.exec(text) ?? PHRASE_PORT.exec(text);
  const port = match ? Number(match[1]) : Number.NaN;
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : null;
}

/** The TCP ports (v4 and v6) in LISTEN held by `pid` or any process below it, lowest first. */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const member of processTree(pid)) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${member}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${member}/fd/${fd}`);
        if (target.startsWith("socket:[")) inodes.add(target.slice(8, -1));
      } catch {
        // closed between the listing and the read
      }
    }
  }
  if (inodes.size === 0) return [];
  const ports = new Set<number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) for (const port of listenersIn(readTable(table), inodes)) ports.add(port);
  return [...ports].sort((a, b) => a - b);
}

/** The LISTEN rows of a /proc/net/tcp table whose socket inode is one of `inodes` (pure). */
export function listenersIn(table: string, inodes: ReadonlySet<string>): number[] {
  const ports: number[] = [];
  for (const row of table.split("\n").slice(1)) {
    const cols = row.trim().split(/\s+/);
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    const [local, state, inode] = [cols[1], cols[3], cols[9]];
    if (state !== "0A" || !local || !inode || !inodes.has(inode)) continue;
    const port = Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16);
    if (Number.isInteger(port) && port > 0) ports.push(port);
  }
  return ports;
}

function readTable(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
