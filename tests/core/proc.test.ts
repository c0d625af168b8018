// Process identity (/proc start times) and exec's spawn watch, against real processes: a pid is
// confirmed only with its start time, a group outliving its leader is still found, and a watch sees
// exactly the children started within its own scope.
import { describe, expect, test } from "bun:test";
import { run, watchSpawns, type SpawnWatch } from "../../src/core/exec.ts";
import { groupMembers, processStartTime, sameProcess, signalGroup } from "../../src/core/proc.ts";
import { alive } from "../helpers/scenario.ts";

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await Bun.sleep(20);
  }
}

/** Start `script` under sh in its own process group (as every loki child is); resolves its pid. */
function startGroup(script: string): { pid: Promise<number>; done: ReturnType<typeof run> } {
  let resolvePid: (pid: number) => void = () => {};
  const pid = new Promise<number>((resolve) => {
    resolvePid = resolve;
  });
  const done = run(["sh", "-c", script], { onSpawn: (p) => resolvePid(p), timeoutMs: 60_000 });
  return { pid, done };
}

describe("process identity", () => {
  test("a live process is confirmed by pid and start time, never by a pid alone", async () => {
    const own = processStartTime(process.pid);
    expect(own).toBeGreaterThan(0);
    const child = startGroup("sleep 30");
    const pid = await child.pid;
    const start = processStartTime(pid);
    expect(start).not.toBeNull();
    expect(start ?? 0).toBeGreaterThanOrEqual(own ?? 0);
    expect(sameProcess(pid, start)).toBe(true);
    // The same pid with another start time is another process: what a reused pid looks like.
    expect(sameProcess(pid, (start ?? 0) + 1)).toBe(false);
    expect(sameProcess(pid, null)).toBe(false);
    expect(signalGroup(pid, "SIGKILL")).toBe(true);
    await child.done;
    expect(processStartTime(pid)).toBeNull();
    expect(sameProcess(pid, start)).toBe(false);
    expect(processStartTime(-1)).toBeNull();
    // Once the kernel has reaped the whole group (moments after its leader's exit is reported), it cannot be signalled.
    const until = Date.now() + 5000;
    while (signalGroup(pid, 0 as unknown as NodeJS.Signals) && Date.now() < until) await Bun.sleep(20);
    expect(signalGroup(pid, "SIGKILL")).toBe(false);
  });

  test("the members of a group are found after its leader exited, and only those started since", async () => {
    const child = startGroup("sleep 30 >/dev/null 2>&1 & echo $!");
    const leader = await child.pid;
    const start = processStartTime(leader) ?? 0;
    const result = await child.done;
    const sleeper = Number(result.stdout.trim());
    expect(processStartTime(leader)).toBeNull();
    expect(alive(sleeper)).toBe(true);
    expect(groupMembers(leader, start)).toEqual([sleeper]);
    expect(groupMembers(leader, (processStartTime(sleeper) ?? 0) + 1)).toEqual([]);
    expect(signalGroup(leader, "SIGKILL")).toBe(true);
    await until(() => !alive(sleeper));
    expect(groupMembers(leader, start)).toEqual([]);
  });
});

describe("exec's spawn watch", () => {
  function recorder() {
    const seen: string[] = [];
    const watch: SpawnWatch = {
      spawned: ({ pid, argv }) => seen.push(`+${pid} ${argv.join(" ")}`),
      exited: (pid) => seen.push(`-${pid}`),
    };
    return { seen, watch };
  }

  test("a watch hears of every child started in its scope, once started and once ended; none outside it", async () => {
    const a = recorder();
    const b = recorder();
    let pidA = 0;
    let pidB = 0;
    // Two scopes at once: each sees its own children only, however the work interleaves.
    await Promise.all([
      watchSpawns(a.watch, async () => {
        await Bun.sleep(5);
        await run(["sh", "-c", "sleep 0.2"], { onSpawn: (p) => (pidA = p) });
      }),
      watchSpawns(b.watch, async () => {
        await run(["true"], { onSpawn: (p) => (pidB = p) });
      }),
      run(["true"]),
    ]);
    expect(a.seen).toEqual([`+${pidA} sh -c sleep 0.2`, `-${pidA}`]);
    expect(b.seen).toEqual([`+${pidB} true`, `-${pidB}`]);
  });

  test("a watch that throws never turns a spawn into a throw", async () => {
    const broken: SpawnWatch = {
      spawned: () => {
        throw new Error("disk full");
      },
      exited: () => {
        throw new Error("disk full");
      },
    };
    const result = await watchSpawns(broken, () => run(["sh", "-c", "echo ok"]));
    expect(result).toMatchObject({ ok: true, stdout: "ok\n" });
  });
});
