// loki writes its output straight to the file descriptor (core/stdio.ts). A stdout that would block —
// a non-blocking pipe whose reader is slow — must still get every byte, in order; a stdout that
// cannot be written (a full device) is exit 3 with the reason, never a stack and never 0.
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { cliBundle } from "../helpers/cli-bundle.ts";
import { loki } from "../helpers/cli.ts";
import { tmpdir } from "../helpers/tmp.ts";

/** Runs `argv` with stdout on a non-blocking pipe of one page that is read only after a pause, so
 *  the writer meets EAGAIN (python3: Bun cannot size a pipe or make a child's end non-blocking). */
const SLOW_READER = `
import fcntl, os, subprocess, sys, time
r, w = os.pipe()
fcntl.fcntl(w, 1031, 4096)  # F_SETPIPE_SZ: the smallest pipe
os.set_blocking(w, False)
child = subprocess.Popen(sys.argv[1:], stdout=w, stderr=subprocess.PIPE)
os.close(w)
time.sleep(0.5)
data = b""
while True:
    chunk = os.read(r, 65536)
    if not chunk:
        break
    data += chunk
err = child.stderr.read()
code = child.wait()
sys.stdout.buffer.write(data)
sys.stderr.buffer.write(err)
sys.exit(code)
`;

describe("stdout that is not a plain, ready pipe", () => {
  test.skipIf(!existsSync("/usr/bin/python3"))("a non-blocking pipe read late gets the whole output, in order", async () => {
    await using dir = await tmpdir();
    const expected = (await loki(["completion", "bash"], { cwd: dir.path })).stdout;
    expect(expected.length).toBeGreaterThan(8192);
    const proc = Bun.spawn(["/usr/bin/python3", "-c", SLOW_READER, process.execPath, cliBundle(), "completion", "bash"], {
      cwd: dir.path,
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toBe(expected);
  });

  test.skipIf(!existsSync("/dev/full"))("a full device: exit 3 and the reason on stderr", async () => {
    await using dir = await tmpdir();
    const proc = Bun.spawn(["sh", "-c", '"$1" "$2" completion bash > /dev/full', "sh", process.execPath, cliBundle()], {
      cwd: dir.path,
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    expect(code).toBe(3);
    expect(stderr).toContain("could not write stdout");
    expect(stderr).not.toMatch(/^\s+at /m);
  });
});
