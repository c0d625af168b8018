// The trust policy for a compose file an untrusted agent wrote and the user's machine will run: every setting
// that reaches the host beyond the repository, as a sentence naming the line to fix. Pure apart from reading
// the file system (symlinks, an extended file); an empty list is the only pass.
import { existsSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { Env } from "./compose-interpolate.ts";
import { type ComposeModel, readComposeModel } from "./compose-model.ts";

type Path = (string | number)[];
type Check = { dir: string; root: string; home: string; env: Env; where: (path: Path) => string; problems: string[] };

const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
const truthy = (v: unknown) => v !== undefined && v !== null && v !== false && !/^(false|no|off|0|)$/i.test(String(v));
const HOST_NAMESPACES = ["network_mode", "pid", "ipc", "uts", "userns_mode", "cgroup"] as const;
const HOST_REACH = ["cap_add", "devices", "device_cgroup_rules", "security_opt", "volumes_from"] as const;

/** The real path of `path`, or of its nearest existing ancestor plus the rest (engines create missing bind sources). */
function realish(path: string): string {
  let probe = path;
  const rest: string[] = [];
  while (!existsSync(probe) && dirname(probe) !== probe) {
    rest.unshift(basename(probe));
    probe = dirname(probe);
  }
  try {
    return join(realpathSync(probe), ...rest);
  } catch {
    return path;
  }
}

/** Why a host path may not be used, or null when it stays inside the repository (and out of .git/ and .loki/). */
function pathProblem(c: Check, source: string): string | null {
  if (source.startsWith("~") && source !== "~" && !source.startsWith("~/")) return `${source} is in another user's home`;
  const expanded = source === "~" || source.startsWith("~/") ? join(c.home, source.slice(1)) : source;
  const real = realish(resolve(c.dir, expanded));
  if (/(^|\/)(docker|podman)\.sock$/.test(real) || /\/run\/(docker|podman)(\/|$)/.test(real))
    return `${source} is the container engine's socket (control of the whole host)`;
  const rel = relative(c.root, real);
  if (rel.startsWith("..") || isAbsolute(rel)) return `${source} is outside the repository`;
  const top = rel.split(sep)[0];
  if (top === ".git" || top === ".loki") return `${source} is inside the repository's ${top}/, which loki keeps from the app`;
  return null;
}

const pathLike = (s: string) => s.startsWith(".") || s.startsWith("/") || s.startsWith("~");

function checkVolume(c: Check, name: string, entry: unknown, at: Path): void {
  let source: string | undefined;
  if (typeof entry === "string") {
    const parts = entry.split(":");
    if (parts.length >= 2 && parts[0] && pathLike(parts[0])) source = parts[0];
  } else if (isMap(entry) && typeof entry.source === "string" && (entry.type === "bind" || pathLike(entry.source)))
    // A path is checked whatever the type says: an engine may take `type: volume, source: /etc` as a bind.
    source = entry.source;
  const why = source === undefined ? null : pathProblem(c, source);
  if (why)
    c.problems.push(`${c.where(at)}: service ${name} bind-mounts ${why}; mount a directory of the repository (./…) or a named volume`);
}

function checkPathSetting(c: Check, name: string, what: string, value: unknown, at: Path): void {
  if (typeof value !== "string" || value === "" || /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return;
  const why = pathProblem(c, value);
  if (why) c.problems.push(`${c.where(at)}: service ${name} ${what} ${why}`);
}

function checkBuild(c: Check, name: string, build: unknown, at: Path): void {
  if (typeof build === "string") return checkPathSetting(c, name, "builds from", build, at);
  if (!isMap(build)) return;
  checkPathSetting(c, name, "builds from", build.context, [...at, "context"]);
  const context = typeof build.context === "string" ? resolve(c.dir, build.context) : c.dir;
  if (typeof build.dockerfile === "string")
    checkPathSetting(c, name, "builds with", resolve(context, build.dockerfile), [...at, "dockerfile"]);
  for (const [key, value] of Object.entries(isMap(build.additional_contexts) ? build.additional_contexts : {}))
    checkPathSetting(c, name, `builds (additional context ${key}) from`, value, [...at, "additional_contexts", key]);
  if (truthy(build.privileged))
    c.problems.push(`${c.where([...at, "privileged"])}: service ${name} builds privileged; remove build.privileged`);
  if (build.network === "host")
    c.problems.push(`${c.where([...at, "network"])}: service ${name} builds on the host's network; remove build.network`);
  if (build.ssh !== undefined)
    c.problems.push(`${c.where([...at, "ssh"])}: service ${name} forwards the host's SSH agent into the build; remove build.ssh`);
}

function checkService(c: Check, name: string, raw: Record<string, unknown>, at: Path, depth: number): void {
  if (truthy(raw.privileged))
    c.problems.push(`${c.where([...at, "privileged"])}: service ${name} runs privileged (all of the host); remove privileged`);
  for (const key of HOST_NAMESPACES) {
    const value = raw[key];
    if (typeof value === "string" && (value === "host" || value.startsWith("container:")))
      c.problems.push(
        `${c.where([...at, key])}: service ${name} shares the ${value === "host" ? "host's" : "another container's"} namespace (${key}: ${value}); remove ${key}`,
      );
  }
  for (const key of HOST_REACH)
    if (list(raw[key]).length > 0)
      c.problems.push(`${c.where([...at, key])}: service ${name} sets ${key}, which reaches beyond its container; remove ${key}`);
  if (raw.cgroup_parent !== undefined)
    c.problems.push(`${c.where([...at, "cgroup_parent"])}: service ${name} sets cgroup_parent; remove it`);
  list(raw.volumes).forEach((entry, i) => checkVolume(c, name, entry, [...at, "volumes", i]));
  list(raw.env_file).forEach((entry, i) =>
    checkPathSetting(c, name, "reads env_file", isMap(entry) ? entry.path : entry, [
      ...at,
      "env_file",
      ...(Array.isArray(raw.env_file) ? [i] : []),
    ]),
  );
  if (raw.build !== undefined) checkBuild(c, name, raw.build, [...at, "build"]);
  if (isMap(raw.extends) && typeof raw.extends.file === "string") checkExtends(c, name, raw.extends, [...at, "extends"], depth);
}

/** An extended service is part of this one: its file must be in the repository, and its settings pass too. */
function checkExtends(c: Check, name: string, ext: Record<string, unknown>, at: Path, depth: number): void {
  const file = String(ext.file);
  const why = pathProblem(c, file);
  if (why) return void c.problems.push(`${c.where([...at, "file"])}: service ${name} extends ${why}`);
  if (depth >= 5) return void c.problems.push(`${c.where(at)}: service ${name} extends files more than 5 deep`);
  const rel = relative(c.root, realish(resolve(c.dir, file)));
  const { model, problems } = readComposeModel(c.root, rel, c.env);
  if (!model)
    return void c.problems.push(`${c.where([...at, "file"])}: service ${name} extends ${file}, which loki cannot read (${problems[0]})`);
  const base = model.services.find((s) => s.name === String(ext.service));
  if (base)
    checkService(
      { ...c, dir: model.dir, where: model.where },
      `${name} (extends ${base.name})`,
      base.raw,
      ["services", base.name],
      depth + 1,
    );
}

function checkTop(c: Check, top: Record<string, unknown>): void {
  if (top.include !== undefined)
    c.problems.push(`${c.where(["include"])}: include: is not followed by loki; put the services in this file`);
  for (const [name, vol] of Object.entries(isMap(top.volumes) ? top.volumes : {})) {
    if (!isMap(vol)) continue;
    if (truthy(vol.external))
      c.problems.push(`${c.where(["volumes", name])}: volume ${name} is external (data loki did not create); remove external`);
    const device = isMap(vol.driver_opts) ? vol.driver_opts.device : undefined;
    const why = typeof device === "string" && pathLike(device) ? pathProblem(c, device) : null;
    if (why) c.problems.push(`${c.where(["volumes", name, "driver_opts", "device"])}: volume ${name} binds ${why}`);
  }
  for (const section of ["secrets", "configs"] as const)
    for (const [name, item] of Object.entries(isMap(top[section]) ? top[section] : {})) {
      const why = isMap(item) && typeof item.file === "string" ? pathProblem(c, item.file) : null;
      if (why) c.problems.push(`${c.where([section, name, "file"])}: ${section.slice(0, -1)} ${name} reads ${why}`);
    }
  for (const [name, net] of Object.entries(isMap(top.networks) ? top.networks : {}))
    if (isMap(net) && (net.driver === "host" || net.name === "host"))
      c.problems.push(`${c.where(["networks", name])}: network ${name} is the host's network; remove it`);
}

/** Every way the stack would reach the host beyond the repository (or into its .git/ or .loki/); empty = allowed. */
export function composePolicyProblems(model: ComposeModel, root: string): string[] {
  let realRoot = root;
  try {
    realRoot = realpathSync(root);
  } catch {
    // a root that does not exist has nothing in it to protect; paths are compared as written
  }
  const home = model.env.HOME ?? homedir();
  const c: Check = { dir: model.dir, root: realRoot, home, env: model.env, where: model.where, problems: [] };
  for (const service of model.services) checkService(c, service.name, service.raw, ["services", service.name], 0);
  checkTop(c, model.top);
  return c.problems;
}
