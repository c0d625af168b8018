// Each report format is rendered once per verify, through the one table in report/formats.ts: the
// .loki/verify/ copy and the --sarif/--junit/--json copies are the same bytes from the same call.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ALL_GATES } from "../../src/gates/all.ts";
import { RENDERERS, reportsOf, type Renderer, type ReportFormat, type Renderers } from "../../src/verify/report/formats.ts";
import { selectGates, verifyRepo as verify } from "../../src/verify/verify.ts";
import { loki } from "../helpers/cli.ts";
import { sampleEvidence } from "../helpers/formats.ts";
import { NODE_FIX, NODE_PROJECT, verifyRepo } from "../helpers/verify-repo.ts";

setDefaultTimeout(60_000);

/** Renderers that count their calls; `marked` ones return "<format> render #<n>" instead of the report. */
function counted(marked = false): { renderers: Renderers; calls: Record<ReportFormat, number> } {
  const calls: Record<ReportFormat, number> = { json: 0, markdown: 0, sarif: 0, junit: 0, "github-summary": 0 };
  const count =
    (format: ReportFormat): Renderer =>
    (evidence) => {
      calls[format] += 1;
      return marked ? `${format} render #${calls[format]}\n` : RENDERERS[format](evidence);
    };
  const renderers: Renderers = {
    json: count("json"),
    markdown: count("markdown"),
    sarif: count("sarif"),
    junit: count("junit"),
    "github-summary": count("github-summary"),
  };
  return { renderers, calls };
}

describe("one renderer per format", () => {
  test("reportsOf renders a format on first use and hands the same text back after", () => {
    const { renderers, calls } = counted();
    const reports = reportsOf(sampleEvidence(), renderers);
    const first = reports("sarif");
    expect(reports("sarif")).toBe(first);
    expect(first).toBe(RENDERERS.sarif(sampleEvidence()));
    expect(calls).toEqual({ json: 0, markdown: 0, sarif: 1, junit: 0, "github-summary": 0 });
  });

  test("a verify with --sarif and --junit renders each format once and writes it twice", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, NODE_FIX);
    // Marked output proves every copy came from the injected table's one call, not a second renderer.
    const { renderers, calls } = counted(true);
    const outcome = await verify({
      cwd: repo.path,
      gates: selectGates(ALL_GATES, "diff,spec_drift", undefined),
      sarif: "out/loki.sarif",
      junit: "out/junit.xml",
      renderers,
    });
    expect(calls).toEqual({ json: 1, markdown: 1, sarif: 1, junit: 1, "github-summary": 0 });
    const read = (rel: string) => readFileSync(join(repo.path, rel), "utf8");
    expect([read("out/loki.sarif"), read(".loki/verify/results.sarif")]).toEqual(["sarif render #1\n", "sarif render #1\n"]);
    expect([read("out/junit.xml"), read(".loki/verify/junit.xml")]).toEqual(["junit render #1\n", "junit render #1\n"]);
    expect([read(".loki/verify/evidence.json"), read(".loki/verify/report.md")]).toEqual(["json render #1\n", "markdown render #1\n"]);
    // --json and the job summary take theirs from the same reports: still one call per format.
    expect(outcome.reports("json")).toBe("json render #1\n");
    expect(outcome.reports("github-summary")).toBe("github-summary render #1\n");
    outcome.reports("github-summary");
    expect(calls).toEqual({ json: 1, markdown: 1, sarif: 1, junit: 1, "github-summary": 1 });
  });

  test("the CLI: --json on stdout is byte for byte .loki/verify/evidence.json", async () => {
    await using repo = await verifyRepo(NODE_PROJECT, NODE_FIX);
    const result = await loki(["verify", "--json", "--only", "diff", "--sarif", "loki.sarif"], { cwd: repo.path });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(readFileSync(join(repo.path, ".loki/verify/evidence.json"), "utf8"));
    expect(readFileSync(join(repo.path, "loki.sarif"), "utf8")).toBe(readFileSync(join(repo.path, ".loki/verify/results.sarif"), "utf8"));
  });
});
