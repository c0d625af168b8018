// The kill -9 reliability experiment (bench/reliability.ts) at a small N, so CI runs it: a run killed
// after a random number of events and one killed between its summary and its proof both resume to
// the reference outcome, with every .loki file readable and nothing left running.
import { expect, test } from "bun:test";
import { resolve } from "node:path";

const SCRIPT = resolve(import.meta.dir, "..", "..", "bench", "reliability.ts");

test("bun run reliability --n 2: 2/2 resumed to the same outcome, 0 corrupt files, 0 orphans", async () => {
  const proc = Bun.spawn([process.execPath, SCRIPT, "--n", "2", "--seed", "7"], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  // Trial 2 is held before the proof: the kill lands between the summary and the proof.
  expect(stderr).toContain('trial 2: killed held before finish step "proof"');
  expect({ code, stdout: stdout.trim() }).toEqual({ code: 0, stdout: "2/2 resumed to the same outcome, 0 corrupt files, 0 orphans" });
}, 240_000);
