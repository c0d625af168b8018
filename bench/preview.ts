// `bun bench/preview.ts`: the Live App Preview's targets with the compiled binary — how long after the
// app's own readiness `loki preview` reports it live (floor: three back-to-back GETs of the same page,
// the least "3 healthy answers" can take), and `loki preview` on a live app (floor: `loki version`).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Measured, median, spawnWall } from "./measure.ts";

const BIN = join(resolve(import.meta.dir, ".."), "dist", "loki");
const WORK = join(tmpdir(), "loki-bench-preview");

/** A server that gets ready after a while (as a dev server compiling first), noting when it listened. */
const SERVER = `const { createServer } = require("node:http");
const { writeFileSync } = require("node:fs");
setTimeout(() => createServer((_q, s) => s.end("ready")).listen(Number(process.env.PORT), "127.0.0.1", () => writeFileSync("ready-at", String(Date.now()))), 700);`;

function repo(): string {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  writeFileSync(join(WORK, "server.js"), SERVER);
  Bun.spawnSync(["git", "init", "-q"], { cwd: WORK });
  return WORK;
}

const env = () => ({ ...process.env, LOKI_APP_COMMAND: "node server.js", NO_COLOR: "1", LOKI_NO_AUTO_OPEN: "1" }) as Record<string, string>;

function preview(dir: string, args: string[]): { status: string; state: { url: string; live_at: string } } {
  const out = Bun.spawnSync([BIN, "preview", "--no-open", "--json", ...args], {
    cwd: dir,
    env: env(),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  return JSON.parse(out.stdout.toString());
}

async function threeGets(url: string): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < 3; i++) await (await fetch(url)).text();
  return performance.now() - started;
}

export async function benchPreview(runs = 5): Promise<{ lag: Measured; attach: Measured }> {
  const dir = repo();
  const lags: number[] = [];
  const gets: number[] = [];
  const attach: number[] = [];
  const version: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      rmSync(join(dir, "ready-at"), { force: true });
      const started = preview(dir, i === 0 ? [] : ["--restart"]);
      if (started.status !== "live") throw new Error(`the bench app did not go live: ${JSON.stringify(started)}`);
      const ready = Number(readFileSync(join(dir, "ready-at"), "utf8"));
      lags.push(Date.parse(started.state.live_at) - ready);
      gets.push(await threeGets(started.state.url));
      version.push(spawnWall([BIN, "version"], dir));
      const t = performance.now();
      const again = preview(dir, []);
      attach.push(performance.now() - t);
      if (again.status !== "live") throw new Error("the attach did not find the app live");
    }
  } finally {
    Bun.spawnSync([BIN, "preview", "stop"], { cwd: dir, env: env() });
  }
  return {
    lag: { median: median(lags), floor: median(gets), runs },
    attach: { median: median(attach), floor: median(version), runs },
  };
}

if (import.meta.main) console.log(await benchPreview());
