// A Dockerfile app: the port its final stage EXPOSEs (pure), then for real with podman: built (without .loki/
// in the context, whatever .dockerignore says), published on 127.0.0.1:<loki's port>, a crash reported, stopped.
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exposedPort, launchDockerfile } from "../../src/app/dockerfile.ts";
import type { LaunchContext, Launched } from "../../src/app/launcher.ts";
import { ensureTestImage, freePort, httpStatus, podman, podmanEnv, podmanReady, until } from "../helpers/podman.ts";

const FIXTURES = join(import.meta.dir, "..", "fixtures", "apps");

describe("exposedPort", () => {
  test.each([
    ["FROM x\nEXPOSE 3000\n", 3000],
    ["FROM x\nexpose 5000/tcp 6000\n", 5000],
    ["FROM x\nEXPOSE 53/udp 8081\n", 8081],
    ["FROM x\nEXPOSE 3000-3005\n", 3000],
    ["FROM x\n# EXPOSE 1\nRUN echo \\\n  EXPOSE 2\n", null],
    ["FROM x\nARG PORT=4000\nEXPOSE $PORT\n", 4000],
    ["FROM x\nENV PORT 4100\nEXPOSE ${PORT}\n", 4100],
    ["FROM x\nEXPOSE ${UNSET:-4200}\n", 4200],
    ["FROM node AS build\nEXPOSE 9999\nFROM nginx\nCOPY --from=build /a /b\n", null],
    ["FROM node AS base\nEXPOSE 7000\nFROM base AS final\nRUN true\n", 7000],
    ["FROM --platform=linux/amd64 node AS one\nFROM one\nEXPOSE 8001\n", 8001],
    ["FROM scratch\n", null],
  ])("%j → %p", (text, port) => {
    expect(exposedPort(text)).toBe(port);
  });
});

const skip = podmanReady();
const names: string[] = [];
const tags: string[] = [];
const launched: Launched[] = [];

function fixture(name: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), "loki-dockerfile-")), name);
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

async function start(root: string): Promise<{ app: Launched; ctx: LaunchContext; name: string; log: () => string }> {
  const id = crypto.randomUUID().slice(0, 8);
  const [name, tag] = [`loki-test-df-${id}`, `localhost/loki-test-df-${id}:1`];
  names.push(name);
  tags.push(tag);
  let text = "";
  const ctx: LaunchContext = {
    root,
    port: await freePort(),
    env: { ...process.env, ...podmanEnv() },
    log: (chunk) => void (text += chunk),
  };
  const app = await launchDockerfile(ctx, "podman", tag, name);
  launched.push(app);
  return { app, ctx, name, log: () => text };
}

beforeAll(() => {
  if (!skip) ensureTestImage();
});

afterEach(async () => {
  for (const app of launched.splice(0)) await app.stop().catch(() => {});
  const leftover = names.splice(0);
  if (leftover.length > 0) podman(["rm", "-f", "-i", "-t", "0", ...leftover]);
  const images = tags.splice(0);
  if (images.length > 0) podman(["rmi", "-f", ...images]);
});

describe.skipIf(skip !== null)(`a Dockerfile on podman${skip ? ` (skipped: ${skip})` : ""}`, () => {
  test("built without .loki/, run with PORT=<EXPOSEd port> published on loki's port, stopped", async () => {
    const root = fixture("dockerfile");
    mkdirSync(join(root, ".loki"));
    writeFileSync(join(root, ".loki", "secret.txt"), "private run data\n");
    const { app, ctx, name } = await start(root);
    await until(async () => (await app.port()) !== null, 60_000, 250);
    expect(await app.port()).toEqual({ port: ctx.port, source: "env" });
    const base = `http://127.0.0.1:${ctx.port}`;
    expect(await until(async () => (await httpStatus(`${base}/www/index.html`)) === 200, 10_000)).toBe(true);
    expect(await (await fetch(`${base}/www/index.html`)).text()).toContain("dockerfile app");
    // The fixture's .dockerignore says !.loki: loki's own ignore file wins.
    expect(await httpStatus(`${base}/.dockerignore`)).toBe(200);
    expect(await httpStatus(`${base}/.loki/secret.txt`)).toBe(404);
    expect(podman(["exec", name, "sh", "-c", 'echo "$PORT"']).stdout.trim()).toBe("8000");
    expect(podman(["port", name, "8000/tcp"]).stdout.trim()).toBe(`127.0.0.1:${ctx.port}`);

    await app.stop();
    expect(await app.ended).toBe(`${name} was stopped by loki`);
    expect(podman(["container", "exists", name]).ok).toBe(false);
    await app.stop();
  });

  test("a container that crashes ends the app with its exit code, its output in the log", async () => {
    const { app, name, log } = await start(fixture("dockerfile-crash"));
    const how = await Promise.race([app.ended, Bun.sleep(30_000).then(() => "ended did not settle")]);
    expect(how).toBe(`${name} exited with code 3`);
    expect(log()).toContain("crash: giving up");
    await app.stop();
    expect(podman(["container", "exists", name]).ok).toBe(false);
  });

  test("a build that fails ends the app with the build's failing lines", async () => {
    const root = fixture("dockerfile-crash");
    writeFileSync(join(root, "Dockerfile"), "FROM localhost/loki-test-busybox:1\nCOPY missing-file /x\n");
    const { app, log } = await start(root);
    const how = await app.ended;
    expect(how).toStartWith("podman build failed:");
    expect(how).toContain("missing-file");
    expect(await app.port()).toBeNull();
    expect(log()).toContain("loki: podman build failed");
  });
});
