// Runs real compose stacks with podman-compose and a busybox image built from scratch (no registry): start order
// with loki's own health waits, the primary's URL, a crashed primary, the policy refusing a stack before
// anything starts, and stop leaving nothing of the project behind.
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { detectCompose } from "../../src/app/compose-file.ts";
import { composeEngine, containerRuntime, type Engine } from "../../src/app/compose-engine.ts";
import { launchCompose } from "../../src/app/compose.ts";
import type { LaunchContext, Launched } from "../../src/app/launcher.ts";
import {
  cleanupProject,
  ensureTestImage,
  freePort,
  httpStatus,
  podman,
  podmanEnv,
  podmanReady,
  projectLeftovers,
  uniqueProject,
  until,
} from "../helpers/podman.ts";

const FIXTURES = join(import.meta.dir, "..", "fixtures", "apps");
const skip = podmanReady();
const ENGINE: Engine = { compose: ["podman-compose"], runtime: "podman", name: "podman-compose" };

const projects: string[] = [];
const launched: Launched[] = [];

function project(): string {
  const name = uniqueProject();
  projects.push(name);
  return name;
}

/** A copy of a fixture in a throwaway directory (a bind mount's source is created there, not in the repo). */
function copyFixture(name: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), "loki-compose-")), name);
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

type Captured = { ctx: LaunchContext; lines: () => string[] };

async function context(root: string, env: Record<string, string> = {}): Promise<Captured> {
  let text = "";
  const ctx: LaunchContext = {
    root,
    port: await freePort(),
    env: { ...process.env, ...podmanEnv(), ...env },
    log: (chunk) => void (text += chunk),
  };
  return { ctx, lines: () => text.split("\n") };
}

function containerOf(projectName: string, service: string): string {
  const r = podman([
    "ps",
    "-a",
    "-q",
    "--filter",
    `label=com.docker.compose.project=${projectName}`,
    "--filter",
    `label=com.docker.compose.service=${service}`,
  ]);
  return r.stdout.trim().split("\n")[0] ?? "";
}

const running = (container: string) => podman(["inspect", "--format", "{{.State.Running}}", container]).stdout.trim() === "true";

async function waitForPort(app: Launched): Promise<number> {
  let port: number | null = null;
  await until(async () => (port = (await app.port())?.port ?? null) !== null, 60_000, 250);
  if (port === null) throw new Error("the primary never got a port");
  return port;
}

beforeAll(() => {
  if (!skip) ensureTestImage();
});

afterEach(async () => {
  for (const app of launched.splice(0)) await app.stop().catch(() => {});
  for (const name of projects.splice(0)) cleanupProject(name);
});

describe.skipIf(skip !== null)(`compose stacks on podman${skip ? ` (skipped: ${skip})` : ""}`, () => {
  test("the engine is chosen at run time, and LOKI_COMPOSE overrides it", async () => {
    // PATH directories holding exactly the CLIs each case needs; a fake docker stands in for one with a daemon.
    const bin = (files: Record<string, string | null>) => {
      const dir = mkdtempSync(join(tmpdir(), "loki-bin-"));
      for (const [name, script] of Object.entries(files)) {
        const target = join(dir, name);
        if (script === null) symlinkSync(Bun.which(name) ?? name, target);
        else writeFileSync(target, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
      }
      return dir;
    };
    const env = { ...process.env, ...podmanEnv(), LOKI_COMPOSE: "" };
    const podmanOnly = bin({ podman: null, "podman-compose": null });
    // podman 4.3 has no `podman compose`: podman-compose it is.
    expect(await composeEngine({ ...env, PATH: podmanOnly })).toEqual(ENGINE);
    expect(await composeEngine({ ...env, PATH: bin({}) })).toBeNull();
    const docker: Engine = { compose: ["docker", "compose"], runtime: "docker", name: "docker compose" };
    expect(await composeEngine({ ...env, PATH: bin({ docker: "exit 0", podman: null, "podman-compose": null }) })).toEqual(docker);
    // A docker client whose daemon does not answer (`docker info` fails) is passed over.
    const noDaemon = bin({ docker: '[ "$1" = info ] && exit 1; exit 0', podman: null, "podman-compose": null });
    expect(await composeEngine({ ...env, PATH: noDaemon })).toEqual(ENGINE);
    expect(await composeEngine({ ...env, PATH: noDaemon, LOKI_COMPOSE: "podman-compose" })).toEqual(ENGINE);
    expect(await composeEngine({ ...env, LOKI_COMPOSE: "no-such-compose" })).toBeNull();
    // A Dockerfile needs only the runtime.
    expect(await containerRuntime({ ...env, PATH: bin({ podman: null }) })).toBe("podman");
    expect(await containerRuntime({ ...env, PATH: bin({ docker: "exit 0" }) })).toBe("docker");
    expect(await containerRuntime({ ...env, PATH: noDaemon })).toBe("podman");
    expect(await containerRuntime({ ...env, PATH: bin({}) })).toBeNull();
  });

  test("db → api → web start in order, web answers, a crashed web ends it while db stays up, stop leaves nothing", async () => {
    const root = copyFixture("compose-stack");
    const [webPort, dbPort] = [await freePort(), await freePort()];
    const env = { WEB_PORT: String(webPort), DB_PORT: String(dbPort) };
    const detected = detectCompose(root, { ...process.env, ...env });
    if (!detected || "problem" in detected) throw new Error(`not detected: ${JSON.stringify(detected)}`);
    expect(detected.choice.primary).toBe("web");
    const name = project();
    const { ctx, lines } = await context(root, env);
    const app = await launchCompose(ctx, detected.choice, ENGINE, name);
    launched.push(app);

    const port = await waitForPort(app);
    expect(port).toBe(webPort);
    expect(port).not.toBe(dbPort);
    expect(await app.port()).toEqual({ port: webPort, source: "compose" });
    expect(await until(async () => (await httpStatus(`http://127.0.0.1:${port}/`)) === 200, 10_000)).toBe(true);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain("compose-stack web");

    // loki waited for db's healthcheck before starting api, and api (which exits 3 if db does not answer) runs.
    const log = lines();
    const healthy = log.findIndex((l) => l.startsWith("loki: db is healthy"));
    const apiStart = log.indexOf("loki: starting api");
    expect(healthy).toBeGreaterThanOrEqual(0);
    expect(apiStart).toBeGreaterThan(healthy);
    expect(log.indexOf("loki: starting web")).toBeGreaterThan(apiStart);
    expect(log.indexOf("loki: starting db")).toBeLessThan(healthy);
    const [db, api, web] = [containerOf(name, "db"), containerOf(name, "api"), containerOf(name, "web")];
    expect(running(api)).toBe(true);
    expect(await until(() => lines().includes("api | api: db answered"), 5000)).toBe(true);

    podman(["kill", web]);
    const how = await Promise.race([app.ended, Bun.sleep(10_000).then(() => "ended did not settle")]);
    expect(how).toBe("web exited with code 137");
    expect(running(db)).toBe(true);

    await app.stop();
    expect(projectLeftovers(name)).toEqual({ containers: [], networks: [], volumes: [] });
    await app.stop();
  });

  test("a label picks the primary, and a port the engine assigned is asked of podman", async () => {
    const root = copyFixture("compose-label");
    const detected = detectCompose(root);
    if (!detected || "problem" in detected) throw new Error(`not detected: ${JSON.stringify(detected)}`);
    expect(detected.choice).toMatchObject({ primary: "frontend", container_port: 3001, host_port: null });
    const name = project();
    const { ctx } = await context(root);
    const app = await launchCompose(ctx, detected.choice, ENGINE, name);
    launched.push(app);
    const port = await waitForPort(app);
    expect(podman(["port", containerOf(name, "frontend"), "3001/tcp"]).stdout.trim()).toBe(`127.0.0.1:${port}`);
    expect(await until(async () => (await httpStatus(`http://127.0.0.1:${port}/`)) === 200, 10_000)).toBe(true);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain("compose-label frontend");
    await app.stop();
    expect(await app.ended).toBe("frontend was stopped by loki");
    expect(projectLeftovers(name).containers).toEqual([]);
  });

  test("a stack mounting /, ~/.loki or ../ is refused before anything starts; its honest twin (./www) runs", async () => {
    for (const [fixture, source] of [
      ["compose-mount-root", "/"],
      ["compose-mount-home", "~/.loki"],
      ["compose-mount-parent", "../"],
    ] as const) {
      const root = copyFixture(fixture);
      const detected = detectCompose(root);
      expect(detected && "problem" in detected ? detected.problem : "").toContain(`compose.yaml:7: service web bind-mounts ${source}`);
      // Launching it anyway (the file changed after detection) refuses too, and creates nothing.
      const name = project();
      const { ctx } = await context(root);
      const choice = { file: "compose.yaml", primary: "web", primary_why: "", container_port: 8080, host_port: 18080, services: ["web"] };
      const app = await launchCompose(ctx, choice, ENGINE, name);
      expect(await app.ended).toStartWith("loki will not run compose.yaml: compose.yaml:7: service web bind-mounts");
      expect(await app.port()).toBeNull();
      await app.stop();
      expect(projectLeftovers(name)).toEqual({ containers: [], networks: [], volumes: [] });
    }

    const root = copyFixture("compose-mount-www");
    const webPort = await freePort();
    const env = { WEB_PORT: String(webPort) };
    const detected = detectCompose(root, { ...process.env, ...env });
    if (!detected || "problem" in detected) throw new Error(`honest twin refused: ${JSON.stringify(detected)}`);
    const name = project();
    const { ctx } = await context(root, env);
    const app = await launchCompose(ctx, detected.choice, ENGINE, name);
    launched.push(app);
    expect(await waitForPort(app)).toBe(webPort);
    expect(await until(async () => (await httpStatus(`http://127.0.0.1:${webPort}/`)) === 200, 10_000)).toBe(true);
    await app.stop();
    expect(projectLeftovers(name)).toEqual({ containers: [], networks: [], volumes: [] });
  });
  test("a dependency that never becomes healthy stops the start, naming it and its last output", async () => {
    const root = copyFixture("compose-mount-www");
    writeFileSync(
      join(root, "compose.yaml"),
      `services:
  db:
    image: localhost/loki-test-busybox:1
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 60 & wait"]
    healthcheck: {test: ["CMD-SHELL", "cat /tmp/ready"], interval: 500ms, retries: 2}
  web:
    image: localhost/loki-test-busybox:1
    command: ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"]
    ports: ["127.0.0.1::8080"]
    depends_on: {db: {condition: service_healthy}}
`,
    );
    const detected = detectCompose(root);
    if (!detected || "problem" in detected) throw new Error(`not detected: ${JSON.stringify(detected)}`);
    const name = project();
    const { ctx, lines } = await context(root);
    const app = await launchCompose(ctx, detected.choice, ENGINE, name);
    launched.push(app);
    expect(await app.ended).toBe(
      "web was not started: db did not become healthy within 3 s (healthcheck `cat /tmp/ready`, last: exit 1: cat: can't open '/tmp/ready': No such file or directory)",
    );
    expect(lines()).not.toContain("loki: starting web");
    expect(await app.port()).toBeNull();
    expect(running(containerOf(name, "web"))).toBe(false);
    await app.stop();
    expect(projectLeftovers(name)).toEqual({ containers: [], networks: [], volumes: [] });
  });

  test("service_completed_successfully waits for a one-shot job to exit 0; leftovers of the project are swept first", async () => {
    const root = copyFixture("compose-mount-www");
    writeFileSync(
      join(root, "compose.yaml"),
      `services:
  migrate:
    image: localhost/loki-test-busybox:1
    command: ["sh", "-c", "echo 'migrate: running'; sleep 1; echo 'migrate: done'"]
  web:
    image: localhost/loki-test-busybox:1
    command: ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /srv & wait"]
    volumes: ["./www:/srv:ro"]
    ports: ["127.0.0.1::8080"]
    depends_on:
      migrate: {condition: service_completed_successfully}
`,
    );
    const detected = detectCompose(root);
    if (!detected || "problem" in detected) throw new Error(`not detected: ${JSON.stringify(detected)}`);
    const name = project();
    // A container an earlier run of this project left behind.
    const stale = podman([
      "create",
      "--label",
      `com.docker.compose.project=${name}`,
      "localhost/loki-test-busybox:1",
      "sleep",
      "60",
    ]).stdout.trim();
    const { ctx, lines } = await context(root);
    const app = await launchCompose(ctx, detected.choice, ENGINE, name);
    launched.push(app);
    const port = await waitForPort(app);
    expect(await until(async () => (await httpStatus(`http://127.0.0.1:${port}/`)) === 200, 10_000)).toBe(true);
    const log = lines();
    expect(log.indexOf("loki: migrate completed successfully")).toBeGreaterThan(log.indexOf("loki: starting migrate"));
    expect(log.indexOf("loki: starting web")).toBeGreaterThan(log.indexOf("loki: migrate completed successfully"));
    expect(podman(["container", "exists", stale]).ok).toBe(false);
    await app.stop();
    expect(projectLeftovers(name)).toEqual({ containers: [], networks: [], volumes: [] });
  });
});
