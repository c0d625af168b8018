// `loki dashboard` as a user runs it (the CLI bundle): on a finished run's repository it prints a
// link to 127.0.0.1 that serves the run's outcome and its proof; a bad --port is a usage error (exit 3);
// Ctrl+C ends it cleanly (exit 0).
import { describe, expect, test } from "bun:test";
import { cliBundle } from "../helpers/cli-bundle.ts";
import { signIn } from "../helpers/dashboard-session.ts";
import { NO_COUNCIL, scenarioRepo } from "../helpers/scenario.ts";

const CLI = cliBundle();

async function linkFrom(stream: ReadableStream<Uint8Array>): Promise<URL> {
  const reader = stream.getReader();
  let text = "";
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    const match = /http:\/\/127\.0\.0\.1:\d+\/\?k=[A-Za-z0-9_-]+/.exec(text);
    if (match) {
      reader.releaseLock();
      return new URL(match[0]);
    }
  }
  throw new Error(`no dashboard link printed:\n${text}`);
}

describe("loki dashboard", () => {
  test("on a finished run: the link serves its outcome and its proof; Ctrl+C ends it", async () => {
    await using s = await scenarioRepo("honest", NO_COUNCIL);
    expect((await s.loki(["start", "prd.md"])).code).toBe(0);
    const server = Bun.spawn([process.execPath, CLI, "dashboard", "--port", "0", "--no-open"], {
      cwd: s.path,
      env: { ...process.env, ...s.env },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const link = await linkFrom(server.stderr);
    const session = await signIn(link);
    const snapshot = (await (await session.get("/api/snapshot")).json()) as {
      outcome: { outcome: string; proof: { url: string } | null } | null;
      status: { status: string };
    };
    expect(snapshot.status.status).toBe("completed");
    expect(snapshot.outcome?.outcome).toBe("verified");
    expect(snapshot.outcome?.proof).not.toBeNull();
    // The proof page opens through a one-use key, sandboxed.
    const { url } = (await (await session.post("/api/proof/key", {})).json()) as { url: string };
    const proof = await fetch(new URL(url, link));
    expect(proof.status).toBe(200);
    expect(proof.headers.get("content-security-policy")).toContain("sandbox");
    expect(await proof.text()).toContain(s.completion().run_id);
    expect((await fetch(new URL(url, link))).status).toBe(401);
    const check = (await (await session.get("/api/proof/verify")).json()) as { status: string };
    expect(check.status).toBe("clean");
    // Without the token nothing of the run is served.
    expect((await fetch(new URL("/api/snapshot", link))).status).toBe(401);
    server.kill("SIGINT");
    expect(await server.exited).toBe(0);
  });

  test.each(["abc", "70000", "-1"])("--port %s is refused before anything is served (exit 3)", async (port) => {
    await using s = await scenarioRepo("honest", NO_COUNCIL);
    const result = await s.loki(["dashboard", "--port", port, "--no-open"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("--port");
    expect(result.stderr).not.toContain("    at ");
  });
});
