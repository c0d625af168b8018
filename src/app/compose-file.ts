// Finds the compose file at a repository root and chooses the primary web service (the one loki previews),
// with the sentence saying why; refuses a file the trust policy rejects. Pure apart from reading files.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ComposeChoice } from "../core/app-schema.ts";
import type { Env } from "./compose-interpolate.ts";
import { type ComposeModel, type ComposeService, readComposeModel } from "./compose-model.ts";
import { composePolicyProblems } from "./compose-policy.ts";
import type { PortMapping } from "./compose-ports.ts";

/** Looked for in this order, as docker compose does. */
export const COMPOSE_FILES = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"] as const;

/** Container ports web servers commonly listen on; a service publishing one is likely the app. */
export const WEB_PORTS: readonly number[] = [80, 443, 3000, 4173, 5000, 5173, 8000, 8080, 8081, 8888, 4200, 4321];

export const PRIMARY_LABEL = "loki.primary";

/** The compose file at `root`, relative to it, or null. */
export function findComposeFile(root: string): string | null {
  return COMPOSE_FILES.find((name) => existsSync(join(root, name))) ?? null;
}

type Primary = { service: ComposeService; why: string };

const tcp = (s: ComposeService) => s.ports.filter((p) => p.protocol === "tcp");
const webPort = (s: ComposeService) => tcp(s).find((p) => WEB_PORTS.includes(p.target));
const describe = (p: PortMapping) => (p.published === null ? `container port ${p.target}` : `port ${p.published}→${p.target}`);

/** The primary web service by the rules in order (label, name, common web port, any port), or a problem. */
export function choosePrimary(model: ComposeModel): Primary | { problem: string } {
  const services = model.services.filter((s) => s.active);
  const labelled = services.filter((s) => /^true$/i.test(s.labels[PRIMARY_LABEL] ?? ""));
  if (labelled.length > 1)
    return { problem: `${labelled.map((s) => s.name).join(" and ")} are all labelled ${PRIMARY_LABEL}=true in ${model.file}; keep one` };
  const [chosen] = labelled;
  if (chosen) {
    if (tcp(chosen).length === 0)
      return {
        problem: `${model.where(["services", chosen.name])}: ${chosen.name} is labelled ${PRIMARY_LABEL}=true but publishes no port; add ports:`,
      };
    return { service: chosen, why: `service ${chosen.name} is labelled ${PRIMARY_LABEL}=true in ${model.file}` };
  }
  for (const name of ["web", "app"]) {
    const named = services.find((s) => s.name === name && tcp(s).length > 0);
    if (named)
      return {
        service: named,
        why: `service ${name} is named "${name}" and publishes ${describe(webPort(named) ?? (tcp(named)[0] as PortMapping))}`,
      };
  }
  const common = services.find((s) => webPort(s));
  if (common) return { service: common, why: `service ${common.name} publishes common web ${describe(webPort(common) as PortMapping)}` };
  const any = services.find((s) => tcp(s).length > 0);
  if (any)
    return {
      service: any,
      why: `service ${any.name} is the first service that publishes a port (${describe(tcp(any)[0] as PortMapping)})`,
    };
  return {
    problem: `no service in ${model.file} publishes a port; add ports: ["8080:8080"] to the web service, or label it ${PRIMARY_LABEL}=true`,
  };
}

/**
 * The compose stack at `root` and its primary service, `{problem}` when loki must not (or cannot) run it,
 * null when there is no compose file. `env` is what `${VAR}` in the file reads (its `.env` wins).
 */
export function detectCompose(root: string, env: Env = process.env): { choice: ComposeChoice } | { problem: string } | null {
  const file = findComposeFile(root);
  if (file === null) return null;
  const { model, problems } = readComposeModel(root, file, env);
  if (!model) return { problem: problems.join("; ") };
  const policy = composePolicyProblems(model, root);
  if (policy.length > 0) return { problem: `loki will not run ${file}: ${policy.join("; ")}` };
  if (problems.length > 0) return { problem: `cannot run ${file}: ${problems.join("; ")}` };
  const primary = choosePrimary(model);
  if ("problem" in primary) return { problem: primary.problem };
  const port = webPort(primary.service) ?? tcp(primary.service)[0];
  if (!port) return { problem: `service ${primary.service.name} publishes no TCP port` };
  if (port.range)
    return {
      problem: `${model.where(["services", primary.service.name, "ports"])}: the primary service ${primary.service.name} publishes a port range (${port.raw}); publish one port, e.g. "8080:8080"`,
    };
  return {
    choice: {
      file,
      primary: primary.service.name,
      primary_why: `${primary.why}.`,
      container_port: port.target,
      host_port: port.published,
      services: model.services.filter((s) => s.active).map((s) => s.name),
    },
  };
}
