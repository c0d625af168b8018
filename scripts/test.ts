// `npm test`: the type check, the format check and the suite side by side — the suite leaves about a
// third of two cores idle (its tests wait on child processes), which the checks fill. The suite
// prints as it goes; each check prints its output once done. Exit 0 only when all three pass.

import { delimiter, join } from "node:path";

const SUITE = [process.execPath, "test", "--timeout", "60000", "--parallel=2", "--timings=tests/timings.json", "--only-failures"];
const CHECKS: Record<string, string[]> = {
  "tsc --noEmit": ["tsc", "--noEmit"],
  "biome format": ["biome", "format", "."],
};

// As npm runs scripts: the project's own tools first, also when this file is run directly.
const env = { ...process.env, PATH: [join(import.meta.dir, "..", "node_modules", ".bin"), process.env.PATH].join(delimiter) };
const started = performance.now();
const suite = Bun.spawn([...SUITE, ...process.argv.slice(2)], { env, stdio: ["inherit", "inherit", "inherit"] });
const checks = Object.entries(CHECKS).map(async ([name, argv]) => {
  const proc = Bun.spawn(argv, { env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { name, code, output: (stdout + stderr).trim() };
});
// Ctrl+C reaches every child through the terminal; end together on a signal from elsewhere too.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => suite.kill(signal));

const results = await Promise.all(checks);
const suiteCode = await suite.exited;
let failed = suiteCode !== 0;
for (const { name, code, output } of results) {
  if (code === 0) continue;
  failed = true;
  process.stderr.write(`\n${name} failed (exit ${code}):\n${output}\n`);
}
const seconds = ((performance.now() - started) / 1000).toFixed(0);
process.stderr.write(`\nnpm test: ${failed ? "FAILED" : "passed"} in ${seconds} s (${Object.keys(CHECKS).join(", ")}, bun test)\n`);
process.exit(failed ? 1 : 0);
