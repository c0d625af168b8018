// The deps gate without a network: recorded audit outputs per tool, every way an audit can fail to
// report (offline, an endpoint error, a timeout), what gets audited where, and when the gate runs.
import { describe, expect, test } from "bun:test";
import type { ExecResult } from "../../src/core/exec.ts";
import {
  depsGate,
  gradeAudits,
  isDependencyFile,
  parseCargoAudit,
  parseNodeAudit,
  parseOsv,
  parsePipAudit,
  planAudits,
  severityOf,
  type Audit,
} from "../../src/gates/deps.ts";
import type { ChangedFile, GateContext } from "../../src/gates/gate.ts";
import { NO_LINES } from "../../src/gates/diff-lines.ts";
import { Config } from "../../src/core/config.ts";
import { tmpdir } from "../helpers/tmp.ts";
import { subjectOf } from "../helpers/subject.ts";

const npmV2 = {
  auditReportVersion: 2,
  vulnerabilities: {
    minimist: {
      name: "minimist",
      severity: "critical",
      isDirect: false,
      via: [
        {
          source: 1097677,
          name: "minimist",
          title: "Prototype Pollution in minimist",
          url: "https://github.com/advisories/GHSA-xvch-5gv4-984h",
          severity: "critical",
          range: ">=1.0.0 <1.2.6",
        },
      ],
      effects: ["mkdirp"],
      range: "<=1.2.5",
      nodes: ["node_modules/minimist"],
      fixAvailable: true,
    },
    mkdirp: {
      name: "mkdirp",
      severity: "critical",
      isDirect: true,
      via: ["minimist"],
      effects: [],
      range: "0.4.1 - 0.5.1",
      nodes: ["node_modules/mkdirp"],
      fixAvailable: true,
    },
    "tough-cookie": {
      name: "tough-cookie",
      severity: "moderate",
      isDirect: true,
      via: [
        {
          source: 1097682,
          title: "tough-cookie Prototype Pollution vulnerability",
          url: "https://github.com/advisories/GHSA-72xf-g2v4-qvf3",
          severity: "moderate",
        },
      ],
      effects: [],
      range: "<4.1.3",
      nodes: [],
      fixAvailable: true,
    },
  },
  metadata: { vulnerabilities: { info: 0, low: 0, moderate: 1, high: 0, critical: 2, total: 3 } },
};
const bunAudit = {
  minimist: [
    {
      id: 1097677,
      url: "https://github.com/advisories/GHSA-xvch-5gv4-984h",
      title: "Prototype Pollution in minimist",
      severity: "critical",
      vulnerable_versions: ">=1.0.0 <1.2.6",
      cwe: ["CWE-1321"],
    },
  ],
  express: [
    {
      id: 1096820,
      url: "https://github.com/advisories/GHSA-qw6h-vgh9-j6wx",
      title: "express vulnerable to XSS via response.redirect()",
      severity: "low",
      vulnerable_versions: "<4.20.0",
    },
  ],
};

function result(stdout: string, over: Partial<ExecResult> = {}): ExecResult {
  const exitCode = over.exitCode === undefined ? 1 : over.exitCode;
  return {
    argv: ["npm"],
    exitCode,
    signal: null,
    timedOut: false,
    timeoutKind: null,
    spawnError: null,
    durationMs: 5,
    stdout,
    stderr: "",
    truncated: false,
    digest: "",
    ok: exitCode === 0,
    ...over,
  };
}
const npmAudit: Audit = { name: "npm audit", argv: ["npm", "audit", "--json"], file: "package-lock.json", parse: parseNodeAudit };

describe("audit report parsers", () => {
  test("npm v2: one advisory per vulnerable package; a transitive one names what it comes through", () => {
    expect(parseNodeAudit(npmV2)).toEqual([
      {
        pkg: "minimist",
        severity: "critical",
        title: "Prototype Pollution in minimist",
        id: "https://github.com/advisories/GHSA-xvch-5gv4-984h",
      },
      { pkg: "mkdirp", severity: "critical", title: "via minimist", id: "minimist" },
      {
        pkg: "tough-cookie",
        severity: "medium",
        title: "tough-cookie Prototype Pollution vulnerability",
        id: "https://github.com/advisories/GHSA-72xf-g2v4-qvf3",
      },
    ]);
  });

  test("bun audit's name → advisories map, npm v1 advisories, and an empty report", () => {
    expect(parseNodeAudit(bunAudit)?.map((a) => [a.pkg, a.severity])).toEqual([
      ["minimist", "critical"],
      ["express", "low"],
    ]);
    expect(
      parseNodeAudit({ advisories: { "1": { module_name: "lodash", severity: "high", title: "Prototype Pollution", url: "u" } } }),
    ).toEqual([{ pkg: "lodash", severity: "high", title: "Prototype Pollution", id: "u" }]);
    expect(parseNodeAudit({})).toEqual([]);
  });

  test("npm's error JSON is not a report", () => {
    expect(parseNodeAudit({ message: "request failed", error: { summary: "", detail: "" } })).toBeNull();
    expect(parseNodeAudit([1, 2])).toBeNull();
  });

  test("pip-audit, cargo audit and osv-scanner", () => {
    expect(
      parsePipAudit({
        dependencies: [
          { name: "jinja2", version: "2.4", vulns: [{ id: "PYSEC-2019-217", fix_versions: ["2.10.1"] }] },
          { name: "ok", version: "1", vulns: [] },
        ],
        fixes: [],
      }),
    ).toEqual([{ pkg: "jinja2", severity: "medium", title: "PYSEC-2019-217", id: "PYSEC-2019-217" }]);
    expect(
      parseCargoAudit({
        vulnerabilities: {
          found: true,
          count: 1,
          list: [
            {
              advisory: { id: "RUSTSEC-2020-0071", package: "time", title: "Potential segfault in the time crate" },
              package: { name: "time", version: "0.1.43" },
            },
          ],
        },
      }),
    ).toEqual([
      { pkg: "time", severity: "medium", title: "RUSTSEC-2020-0071 Potential segfault in the time crate", id: "RUSTSEC-2020-0071" },
    ]);
    const osv = {
      results: [
        {
          source: { path: "/r/go.sum", type: "lockfile" },
          packages: [
            {
              package: { name: "golang.org/x/net", version: "0.1.0", ecosystem: "Go" },
              vulnerabilities: [
                { id: "GO-2023-1571", summary: "Denial of service", database_specific: {} },
                { id: "GHSA-1", summary: "x", database_specific: { severity: "HIGH" } },
              ],
              groups: [{ ids: ["GO-2023-1571"], max_severity: "9.1" }],
            },
          ],
        },
      ],
    };
    expect(parseOsv(osv)?.map((a) => [a.pkg, a.severity, a.id])).toEqual([
      ["golang.org/x/net", "critical", "GO-2023-1571"],
      ["golang.org/x/net", "high", "GHSA-1"],
    ]);
    expect(parsePipAudit({ message: "x" })).toBeNull();
  });

  test.each([
    ["critical", "critical"],
    ["HIGH", "high"],
    ["moderate", "medium"],
    ["MODERATE", "medium"],
    ["low", "low"],
    ["info", "low"],
    ["7.5", "high"],
    ["3.1", "low"],
    ["", "medium"],
  ] as const)("severityOf(%p) → %p", (raw, expected) => {
    expect(severityOf(raw)).toBe(expected);
  });
});

describe("gradeAudits", () => {
  test("findings name the package and the lockfile, with stable fingerprints", () => {
    const outcome = gradeAudits([{ audit: npmAudit, result: result(JSON.stringify(npmV2)) }]);
    expect(outcome.status).toBe("fail");
    expect(outcome.reason).toBe("3 vulnerable packages (2 critical, 1 medium) — npm audit");
    expect(outcome.findings[0]).toMatchObject({
      severity: "critical",
      file: "package-lock.json",
      rule: "vulnerable-dependency",
      message: "minimist: Prototype Pollution in minimist (critical, npm audit)",
    });
    expect(gradeAudits([{ audit: npmAudit, result: result(JSON.stringify(npmV2)) }]).findings.map((f) => f.fingerprint)).toEqual(
      outcome.findings.map((f) => f.fingerprint),
    );
  });

  test("offline npm (recorded), EAI_AGAIN on stderr only, and an endpoint error are inconclusive, never a pass", () => {
    const offline =
      '{\n  "message": "request to https://registry.npmjs.org/-/npm/v1/security/advisories/bulk failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org",\n  "error": {\n    "summary": "",\n    "detail": ""\n  }\n}\n';
    expect(gradeAudits([{ audit: npmAudit, result: result(offline) }])).toMatchObject({
      status: "inconclusive",
      reason: "registry unreachable: getaddrinfo ENOTFOUND registry.npmjs.org",
    });
    const eai = result("", { stderr: "npm error code EAI_AGAIN\nnpm error syscall getaddrinfo\nnpm error errno EAI_AGAIN\n" });
    expect(gradeAudits([{ audit: npmAudit, result: eai }])).toMatchObject({
      status: "inconclusive",
      reason: "registry unreachable: code EAI_AGAIN",
    });
    // What this machine's registry proxy answers: reachable, but no audit endpoint.
    const refused = result(
      '{\n  "message": "405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk",\n  "statusCode": 405\n}\n',
      { stderr: "npm error audit endpoint returned an error\n" },
    );
    expect(gradeAudits([{ audit: npmAudit, result: refused }])).toMatchObject({
      status: "inconclusive",
      reason: "npm audit failed: 405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk",
    });
  });

  test("a timeout, a tool that cannot start, and a clean report", () => {
    expect(gradeAudits([{ audit: npmAudit, result: result("", { timedOut: true, exitCode: null }) }]).reason).toBe(
      "npm audit timed out (raise LOKI_AUDIT_TIMEOUT_MS)",
    );
    expect(gradeAudits([{ audit: npmAudit, result: result("", { spawnError: "spawn npm ENOENT", exitCode: null }) }]).reason).toBe(
      "could not start npm audit: spawn npm ENOENT",
    );
    expect(gradeAudits([{ audit: npmAudit, result: result("{}", { exitCode: 0 }) }], ["Gemfile.lock"])).toMatchObject({
      status: "pass",
      reason: "no known vulnerabilities — npm audit (not audited: Gemfile.lock)",
    });
  });

  test("findings from one audit still fail when another could not reach its registry", () => {
    const pip: Audit = { name: "pip-audit", argv: ["pip-audit"], file: "requirements.txt", parse: parsePipAudit };
    const outcome = gradeAudits([
      { audit: npmAudit, result: result(JSON.stringify(bunAudit)) },
      { audit: pip, result: result("", { stderr: "ConnectionError: Temporary failure in name resolution" }) },
    ]);
    expect(outcome).toMatchObject({
      status: "fail",
      reason:
        "2 vulnerable packages (1 critical, 1 low) — npm audit, pip-audit (registry unreachable: ConnectionError: Temporary failure in name resolution)",
    });
  });
});

describe("planAudits and when", () => {
  test("package-lock → npm audit --omit=dev; bun.lock → bun audit; LOKI_NPM_AUDIT_CMD replaces either", async () => {
    await using npm = await tmpdir({ files: { "package.json": "{}", "package-lock.json": "{}" } });
    expect(planAudits(npm.path, {}).audits.map((a) => a.argv.slice(1))).toEqual([["audit", "--json", "--omit=dev"]]);
    await using bun = await tmpdir({ files: { "package.json": "{}", "bun.lock": "{}" } });
    expect(planAudits(bun.path, {}).audits.map((a) => [a.name, a.argv.slice(1)])).toEqual([["bun audit", ["audit", "--json"]]]);
    expect(planAudits(bun.path, { LOKI_NPM_AUDIT_CMD: "my-mirror-audit --json" }).audits.map((a) => a.argv)).toEqual([
      ["sh", "-c", "my-mirror-audit --json"],
    ]);
  });

  test("skip reasons: no dependency change, no lockfile, no audit tool for the lockfiles present", async () => {
    const saved = process.env.PATH;
    // Only system directories: no pip-audit, cargo-audit or osv-scanner, whatever the developer has.
    process.env.PATH = "/usr/bin:/bin";
    try {
      await using go = await tmpdir({ files: { "go.mod": "module x\n", "go.sum": "" } });
      const ctx = (root: string, paths: string[]): GateContext => ({
        subject: subjectOf(
          paths.map(
            (path): ChangedFile => ({ path, status: "modified", binary: false, added: NO_LINES, removed: NO_LINES, removedCount: 0 }),
          ),
          { root, base: "b", head: "h", includesWorktree: false },
        ),
        project: { kinds: [], test: null, build: null, lint: null },
        config: Config.parse({}),
      });
      expect(depsGate.when(ctx(go.path, ["main.go"]))).toBe("no dependency changes");
      expect(depsGate.when(ctx(go.path, ["go.mod"]))).toBe("no audit tool installed: install pip-audit/cargo-audit/osv-scanner (go.sum)");
      await using bare = await tmpdir({ files: { "package.json": "{}" } });
      expect(depsGate.when(ctx(bare.path, ["package.json"]))).toBe("no lockfile");
      await using py = await tmpdir({ files: { "pyproject.toml": "[project]\nname='x'\n" } });
      expect(depsGate.when(ctx(py.path, ["pyproject.toml"]))).toBe(
        "no audit tool installed: install pip-audit/cargo-audit/osv-scanner (pyproject.toml)",
      );
    } finally {
      process.env.PATH = saved;
    }
  });

  test.each([
    ["package.json", true],
    ["web/package-lock.json", true],
    ["requirements-dev.txt", true],
    ["Cargo.lock", true],
    ["go.sum", true],
    ["build.gradle.kts", true],
    ["Gemfile", true],
    ["src/package.ts", false],
    ["requirements.md", false],
  ] as const)("isDependencyFile(%p) → %p", (path, expected) => {
    expect(isDependencyFile(path)).toBe(expected);
  });
});
