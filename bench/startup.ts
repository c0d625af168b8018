// `bun bench/startup.ts`: the compiled binary's startup — `loki version`, `loki status --json` in a
// repository with no run, the root help printed to a pipe — against its floor, a compiled hello-world
// built here the same way as dist/loki (bytecode, minified, split ESM) and spawned alternately with it,
// each read through a pipe as a script reads them.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { compileBinary } from "../scripts/build-binary.ts";
import { type Measured, paired, spawnWall } from "./measure.ts";

const ROOT = resolve(import.meta.dir, "..");
const BIN = join(ROOT, "dist", "loki");
const RUNS = 40;
/** Each command's wall as a multiple of the hello-world's. */
export const STARTUP_RATIO = 2;

/** The floor: `console.log("hello")` compiled by dist/loki's own build (scripts/build-binary.ts). */
async function helloWorld(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, "hello.ts");
  const outfile = join(dir, "hello");
  writeFileSync(entry, 'console.log("hello");\n');
  await compileBinary(entry, outfile);
  return outfile;
}

/** One row per command: its median wall and the hello-world's, in `repo` (a git repository with no run). */
export async function benchStartup(tmp: string, repo: string): Promise<{ name: string; measured: Measured }[]> {
  const hello = await helloWorld(join(tmp, "hello"));
  const commands: [string, string[]][] = [
    ["loki version", ["version"]],
    ["loki status --json (no run)", ["status", "--json"]],
    ["loki --help (to a pipe)", ["--help"]],
  ];
  const rows: { name: string; measured: Measured }[] = [];
  for (const [name, args] of commands)
    rows.push({
      name,
      measured: await paired(
        () => spawnWall([BIN, ...args], repo, "pipe"),
        () => spawnWall([hello], repo, "pipe"),
        RUNS,
        2,
      ),
    });
  return rows;
}

if (import.meta.main) {
  const tmp = join(ROOT, "bench", ".tmp");
  const repo = join(tmp, "startup-repo");
  mkdirSync(repo, { recursive: true });
  Bun.spawnSync(["git", "init", "-q", repo]);
  for (const { name, measured: m } of await benchStartup(tmp, repo)) {
    const ratio = m.median / m.floor;
    console.log(
      `${name.padEnd(30)} ${m.median.toFixed(1)} ms, hello-world ${m.floor.toFixed(1)} ms, ${ratio.toFixed(2)}× ${ratio <= STARTUP_RATIO ? "ok" : "OVER TARGET"}`,
    );
    if (ratio > STARTUP_RATIO) process.exitCode = 1;
  }
}
