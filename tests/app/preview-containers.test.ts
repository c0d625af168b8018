// `loki preview` on container projects, end to end through the CLI with real podman: a three-service
// compose stack surfaces its web service (not the database), goes live on loki's own health probes,
// and `loki preview stop` takes the whole stack down — also after its supervisor was killed outright;
// a Dockerfile project builds and runs the same way. Images are built from scratch, never pulled.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { projectName } from "../../src/app/launch.ts";
import { loki } from "../helpers/cli.ts";
import { ensureTestImage, freePort, podmanEnv, podmanReady, projectLeftovers, TEST_IMAGE } from "../helpers/podman.ts";
import { tmpdir } from "../helpers/tmp.ts";
import { fixtureRepo } from "../helpers/preview.ts";

const skip = podmanReady();
const dirs: string[] = [];
beforeAll(() => {
  if (!skip) ensureTestImage();
});
afterAll(async () => {
  // A repository `await using` already removed was stopped by its own test.
  for (const dir of dirs.filter((d) => existsSync(d))) await loki(["preview", "stop"], { cwd: dir, env: podmanEnv() });
});

describe.skipIf(skip !== null)(`loki preview with containers${skip ? ` (skipped: ${skip})` : ""}`, () => {
  test("a compose stack: the web service is surfaced and live; stop leaves nothing of the project", async () => {
    const dir = fixtureRepo("compose-stack");
    dirs.push(dir);
    // A PATH without /usr/sbin (as some CI runners and login shells have it): podman's network backend
    // still finds iptables, because loki puts the system directories back for the engine.
    const noSbin = (process.env.PATH ?? "")
      .split(":")
      .filter((part) => !/\/sbin$/.test(part))
      .join(":");
    const env = { ...podmanEnv(), WEB_PORT: String(await freePort()), DB_PORT: String(await freePort()), PATH: noSbin };
    const started = await loki(["preview", "--no-open", "--json", "--wait", "90"], { cwd: dir, env });
    const { status, state } = started.json<{
      status: string;
      state: { url: string; port: number; port_source: string; kind: string; project: string };
    }>();
    expect(status, started.stderr + readFileSync(join(dir, ".loki", "app", "app.log"), "utf8").slice(-2000)).toBe("live");
    expect(state).toMatchObject({ kind: "compose", port_source: "compose", port: Number(env.WEB_PORT), project: projectName(dir) });
    expect(state.port).not.toBe(Number(env.DB_PORT));
    const detection = JSON.parse(readFileSync(join(dir, ".loki", "app", "detection.json"), "utf8"));
    expect(detection.compose).toMatchObject({ primary: "web", file: "compose.yaml" });
    expect(detection.compose.primary_why).toContain("web");
    // db was healthy before api started: api exits at once otherwise.
    const log = readFileSync(join(dir, ".loki", "app", "app.log"), "utf8");
    expect(log.indexOf("loki: db is healthy")).toBeGreaterThan(0);
    expect(log.indexOf("loki: db is healthy")).toBeLessThan(log.indexOf("api | api: db answered"));
    expect((await fetch(state.url)).status).toBe(200);
    await loki(["preview", "stop"], { cwd: dir, env });
    expect(projectLeftovers(state.project)).toMatchObject({ containers: [], networks: [] });
  }, 150_000);

  test("a stack that bind-mounts the repository root sees loki's copy: no .loki/, .git/ or spec, and writes stay there", async () => {
    const compose = [
      "services:",
      "  web:",
      `    image: ${TEST_IMAGE}`,
      `    command: ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /srv && ls -a /app > /srv/index.html; cat /app/prd.md >> /srv/index.html; echo planted > /app/planted.txt; httpd -f -p 8080 -h /srv & wait"]`,
      '    volumes: [".:/app"]',
      '    ports: ["127.0.0.1:${WEB_PORT:-18090}:8080"]',
      "",
    ].join("\n");
    await using repo = await tmpdir({
      commit: true,
      files: {
        "compose.yaml": compose,
        "prd.md": "# Notes\n\n## Acceptance criteria\n- [ ] the secret held-out sentence\n",
        "app.txt": "x",
      },
    });
    dirs.push(repo.path);
    const env = { ...podmanEnv(), WEB_PORT: String(await freePort()) };
    // The spec the run builds is prd.md (loki plan records it): the stack must not see it.
    expect((await loki(["plan", "prd.md"], { cwd: repo.path, env })).code).toBe(0);
    try {
      const started = await loki(["preview", "--no-open", "--json", "--wait", "90"], { cwd: repo.path, env });
      const { status, state } = started.json<{ status: string; state: { url: string } }>();
      expect(status, started.stderr + readFileSync(join(repo.path, ".loki", "app", "app.log"), "utf8").slice(-2000)).toBe("live");
      const page = await (await fetch(state.url)).text();
      expect(page).toContain("compose.yaml");
      expect(page).toContain("app.txt");
      for (const hidden of [".loki", ".git", "prd.md", "secret held-out"]) expect(page).not.toContain(hidden);
      expect(existsSync(join(repo.path, "planted.txt"))).toBe(false);
    } finally {
      await loki(["preview", "stop"], { cwd: repo.path, env });
    }
  }, 150_000);

  test("a supervisor killed with SIGKILL leaves containers that `loki preview stop` removes", async () => {
    const dir = fixtureRepo("dockerfile");
    dirs.push(dir);
    const env = podmanEnv();
    const started = await loki(["preview", "--no-open", "--json", "--wait", "120"], { cwd: dir, env });
    const { status, state } = started.json<{ status: string; state: { url: string; kind: string; supervisor: { pid: number } } }>();
    expect(status, started.stderr + readFileSync(join(dir, ".loki", "app", "app.log"), "utf8").slice(-2000)).toBe("live");
    expect(state.kind).toBe("dockerfile");
    expect((await fetch(state.url)).status).toBe(200);
    process.kill(state.supervisor.pid, "SIGKILL");
    const project = projectName(dir);
    expect(
      Bun.spawnSync(["podman", "ps", "-q", "--filter", `label=loki.preview=${project}`], { env: { ...process.env, ...env } })
        .stdout.toString()
        .trim(),
    ).not.toBe("");
    const stopped = await loki(["preview", "stop", "--json"], { cwd: dir, env });
    expect(stopped.json()).toMatchObject({ stopped: false });
    expect(
      Bun.spawnSync(["podman", "ps", "-aq", "--filter", `label=loki.preview=${project}`], { env: { ...process.env, ...env } })
        .stdout.toString()
        .trim(),
    ).toBe("");
    await expect(fetch(state.url, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
  }, 200_000);
});
