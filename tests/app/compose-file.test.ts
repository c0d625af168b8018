// The compose file, read without running anything: ports in every form, ${VAR} interpolation and .env, the
// primary service rules, depends_on and healthchecks, start order, and the trust policy's true and false samples.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { choosePrimary, detectCompose, findComposeFile } from "../../src/app/compose-file.ts";
import { healthBudgetMs } from "../../src/app/compose-health.ts";
import { interpolate, parseDotenv } from "../../src/app/compose-interpolate.ts";
import { type ComposeModel, parseDuration, readComposeModel } from "../../src/app/compose-model.ts";
import { composePolicyProblems } from "../../src/app/compose-policy.ts";
import { parsePort } from "../../src/app/compose-ports.ts";

const FIXTURES = join(import.meta.dir, "..", "fixtures", "apps");
const dirs: string[] = [];

function repo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "loki-compose-file-"));
  dirs.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, ".."), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

function model(
  yaml: string,
  env: Record<string, string> = {},
  extra: Record<string, string> = {},
): { root: string; model: ComposeModel; problems: string[] } {
  const root = repo({ "compose.yaml": yaml, ...extra });
  const read = readComposeModel(root, "compose.yaml", env);
  if (!read.model) throw new Error(read.problems.join("; "));
  return { root, model: read.model, problems: read.problems };
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("ports", () => {
  test.each([
    ["8080", { target: 8080, published: null, host_ip: null, protocol: "tcp", range: false }],
    [8080, { target: 8080, published: null, range: false }],
    ["18080:8080", { target: 8080, published: 18080, host_ip: null }],
    ["127.0.0.1:18080:8080/tcp", { target: 8080, published: 18080, host_ip: "127.0.0.1", protocol: "tcp" }],
    ["127.0.0.1::8080", { target: 8080, published: null, host_ip: "127.0.0.1" }],
    ["0:8080", { target: 8080, published: null }],
    ["[::1]:9000:80", { target: 80, published: 9000, host_ip: "::1" }],
    ["53:53/udp", { target: 53, published: 53, protocol: "udp" }],
    ["3000-3005", { target: 3000, published: null, range: true }],
    ["9090-9091:8080-8081", { target: 8080, published: 9090, range: true }],
    ["8000-8010:80", { target: 80, published: 8000, range: true }],
    [
      { target: 80, published: "8080" },
      { target: 80, published: 8080, range: false },
    ],
    [
      { target: 80, host_ip: "127.0.0.1", protocol: "TCP" },
      { target: 80, published: null, host_ip: "127.0.0.1", protocol: "tcp" },
    ],
    [
      { target: 80, published: "8000-8001" },
      { target: 80, published: 8000, range: true },
    ],
  ] as const)("%j", (entry, expected) => {
    expect(parsePort(entry)).toMatchObject(expected);
  });

  test.each(["web", "1:2:3:4", "70000", "8080:", "[::1:80", { published: 80 }, 80.5, null])("%j is a problem", (entry) => {
    expect(parsePort(entry)).toHaveProperty("problem");
  });
});

describe("interpolation", () => {
  const env = { SET: "v", EMPTY: "" };
  test.each([
    ["${SET}", "v"],
    ["$SET/x", "v/x"],
    ["${UNSET:-d}", "d"],
    ["${EMPTY:-d}", "d"],
    ["${EMPTY-d}", ""],
    ["${UNSET-d}", "d"],
    ["${SET:+alt}", "alt"],
    ["${EMPTY:+alt}", ""],
    ["${UNSET}", ""],
    ["$$SET", "$SET"],
    ["a$${SET}", "a${SET}"],
  ])("%s → %p", (text, expected) => {
    const problems: string[] = [];
    expect(interpolate(text, env, problems)).toBe(expected);
    expect(problems).toEqual([]);
  });

  test("a required variable that is unset, and nesting loki does not read, are problems", () => {
    const problems: string[] = [];
    interpolate({ services: { web: { image: "${IMAGE:?set IMAGE}", command: "${A:-${B}}" } } }, {}, problems);
    expect(problems).toEqual([
      "services.web.image: IMAGE must be set (set IMAGE)",
      'services.web.command: "${A:-${B}}" uses interpolation loki does not read (nested or malformed ${…}); write the value out',
    ]);
  });

  test(".env is read (quotes, export, comments) and wins over the environment, so every engine sees one value", () => {
    expect(parseDotenv("# c\nexport A=1\nB='two words'\nC=\"x\" \nD=3 # note\n")).toEqual({ A: "1", B: "two words", C: "x", D: "3" });
    const { model: m } = model(`services:\n  web:\n    image: x\n    ports: ["\${PORT:-1}:80"]\n`, { PORT: "2" }, { ".env": "PORT=3\n" });
    expect(m.services[0]?.ports[0]?.published).toBe(3);
    expect(m.env.PORT).toBe("3");
  });
});

describe("the primary service", () => {
  const primaryOf = (yaml: string) => {
    const p = choosePrimary(model(yaml).model);
    return "problem" in p ? p : { name: p.service.name, why: p.why };
  };

  test.each([
    [
      "label (map form) over a service named web",
      "services:\n  web: {image: x, ports: ['80']}\n  ui: {image: x, ports: ['9999'], labels: {loki.primary: true}}\n",
      "ui",
      "labelled loki.primary=true",
    ],
    [
      "label (list form)",
      "services:\n  a: {image: x, ports: ['9999']}\n  frontend: {image: x, ports: ['9998'], labels: ['loki.primary=true']}\n",
      "frontend",
      "labelled",
    ],
    ["named web", "services:\n  api: {image: x, ports: ['8080:8080']}\n  web: {image: x, ports: ['9000:9000']}\n", "web", 'named "web"'],
    ["named app", "services:\n  api: {image: x, ports: ['8080']}\n  app: {image: x, ports: ['9000']}\n", "app", 'named "app"'],
    [
      "web without ports falls through to a common web port",
      "services:\n  web: {image: x}\n  db: {image: x, ports: ['5432:5432']}\n  ui: {image: x, ports: ['15173:5173']}\n",
      "ui",
      "common web port 15173→5173",
    ],
    ["first service publishing any port", "services:\n  db: {image: x}\n  svc: {image: x, ports: ['9999:7777']}\n", "svc", "first service"],
  ])("%s", (_name, yaml, expected, why) => {
    const p = primaryOf(yaml);
    expect(p).toMatchObject({ name: expected });
    expect("why" in p ? p.why : "").toContain(why);
  });

  test.each([
    ["no service publishes a port", "services:\n  a: {image: x}\n", "no service in compose.yaml publishes a port"],
    [
      "two labelled services",
      "services:\n  a: {image: x, ports: ['1'], labels: ['loki.primary=true']}\n  b: {image: x, ports: ['2'], labels: {loki.primary: 'true'}}\n",
      "a and b are all labelled",
    ],
    [
      "a labelled service without ports",
      "services:\n  a: {image: x, labels: ['loki.primary=true']}\n",
      "compose.yaml:2: a is labelled loki.primary=true but publishes no port",
    ],
  ])("%s is a problem", (_name, yaml, message) => {
    expect(primaryOf(yaml)).toMatchObject({ problem: expect.stringContaining(message) });
  });

  test("a port range is refused for the primary only", () => {
    const root = repo({
      "compose.yaml": "services:\n  web:\n    image: x\n    ports: ['8000-8001:80']\n  db: {image: x, ports: ['6000-6001']}\n",
    });
    expect(detectCompose(root)).toEqual({
      problem: `compose.yaml:4: the primary service web publishes a port range (8000-8001:80); publish one port, e.g. "8080:8080"`,
    });
    const ok = repo({ "compose.yaml": "services:\n  web: {image: x, ports: ['8080:80']}\n  db: {image: x, ports: ['6000-6001']}\n" });
    expect(detectCompose(ok)).toMatchObject({ choice: { primary: "web", host_port: 8080, container_port: 80 } });
  });
});

describe("detection", () => {
  test("no compose file is null; the file names are looked for in docker compose's order", () => {
    expect(detectCompose(repo({ "README.md": "" }))).toBeNull();
    const both = repo({ "docker-compose.yml": "services: {}\n", "compose.yml": "services: {}\n", "docker-compose.yaml": "services: {}\n" });
    expect(findComposeFile(both)).toBe("compose.yml");
  });

  test("the fixtures: web chosen by name with the port from the environment; frontend by its label", () => {
    expect(detectCompose(join(FIXTURES, "compose-stack"), { WEB_PORT: "18111", DB_PORT: "18112" })).toEqual({
      choice: {
        file: "compose.yaml",
        primary: "web",
        primary_why: 'service web is named "web" and publishes port 18111→8080.',
        container_port: 8080,
        host_port: 18111,
        services: ["db", "api", "web"],
      },
    });
    expect(detectCompose(join(FIXTURES, "compose-label"), {})).toMatchObject({
      choice: {
        primary: "frontend",
        primary_why: "service frontend is labelled loki.primary=true in compose.yaml.",
        container_port: 3001,
        host_port: null,
      },
    });
  });

  test("broken YAML, duplicate keys and an unknown dependency are problems with a line", () => {
    expect(detectCompose(repo({ "compose.yaml": "services:\n  web: [\n" }))).toMatchObject({
      problem: expect.stringMatching(/^compose\.yaml:\d+ is not valid YAML/),
    });
    expect(detectCompose(repo({ "compose.yaml": "services:\n  web: {image: x}\n  web: {image: y}\n" }))).toMatchObject({
      problem: expect.stringContaining("compose.yaml:3 is not valid YAML"),
    });
    expect(detectCompose(repo({ "compose.yaml": "services:\n  web: {image: x, ports: ['80'], depends_on: [db]}\n" }))).toEqual({
      problem: "cannot run compose.yaml: service web depends on db, which is not a service",
    });
  });
});

describe("dependencies and healthchecks", () => {
  const yaml = `services:
  web:
    image: x
    depends_on: [api]
  api:
    image: x
    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully, required: false}
  migrate: {image: x, depends_on: {db: {condition: service_healthy}}}
  db:
    image: x
    healthcheck: {test: "pg_isready", interval: 1m30s, retries: 2, start_period: 500ms}
  cache: {image: x, healthcheck: {test: ["CMD", "redis-cli", "ping"]}}
  off: {image: x, healthcheck: {test: ["NONE"]}}
  disabled: {image: x, healthcheck: {disable: true, test: ["CMD", "x"]}}
  shell: {image: x, healthcheck: {test: ["CMD-SHELL", "curl -f http://localhost/"], timeout: 2s}}
  extra: {image: x, profiles: [debug]}
`;

  test("list and map forms, conditions, and a start order with every dependency first", () => {
    const { model: m, problems } = model(yaml);
    expect(problems).toEqual([]);
    const of = (name: string) => m.services.find((s) => s.name === name);
    expect(of("web")?.depends_on).toEqual([{ service: "api", condition: "service_started", required: true }]);
    expect(of("api")?.depends_on).toEqual([
      { service: "db", condition: "service_healthy", required: true },
      { service: "migrate", condition: "service_completed_successfully", required: false },
    ]);
    expect(m.order).toEqual(["db", "migrate", "api", "web", "cache", "off", "disabled", "shell"]);
    expect(of("extra")?.active).toBe(false);
    expect(readComposeModel(model(yaml).root, "compose.yaml", { COMPOSE_PROFILES: "debug" }).model?.order).toContain("extra");
  });

  test("healthcheck forms and the wait budget derived from them", () => {
    const { model: m } = model(yaml);
    const hc = (name: string) => m.services.find((s) => s.name === name)?.healthcheck;
    expect(hc("db")).toEqual({
      test: ["/bin/sh", "-c", "pg_isready"],
      intervalMs: 90_000,
      timeoutMs: null,
      retries: 2,
      startPeriodMs: 500,
    });
    expect(hc("cache")?.test).toEqual(["redis-cli", "ping"]);
    expect(hc("shell")).toMatchObject({ test: ["/bin/sh", "-c", "curl -f http://localhost/"], timeoutMs: 2000 });
    expect(hc("off")?.test).toBeNull();
    expect(hc("disabled")?.test).toBeNull();
    expect(hc("web")).toBeNull();
    expect(healthBudgetMs(hc("cache") ?? { test: null, intervalMs: null, timeoutMs: null, retries: null, startPeriodMs: null })).toBe(
      60_000,
    );
    expect(healthBudgetMs({ test: null, intervalMs: 1000, timeoutMs: null, retries: 5, startPeriodMs: null })).toBe(5000);
    expect(healthBudgetMs({ test: null, intervalMs: 500, timeoutMs: null, retries: 2, startPeriodMs: null })).toBe(3000);
    expect(healthBudgetMs({ test: null, intervalMs: 2000, timeoutMs: null, retries: 10, startPeriodMs: 5000 })).toBe(25_000);
    expect(healthBudgetMs(hc("db") ?? ({} as never))).toBe(180_500);
    expect([parseDuration("1h2m3.5s"), parseDuration(3), parseDuration("soon"), parseDuration(undefined)]).toEqual([
      3_723_500,
      3000,
      Number.NaN,
      undefined,
    ]);
  });

  test("a cycle and an unknown condition are problems", () => {
    const { problems } = model(
      "services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: {a: {condition: service_ready}}}\n",
    );
    expect(problems).toEqual(['service b: depends_on a has unknown condition "service_ready"', "depends_on has a cycle: a → b → a"]);
  });
});

describe("trust policy", () => {
  const service = (body: string) => `services:\n  web:\n    image: x\n    ports: ['8080']\n${body}`;
  // [what, service settings, the problem]: each reaches the host beyond the repository.
  test.each([
    ["bind mount of /", "    volumes: ['/:/host']\n", "compose.yaml:5: service web bind-mounts / is outside the repository"],
    ["bind mount of ../", "    volumes: ['../:/up']\n", "bind-mounts ../ is outside the repository"],
    ["bind mount of ~/.loki", "    volumes: ['~/.loki:/l:ro']\n", "bind-mounts ~/.loki is outside the repository"],
    ["bind mount of another user's home", "    volumes: ['~root/.ssh:/s']\n", "bind-mounts ~root/.ssh is in another user's home"],
    ["bind mount into .git/", "    volumes: ['./.git/hooks:/h']\n", "bind-mounts ./.git/hooks is inside the repository's .git/"],
    ["bind mount of .loki/", "    volumes: ['./.loki:/l']\n", "bind-mounts ./.loki is inside the repository's .loki/"],
    [
      "long-syntax bind outside",
      "    volumes:\n      - type: bind\n        source: /etc\n        target: /e\n",
      "compose.yaml:6: service web bind-mounts /etc is outside",
    ],
    ["a path under any volume type", "    volumes:\n      - {type: volume, source: /etc, target: /e}\n", "bind-mounts /etc is outside"],
    [
      "docker socket",
      "    volumes: ['/var/run/docker.sock:/var/run/docker.sock']\n",
      "bind-mounts /var/run/docker.sock is the container engine's socket",
    ],
    ["podman socket", "    volumes: ['/run/podman/podman.sock:/s']\n", "the container engine's socket"],
    ["privileged", "    privileged: true\n", "compose.yaml:5: service web runs privileged"],
    ["privileged: yes (YAML 1.1)", "    privileged: 'yes'\n", "runs privileged"],
    ["network_mode: host", "    network_mode: host\n", "shares the host's namespace (network_mode: host)"],
    ["network_mode: container:", "    network_mode: container:other\n", "another container's namespace"],
    ["pid: host", "    pid: host\n", "(pid: host)"],
    ["ipc: host", "    ipc: host\n", "(ipc: host)"],
    ["userns_mode: host", "    userns_mode: host\n", "(userns_mode: host)"],
    ["cap_add", "    cap_add: [SYS_ADMIN]\n", "sets cap_add"],
    ["devices", "    devices: ['/dev/kvm:/dev/kvm']\n", "sets devices"],
    ["security_opt", "    security_opt: ['seccomp:unconfined']\n", "sets security_opt"],
    ["volumes_from", "    volumes_from: [other]\n", "sets volumes_from"],
    ["env_file outside", "    env_file: ../secrets.env\n", "reads env_file ../secrets.env is outside"],
    ["build context outside", "    build: ..\n", "builds from .. is outside"],
    ["build dockerfile outside", "    build: {context: ., dockerfile: /etc/Dockerfile}\n", "builds with /etc/Dockerfile is outside"],
    ["build ssh", "    build: {context: ., ssh: [default]}\n", "forwards the host's SSH agent"],
    ["extends a file outside", "    extends: {file: ../base.yaml, service: web}\n", "extends ../base.yaml is outside the repository"],
    ["interpolated bind source", "    volumes: ['${SRC:-/}:/x']\n", "bind-mounts / is outside"],
  ])("%s", (_what, body, problem) => {
    const { root, model: m } = model(service(body));
    const problems = composePolicyProblems(m, root);
    expect(problems.join("\n")).toContain(problem);
  });

  test.each([
    ["a bind mount inside the repository", "    volumes: ['./www:/srv:ro', './data:/d', '.:/app']\n"],
    ["a named volume and an anonymous one", "    volumes: ['data:/var/lib/data', '/cache']\nvolumes:\n  data: {}\n"],
    ["a long-syntax bind inside", "    volumes:\n      - {type: bind, source: ./www, target: /srv}\n      - {type: tmpfs, target: /tmp}\n"],
    [
      "privileged: false, a build inside, an env_file inside",
      "    privileged: false\n    build: {context: ./app}\n    env_file: [.env.web]\n",
    ],
    ["network_mode of another service", "    network_mode: service:db\n"],
  ])("%s is allowed", (_what, body) => {
    const { root, model: m } = model(service(body));
    expect(composePolicyProblems(m, root)).toEqual([]);
  });

  test("a symlink in the repository that leads outside is outside", () => {
    const { root } = model(service("    volumes: ['./www:/srv']\n"));
    symlinkSync("/", join(root, "www"));
    const m = readComposeModel(root, "compose.yaml", {}).model as ComposeModel;
    expect(composePolicyProblems(m, root)).toEqual([
      "compose.yaml:5: service web bind-mounts ./www is outside the repository; mount a directory of the repository (./…) or a named volume",
    ]);
  });

  test("top level: external or device-bound volumes, secrets from outside, include, the host network", () => {
    const { root, model: m } = model(
      `${service("")}volumes:\n  ext: {external: true}\n  dev: {driver_opts: {type: none, o: bind, device: /srv}}\n  ok: {driver_opts: {device: ./data, o: bind}}\nsecrets:\n  key: {file: ~/.ssh/id_ed25519}\ninclude: [other.yaml]\nnetworks:\n  h: {name: host, external: true}\n`,
    );
    expect(composePolicyProblems(m, root)).toEqual([
      "compose.yaml:11: include: is not followed by loki; put the services in this file",
      "compose.yaml:6: volume ext is external (data loki did not create); remove external",
      "compose.yaml:7: volume dev binds /srv is outside the repository",
      "compose.yaml:10: secret key reads ~/.ssh/id_ed25519 is outside the repository",
      "compose.yaml:13: network h is the host's network; remove it",
    ]);
  });

  test("an extended service inside the repository is checked too", () => {
    const { root, model: m } = model(
      service("    extends: {file: base/common.yaml, service: base}\n"),
      {},
      {
        "base/common.yaml": "services:\n  base:\n    image: x\n    privileged: true\n    volumes: ['../www:/w', '../../:/up']\n",
      },
    );
    expect(composePolicyProblems(m, root)).toEqual([
      "base/common.yaml:4: service web (extends base) runs privileged (all of the host); remove privileged",
      "base/common.yaml:5: service web (extends base) bind-mounts ../../ is outside the repository; mount a directory of the repository (./…) or a named volume",
    ]);
  });

  test("detectCompose refuses the fixtures that mount /, ~/.loki and ../, and takes their twin that mounts ./www", () => {
    for (const [fixture, source] of [
      ["compose-mount-root", "/"],
      ["compose-mount-home", "~/.loki"],
      ["compose-mount-parent", "../"],
    ])
      expect(detectCompose(join(FIXTURES, fixture as string), {})).toEqual({
        problem: `loki will not run compose.yaml: compose.yaml:7: service web bind-mounts ${source} is outside the repository; mount a directory of the repository (./…) or a named volume`,
      });
    expect(detectCompose(join(FIXTURES, "compose-mount-www"), {})).toMatchObject({ choice: { primary: "web", host_port: 18080 } });
  });
});
