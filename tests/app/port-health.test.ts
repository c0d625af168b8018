// The pure parts of the app runner: the port a "listening on" line names, LISTEN rows of /proc/net/tcp,
// the health rule (live after 3 healthy answers in a row), and a real probe and socket lookup.
import { afterEach, describe, expect, test } from "bun:test";
import { LIVE_AFTER, probe, startTracker, track } from "../../src/app/health.ts";
import { freePort, listenersIn, listeningLine, listeningPorts } from "../../src/app/port.ts";

describe("listeningLine", () => {
  const cases: [string, number | null][] = [
    ["  ➜  Local:   http://localhost:5173/", 5173],
    ["\x1b[32m  ➜\x1b[39m  \x1b[1mLocal\x1b[22m:   \x1b[36mhttp://127.0.0.1:\x1b[1m4321\x1b[22m/\x1b[39m", 4321],
    ["Serving HTTP on 0.0.0.0 port 8000 (http://0.0.0.0:8000/) ...", 8000],
    ["INFO:     Uvicorn running on http://127.0.0.1:8001 (Press CTRL+C to quit)", 8001],
    ["Starting development server at http://127.0.0.1:8002/", 8002],
    ["listening on :8080", 8080],
    ["Server started on port 4000", 4000],
    ["* Running on http://127.0.0.1:5000", 5000],
    ["ready - started server on 0.0.0.0:3000, url: http://localhost:3000", 3000],
    ["compiled 12 modules in 300ms", null],
    ["error: port 99999 is out of range", null],
    ["listening on http://[::1]:9090", 9090],
  ];
  for (const [line, port] of cases) test(JSON.stringify(line).slice(0, 60), () => expect(listeningLine(line)).toBe(port));
});

describe("listenersIn", () => {
  const table = [
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0",
    "   1: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 100 0 0 10 0",
    "   2: 0100007F:C350 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 20 4 30 10 -1",
  ].join("\n");
  test("only LISTEN rows whose inode is the process's", () => {
    expect(listenersIn(table, new Set(["111"]))).toEqual([8080]);
    expect(listenersIn(table, new Set(["111", "222"]))).toEqual([8080, 8081]);
    expect(listenersIn(table, new Set(["333"]))).toEqual([]);
  });
});

describe("health", () => {
  test(`live only after ${LIVE_AFTER} healthy answers in a row; a failure starts the count again`, () => {
    let t = startTracker();
    for (const ok of [true, true, false, true, true]) t = track(t, { ok });
    expect(t.status).toBe("starting");
    t = track(t, { ok: true });
    expect(t.status).toBe("live");
    t = track(t, { ok: false });
    expect(t.status).toBe("live");
    t = track(t, { ok: false });
    expect(t.status).toBe("unhealthy");
    for (let i = 0; i < LIVE_AFTER; i++) t = track(t, { ok: true });
    expect(t.status).toBe("live");
  });

  const servers: { stop: () => void }[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.stop();
  });

  test("a probe: 2xx and 3xx are healthy (redirects not followed), 5xx and refused are not", async () => {
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) => {
        const path = new URL(req.url).pathname;
        if (path === "/moved") return new Response(null, { status: 302, headers: { location: "http://203.0.113.1/" } });
        return new Response("x", { status: path === "/broken" ? 500 : 200 });
      },
    });
    servers.push(server);
    const base = `http://127.0.0.1:${server.port}`;
    expect((await probe(`${base}/`)).ok).toBe(true);
    expect(await probe(`${base}/moved`)).toMatchObject({ ok: true, http: 302 });
    expect(await probe(`${base}/broken`)).toMatchObject({ ok: false, http: 500, detail: "HTTP 500" });
    const closed = await freePort();
    expect(await probe(`http://127.0.0.1:${closed}/`)).toMatchObject({ ok: false, http: null, detail: "connection refused" });
  });

  test("listeningPorts finds the port a child process holds, through its parent", async () => {
    const port = await freePort();
    // sh stays the parent (no exec): the listener is its child, found by walking the tree.
    const child = Bun.spawn(
      [
        "sh",
        "-c",
        `${process.execPath} -e 'Bun.serve({hostname:"127.0.0.1",port:${port},fetch:()=>new Response("ok")}); console.log("up")'; true`,
      ],
      {
        stdout: "pipe",
        detached: true,
      },
    );
    const parent = Bun.spawn(["sh", "-c", `sleep 30`]);
    try {
      const reader = child.stdout.getReader();
      await reader.read();
      expect(listeningPorts(child.pid)).toContain(port);
      expect(listeningPorts(parent.pid)).toEqual([]);
    } finally {
      process.kill(-child.pid, "SIGKILL");
      parent.kill();
    }
  });
});
