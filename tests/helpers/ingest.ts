// The validators CI systems' ingestion is checked with, run for real: Microsoft's SARIF Multitool
// with GitHub's rules (the npm package's self-contained Linux binary) and xmllint (Debian's
// libxml2-utils) against Jenkins' JUnit schema, vendored in tests/fixtures/schemas/.
import { accessSync, chmodSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..", "..");
export const MULTITOOL = join(ROOT, "node_modules", "@microsoft", "sarif-multitool-linux", "Sarif.Multitool");
export const JENKINS_JUNIT_XSD = join(ROOT, "tests", "fixtures", "schemas", "jenkins-junit-10.xsd");

/** npm runs no install scripts here, so the binary may come without its exec bit. */
function multitool(): string {
  if (!existsSync(MULTITOOL)) throw new Error(`${MULTITOOL} is missing: npm install (devDependency @microsoft/sarif-multitool)`);
  try {
    accessSync(MULTITOOL, constants.X_OK);
  } catch {
    chmodSync(MULTITOOL, statSync(MULTITOOL).mode | 0o111);
  }
  return MULTITOOL;
}

export type MultitoolIssue = { file: string; rule: string; level: string; message: string };

/**
 * Every error and warning the Multitool reports for `files` under rule kinds `kinds` (e.g.
 * "Ghas;Sarif"). Its rule SARIF2006 fetches every URI it sees: a dead proxy on 127.0.0.1 keeps
 * that on this machine (those misses are notes, which are not asked for).
 */
export async function multitoolIssues(files: string[], kinds: string): Promise<MultitoolIssue[]> {
  const dir = mkdtempSync(join(tmpdir(), "loki-multitool-"));
  try {
    const output = join(dir, "validation.sarif");
    const dead = "http://127.0.0.1:9";
    const proc = Bun.spawn([multitool(), "validate", "--rule-kind", kinds, "--level", "Error;Warning", "--output", output, ...files], {
      cwd: dir,
      env: {
        ...process.env,
        DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: "1",
        DOTNET_CLI_TELEMETRY_OPTOUT: "1",
        HTTP_PROXY: dead,
        HTTPS_PROXY: dead,
        ALL_PROXY: dead,
        NO_PROXY: "",
      },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0 || !existsSync(output)) throw new Error(`Sarif.Multitool exited ${code}:\n${stdout}\n${stderr}`);
    type Log = {
      runs: {
        results?: {
          ruleId: string;
          level?: string;
          message: { text?: string; arguments?: string[] };
          locations?: { physicalLocation?: { artifactLocation?: { uri?: string } } }[];
        }[];
      }[];
    };
    const log = JSON.parse(readFileSync(output, "utf8")) as Log;
    return log.runs.flatMap((run) =>
      (run.results ?? []).map((r) => ({
        file: decodeURIComponent(r.locations?.[0]?.physicalLocation?.artifactLocation?.uri ?? "").replace(/^file:\/\//, ""),
        rule: r.ruleId,
        level: r.level ?? "warning",
        message: r.message.text ?? (r.message.arguments ?? []).join(" | "),
      })),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `xmllint --noout --schema <xsd> <file>`: its exit code and what it said. */
export async function xmllint(xsd: string, file: string): Promise<{ code: number; output: string }> {
  if (!Bun.which("xmllint")) throw new Error("xmllint is not installed: apt-get install libxml2-utils");
  const proc = Bun.spawn(["xmllint", "--noout", "--schema", xsd, file], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, output: `${stdout}${stderr}` };
}

/** The anchors GitHub gives a markdown file's headings (lowercase, punctuation dropped, spaces → hyphens). */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*)$/.exec(line);
    if (!heading?.[1]) continue;
    anchors.add(
      heading[1]
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-"),
    );
  }
  return anchors;
}
