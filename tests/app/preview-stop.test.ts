// `loki preview stop` after the supervisor ended without recording its end (killed outright): the
// app's last record says stopped, as every reader already showed it, not the "live" it left behind.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loki } from "../helpers/cli.ts";
import { tmpdir } from "../helpers/tmp.ts";

const ENV = { LOKI_NO_AUTO_OPEN: "1" };
const rawState = (root: string) =>
  JSON.parse(readFileSync(join(root, ".loki", "app", "state.json"), "utf8")) as { status: string; supervisor: { pid: number } };

describe("loki preview stop", () => {
  test("a supervisor killed outright: the last record says stopped; a graceful one records it itself", async () => {
    await using repo = await tmpdir({ commit: true, files: { "index.html": "<h1>hi</h1>" } });
    const started = await loki(["preview", "--no-open", "--json"], { cwd: repo.path, env: ENV });
    expect(started.json<{ status: string }>().status).toBe("live");
    const { supervisor } = rawState(repo.path);
    process.kill(supervisor.pid, "SIGKILL");
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(supervisor.pid, 0);
        await Bun.sleep(20);
      } catch {
        break;
      }
    }
    expect(rawState(repo.path).status).toBe("live");
    expect((await loki(["preview", "stop"], { cwd: repo.path, env: ENV })).code).toBe(0);
    expect(rawState(repo.path).status).toBe("stopped");
    // The honest twin: stopped while its supervisor runs, which records its own end.
    expect((await loki(["preview", "--no-open", "--json"], { cwd: repo.path, env: ENV })).json<{ status: string }>().status).toBe("live");
    expect((await loki(["preview", "stop"], { cwd: repo.path, env: ENV })).code).toBe(0);
    expect(rawState(repo.path).status).toBe("stopped");
  }, 60_000);
});
