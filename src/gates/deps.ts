// Gate "deps": known-vulnerable dependencies at HEAD, run only when the diff touches a manifest or
// lockfile; an audit that cannot reach its registry is inconclusive, never a pass. LOKI_NPM_AUDIT_CMD
// (`sh -c`, prints `npm audit --json` output) replaces the Node audit: a mirror, a wrapper, a recording.
import { readdirSync } from "node:fs";
import { basename } from "node:path";
import { run, whichBinary, type ExecResult } from "../core/exec.ts";
import type { Finding, Severity } from "../core/schema.ts";
import { fingerprint, type Gate, type GateOutcome } from "./gate.ts";

export type Advisory = { pkg: string; severity: Severity; title: string; id: string };
export type Audit = { name: string; argv: string[]; file: string; parse: (json: unknown) => Advisory[] | null };
type Plan = { audits: Audit[]; unaudited: string[] };

const MANIFEST =
  /^(?:package\.json|package-lock\.json|npm-shrinkwrap\.json|bun\.lockb?|yarn\.lock|pnpm-lock\.yaml|requirements[\w.-]*\.txt|pyproject\.toml|poetry\.lock|uv\.lock|Pipfile(?:\.lock)?|Cargo\.(?:toml|lock)|go\.(?:mod|sum)|Gemfile(?:\.lock)?|pom\.xml|build\.gradle(?:\.kts)?)$/;
const LOCKFILE =
  /^(?:package-lock\.json|npm-shrinkwrap\.json|bun\.lockb?|yarn\.lock|pnpm-lock\.yaml|requirements[\w.-]*\.txt|poetry\.lock|uv\.lock|Pipfile\.lock|Cargo\.lock|go\.sum|Gemfile\.lock|pom\.xml|build\.gradle(?:\.kts)?)$/;
const NETWORK =
  /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|getaddrinfo|socket hang up|Could not resolve host|name resolution|Connection refused|network is unreachable|network error/i;
const DEFAULT_TIMEOUT_MS = 5 * 60_000;
const NO_TOOL = "no audit tool installed: install pip-audit/cargo-audit/osv-scanner";

export const depsGate: Gate = {
  id: "deps",
  title: "Dependency audit",
  when: ({ subject }) => {
    if (!subject.files.some((f) => isDependencyFile(f.path) || (f.oldPath !== undefined && isDependencyFile(f.oldPath))))
      return "no dependency changes";
    const { audits, unaudited } = planAudits(subject.root);
    if (audits.length > 0) return true;
    return unaudited.length === 0 ? "no lockfile" : `${NO_TOOL} (${unaudited.join(", ")})`;
  },
  run: async ({ subject, signal }) => {
    const { audits, unaudited } = planAudits(subject.root);
    const raw = Number(process.env.LOKI_AUDIT_TIMEOUT_MS);
    const timeoutMs = Number.isFinite(raw) && raw > 0 ? raw : DEFAULT_TIMEOUT_MS;
    const results = await Promise.all(
      audits.map(async (audit) => ({
        audit,
        result: await run(audit.argv, { cwd: subject.root, timeoutMs, env: { CI: "true" }, signal }),
      })),
    );
    return gradeAudits(results, unaudited);
  },
};

/** What can be audited at `root` with the tools installed, and the lockfiles nothing here can audit. */
export function planAudits(root: string, env: Record<string, string | undefined> = process.env): Plan {
  let names: string[] = [];
  try {
    names = readdirSync(root);
  } catch {
    return { audits: [], unaudited: [] };
  }
  const has = (name: string) => names.includes(name);
  const audits: Audit[] = [];
  const covered = new Set<string>();
  const node = ["package-lock.json", "npm-shrinkwrap.json", "bun.lock"].find(has);
  const nodeAudit = node === undefined ? null : planNodeAudit(node, env.LOKI_NPM_AUDIT_CMD?.trim());
  if (node !== undefined && nodeAudit !== null) {
    audits.push(nodeAudit);
    covered.add(node);
  }
  const requirements = names.filter((n) => /^requirements[\w.-]*\.txt$/.test(n)).sort();
  const pyFile = requirements.includes("requirements.txt")
    ? "requirements.txt"
    : (requirements[0] ?? (has("pyproject.toml") ? "pyproject.toml" : undefined));
  if (pyFile !== undefined && whichBinary("pip-audit") !== null) {
    audits.push({
      name: "pip-audit",
      argv: ["pip-audit", "-f", "json", ...(pyFile === "pyproject.toml" ? ["."] : ["-r", pyFile])],
      file: pyFile,
      parse: parsePipAudit,
    });
    for (const n of [...requirements, "poetry.lock", "uv.lock", "Pipfile.lock"]) covered.add(n);
  }
  if (has("Cargo.lock") && whichBinary("cargo-audit") !== null) {
    audits.push({ name: "cargo audit", argv: ["cargo", "audit", "--json"], file: "Cargo.lock", parse: parseCargoAudit });
    covered.add("Cargo.lock");
  }
  let unaudited = names.filter((n) => LOCKFILE.test(n) && !covered.has(n));
  if (pyFile === "pyproject.toml" && !audits.some((a) => a.name === "pip-audit")) unaudited.push("pyproject.toml");
  // osv-scanner reads every ecosystem's lockfile: it covers whatever the dedicated tools do not.
  if (unaudited.length > 0 && whichBinary("osv-scanner") !== null) {
    audits.push({
      name: "osv-scanner",
      argv: ["osv-scanner", "--format", "json", "--recursive", "."],
      file: unaudited[0] ?? ".",
      parse: parseOsv,
    });
    unaudited = [];
  }
  return { audits, unaudited };
}

function planNodeAudit(lockfile: string, override: string | undefined): Audit | null {
  if (override) return { name: "LOKI_NPM_AUDIT_CMD", argv: ["sh", "-c", override], file: lockfile, parse: parseNodeAudit };
  const [tool, args] = lockfile === "bun.lock" ? ["bun", ["audit", "--json"]] : ["npm", ["audit", "--json", "--omit=dev"]];
  const bin = whichBinary(tool);
  return bin === null ? null : { name: `${tool} audit`, argv: [bin, ...args], file: lockfile, parse: parseNodeAudit };
}

export function gradeAudits(results: { audit: Audit; result: ExecResult }[], unaudited: string[] = []): GateOutcome {
  const findings: Finding[] = [];
  const problems: string[] = [];
  const packages = new Set<string>();
  for (const { audit, result } of results) {
    const advisories = readReport(audit, result);
    if (typeof advisories === "string") problems.push(advisories);
    else {
      for (const a of advisories) {
        packages.add(a.pkg);
        findings.push({
          severity: a.severity,
          file: audit.file,
          message: `${a.pkg}: ${a.title} (${a.severity}, ${audit.name})`,
          rule: "vulnerable-dependency",
          fingerprint: fingerprint("vulnerable-dependency", audit.file, `${a.pkg} ${a.id}`),
        });
      }
    }
  }
  const ran = results.map((r) => r.audit.name).join(", ");
  const note = [...problems.slice(findings.length > 0 ? 0 : 1), ...(unaudited.length > 0 ? [`not audited: ${unaudited.join(", ")}`] : [])];
  const suffix = note.length > 0 ? ` (${note.join("; ")})` : "";
  const details = { audits: results.map(({ audit, result }) => ({ name: audit.name, exit_code: result.exitCode })), unaudited };
  if (findings.length > 0) {
    const bySeverity = (["critical", "high", "medium", "low"] as const)
      .map((s) => [s, findings.filter((f) => f.severity === s).length] as const)
      .filter(([, n]) => n > 0);
    const counts = bySeverity.map(([s, n]) => `${n} ${s}`).join(", ");
    return {
      status: "fail",
      reason: `${packages.size} vulnerable package${packages.size === 1 ? "" : "s"} (${counts}) — ${ran}${suffix}`,
      findings,
      details,
    };
  }
  if (problems.length > 0) return { status: "inconclusive", reason: `${problems[0]}${suffix}`, findings: [], details };
  return { status: "pass", reason: `no known vulnerabilities — ${ran}${suffix}`, findings: [], details };
}

/** The advisories in an audit's output, or why there is no report to read. */
function readReport(audit: Audit, result: ExecResult): Advisory[] | string {
  if (result.spawnError !== null) return `could not start ${audit.name}: ${result.spawnError}`;
  if (result.timedOut) return `${audit.name} timed out (raise LOKI_AUDIT_TIMEOUT_MS)`;
  let json: unknown = null;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    // not a report: the failure below says why
  }
  // Audits exit non-zero when they find something: the report, not the exit code, decides.
  const advisories = json === null ? null : audit.parse(json);
  if (advisories !== null) return advisories;
  // Some versions print a sentence instead of an empty report when there is nothing to report.
  if (result.exitCode === 0 && /^\s*No vulnerabilities found\s*$/i.test(result.stdout)) return [];
  const text = [str(obj(json).message), str(obj(obj(json).error).summary), result.stderr, result.stdout].join("\n");
  const line =
    text.split("\n").find((l) => NETWORK.test(l)) ??
    text.split("\n").find((l) => /\S/.test(l) && !/^npm warn/i.test(l)) ??
    `exit ${result.exitCode}`;
  const short = (line.includes("reason: ") ? line.slice(line.indexOf("reason: ") + 8) : line)
    .replace(/^(?:npm (?:error|warn)(?: audit)?|error:)\s*/i, "")
    .trim()
    .slice(0, 160);
  return NETWORK.test(text) ? `registry unreachable: ${short}` : `${audit.name} failed: ${short}`;
}

const obj = (x: unknown): Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : {};
const arr = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
const str = (x: unknown): string => (typeof x === "string" ? x : typeof x === "number" ? String(x) : "");

/** npm's and GitHub's words, CVSS scores, and none at all (pip-audit, cargo audit: medium). */
export function severityOf(raw: unknown): Severity {
  const text = str(raw).toLowerCase();
  const score = Number.parseFloat(text);
  if (!Number.isNaN(score) && /^[\d.]+$/.test(text)) return score >= 9 ? "critical" : score >= 7 ? "high" : score >= 4 ? "medium" : "low";
  if (text === "critical" || text === "high" || text === "low") return text;
  if (text === "info" || text === "negligible") return "low";
  return "medium";
}

/** npm audit v2 (`vulnerabilities`, one per package), v1 (`advisories`), and bun audit (name → advisories). */
export function parseNodeAudit(json: unknown): Advisory[] | null {
  const root = obj(json);
  if ("vulnerabilities" in root && ("auditReportVersion" in root || "metadata" in root)) {
    return Object.entries(obj(root.vulnerabilities)).map(([pkg, v]) => {
      const via = arr(obj(v).via);
      const direct = via.map((x) => str(obj(x).title)).filter((t) => t !== "");
      const title = direct.length > 0 ? direct.join("; ") : `via ${via.map(str).join(", ")}`;
      return { pkg, severity: severityOf(obj(v).severity), title, id: via.map((x) => str(obj(x).url) || str(x)).join(" ") };
    });
  }
  if ("advisories" in root)
    return Object.values(obj(root.advisories)).map((a) => ({
      pkg: str(obj(a).module_name),
      severity: severityOf(obj(a).severity),
      title: str(obj(a).title),
      id: str(obj(a).url) || str(obj(a).id),
    }));
  const entries = Object.entries(root);
  if (Array.isArray(json) || entries.some(([, v]) => !Array.isArray(v))) return null;
  return entries.flatMap(([pkg, list]) =>
    arr(list).map((a) => ({ pkg, severity: severityOf(obj(a).severity), title: str(obj(a).title), id: str(obj(a).url) || str(obj(a).id) })),
  );
}

/** pip-audit: `{dependencies: [{name, vulns: [{id, description}]}]}` (older: the bare array). */
export function parsePipAudit(json: unknown): Advisory[] | null {
  const deps = Array.isArray(json) ? json : obj(json).dependencies;
  if (!Array.isArray(deps)) return null;
  return deps.flatMap((d) =>
    arr(obj(d).vulns).map((v) => ({ pkg: str(obj(d).name), severity: severityOf(undefined), title: str(obj(v).id), id: str(obj(v).id) })),
  );
}

export function parseCargoAudit(json: unknown): Advisory[] | null {
  const list = obj(obj(json).vulnerabilities).list;
  if (!Array.isArray(list)) return null;
  return list.map((v) => {
    const advisory = obj(obj(v).advisory);
    return {
      pkg: str(obj(obj(v).package).name) || str(advisory.package),
      severity: severityOf(undefined),
      title: `${str(advisory.id)} ${str(advisory.title)}`.trim(),
      id: str(advisory.id),
    };
  });
}

/** osv-scanner: results → packages → vulnerabilities; GitHub's severity word, else the group's CVSS. */
export function parseOsv(json: unknown): Advisory[] | null {
  const results = obj(json).results;
  if (!Array.isArray(results)) return null;
  return results.flatMap((r) =>
    arr(obj(r).packages).flatMap((p) => {
      const groups = arr(obj(p).groups).map(obj);
      return arr(obj(p).vulnerabilities).map((v) => {
        const id = str(obj(v).id);
        const group = groups.find((g) => arr(g.ids).map(str).includes(id));
        const severity = severityOf(str(obj(obj(v).database_specific).severity) || str(group?.max_severity));
        return { pkg: str(obj(obj(p).package).name), severity, title: `${id} ${str(obj(v).summary)}`.trim(), id };
      });
    }),
  );
}

/** Whether a path is a dependency manifest or lockfile (what makes this gate run). */
export function isDependencyFile(path: string): boolean {
  return MANIFEST.test(basename(path));
}
