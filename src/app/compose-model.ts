// Reads a compose file into what loki needs to run it: each service's labels, ports, dependencies (with their
// conditions) and healthcheck, the start order, and the line of any setting (for messages). Pure apart from
// reading the file and its `.env`; never runs anything.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { composeEnv, type Env, interpolate } from "./compose-interpolate.ts";
import { type PortMapping, parsePort } from "./compose-ports.ts";

export type DependencyCondition = "service_started" | "service_healthy" | "service_completed_successfully";
export type Dependency = { service: string; condition: DependencyCondition; required: boolean };

export type Healthcheck = {
  /** The argv to exec in the container (CMD-SHELL becomes /bin/sh -c); null when disabled (NONE, `disable: true`). */
  test: string[] | null;
  intervalMs: number | null;
  timeoutMs: number | null;
  retries: number | null;
  startPeriodMs: number | null;
};

export type ComposeService = {
  name: string;
  labels: Record<string, string>;
  ports: PortMapping[];
  depends_on: Dependency[];
  /** null when the file declares none (the image's own HEALTHCHECK, if any, applies). */
  healthcheck: Healthcheck | null;
  /** false when `profiles:` keeps it out of a plain `up` (COMPOSE_PROFILES names none of them). */
  active: boolean;
  /** The service as written, interpolated: what the trust policy reads. */
  raw: Record<string, unknown>;
};

export type ComposeModel = {
  /** The compose file, relative to the repository root. */
  file: string;
  /** Absolute directory of the file: where relative paths in it start. */
  dir: string;
  services: ComposeService[];
  /** Top-level sections other than services (volumes, secrets, configs, include, …), interpolated. */
  top: Record<string, unknown>;
  /** Active services, each after everything it depends on. */
  order: string[];
  /** The environment the file was read in (and that the engine gets). */
  env: Env;
  /** "compose.yaml:12": where a setting is, or the nearest enclosing one that has a line. */
  where: (path: (string | number)[]) => string;
};

const CONDITIONS: readonly DependencyCondition[] = ["service_started", "service_healthy", "service_completed_successfully"];
const DURATION_PART = /(\d+(?:\.\d+)?)(us|µs|ms|s|m|h)/g;
const UNIT_MS: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

/** A compose duration ("1m30s", "500ms", or a number of seconds) in ms; undefined when absent, NaN when unreadable. */
export function parseDuration(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number") return value * 1000;
  const text = String(value).trim();
  if (text.replace(DURATION_PART, "") !== "" || text === "") return Number.NaN;
  let ms = 0;
  for (const m of text.matchAll(DURATION_PART)) ms += Number(m[1]) * (UNIT_MS[m[2] ?? "s"] ?? 1000);
  return ms;
}

/** `labels:` as a map or as a list of "k=v". */
export function readLabels(value: unknown): Record<string, string> {
  if (isMap(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, v === null ? "" : String(v)]));
  if (!Array.isArray(value)) return {};
  return Object.fromEntries(
    value.map((item) => {
      const text = String(item);
      const eq = text.indexOf("=");
      return eq < 0 ? [text, ""] : [text.slice(0, eq), text.slice(eq + 1)];
    }),
  );
}

function readDependencies(name: string, value: unknown, problems: string[]): Dependency[] {
  if (Array.isArray(value)) return value.map((service) => ({ service: String(service), condition: "service_started", required: true }));
  if (!isMap(value)) return [];
  return Object.entries(value).map(([service, spec]) => {
    const raw = isMap(spec) && spec.condition !== undefined ? String(spec.condition) : "service_started";
    const condition = CONDITIONS.find((c) => c === raw);
    if (!condition) problems.push(`service ${name}: depends_on ${service} has unknown condition "${raw}"`);
    const required = !(isMap(spec) && (spec.required === false || spec.required === "false"));
    return { service, condition: condition ?? "service_started", required };
  });
}

function readHealthcheck(name: string, value: unknown, problems: string[]): Healthcheck | null {
  if (!isMap(value)) return null;
  const duration = (key: string): number | null => {
    const ms = parseDuration(value[key]);
    if (ms !== undefined && Number.isNaN(ms))
      problems.push(`service ${name}: healthcheck ${key} "${String(value[key])}" is not a duration`);
    return ms === undefined || Number.isNaN(ms) ? null : ms;
  };
  const retries = value.retries === undefined ? null : Number(value.retries);
  const timing = {
    intervalMs: duration("interval"),
    timeoutMs: duration("timeout"),
    retries: retries !== null && Number.isFinite(retries) ? retries : null,
    startPeriodMs: duration("start_period"),
  };
  if (value.disable === true || value.disable === "true") return { test: null, ...timing };
  const test = value.test;
  if (typeof test === "string") return { test: ["/bin/sh", "-c", test], ...timing };
  if (!Array.isArray(test) || test.length === 0) return null;
  const [kind, ...rest] = test.map(String);
  if (kind === "NONE") return { test: null, ...timing };
  if (kind === "CMD" && rest.length > 0) return { test: rest, ...timing };
  if (kind === "CMD-SHELL" && rest.length > 0) return { test: ["/bin/sh", "-c", rest.join(" ")], ...timing };
  problems.push(`service ${name}: healthcheck test ${JSON.stringify(test)} must start with CMD, CMD-SHELL or NONE`);
  return null;
}

/** Active services in dependency order (declared order among equals); a cycle is a problem. */
export function startOrder(services: ComposeService[], problems: string[]): string[] {
  const active = new Map(services.filter((s) => s.active).map((s) => [s.name, s]));
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      problems.push(`depends_on has a cycle: ${[...trail.slice(trail.indexOf(name)), name].join(" → ")}`);
      return;
    }
    state.set(name, "visiting");
    for (const dep of active.get(name)?.depends_on ?? []) if (active.has(dep.service)) visit(dep.service, [...trail, name]);
    state.set(name, "done");
    order.push(name);
  };
  for (const name of active.keys()) visit(name, []);
  return order;
}

function readService(name: string, raw: Record<string, unknown>, profiles: string[], problems: string[]): ComposeService {
  const ports: PortMapping[] = [];
  for (const entry of Array.isArray(raw.ports) ? raw.ports : []) {
    const port = parsePort(entry);
    if ("problem" in port) problems.push(`service ${name}: ${port.problem}`);
    else ports.push(port);
  }
  const wanted = Array.isArray(raw.profiles) ? raw.profiles.map(String) : [];
  return {
    name,
    labels: readLabels(raw.labels),
    ports,
    depends_on: readDependencies(name, raw.depends_on, problems),
    healthcheck: readHealthcheck(name, raw.healthcheck, problems),
    active: wanted.length === 0 || wanted.some((p) => profiles.includes(p)),
    raw,
  };
}

/**
 * Reads `file` (relative to `root`) in `env` plus its `.env`. `model` is null only when the file cannot be
 * read as YAML with a `services` map; `problems` are sentences that make loki refuse to run it.
 */
export function readComposeModel(root: string, file: string, env: Env): { model: ComposeModel | null; problems: string[] } {
  const path = join(root, file);
  const dir = dirname(path);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    return { model: null, problems: [`cannot read ${file}: ${(error as Error).message}`] };
  }
  const lineCounter = new LineCounter();
  // Merge keys (<<: *base) are common in compose files; duplicate keys are an error, never "last one wins".
  const doc = parseDocument(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const line = first ? lineCounter.linePos(first.pos[0]).line : 0;
    return { model: null, problems: [`${file}:${line} is not valid YAML: ${first?.message.split("\n")[0] ?? "parse error"}`] };
  }
  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { model: null, problems: [`${file} cannot be read: ${(error as Error).message}`] };
  }
  if (!isMap(js) || !isMap(js.services)) return { model: null, problems: [`${file} has no services: map`] };
  const problems: string[] = [];
  const fullEnv = composeEnv(dir, env);
  const data = interpolate(js, fullEnv, problems) as Record<string, unknown>;
  const profiles = (fullEnv.COMPOSE_PROFILES ?? "").split(",").map((p) => p.trim());
  const services: ComposeService[] = [];
  for (const [name, raw] of Object.entries(data.services as Record<string, unknown>)) {
    if (!isMap(raw)) problems.push(`service ${name} is not a map`);
    else services.push(readService(name, raw, profiles, problems));
  }
  const names = new Set(services.map((s) => s.name));
  for (const s of services)
    for (const dep of s.depends_on)
      if (!names.has(dep.service)) problems.push(`service ${s.name} depends on ${dep.service}, which is not a service`);
  const { services: _services, ...top } = data;
  const where = (keys: (string | number)[]): string => {
    for (let n = keys.length; n > 0; n--) {
      const node = doc.getIn(keys.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return `${file}:${lineCounter.linePos(node.range[0]).line}`;
    }
    return file;
  };
  return { model: { file, dir, services, top, order: startOrder(services, problems), env: fullEnv, where }, problems };
}
