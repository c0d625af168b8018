// A run's loop writes evidence.json alone each iteration (its reports are rendered when it ends): the
// report.md, SARIF and JUnit an earlier `loki verify` left must not stand beside the run's newer
// evidence — a VERIFIED report next to a BLOCKED run — so the loop's write removes them.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { Evidence } from "../../src/core/evidence-schema.ts";
import { workspaceAt } from "../../src/core/workspace.ts";
import { writeEvidence } from "../../src/verify/evidence.ts";
import { verifyJson, verifyRepo } from "../helpers/verify-repo.ts";

describe("the loop's evidence write", () => {
  test("removes the reports of an earlier evidence; a full write leaves all four", async () => {
    await using repo = await verifyRepo({ "a.txt": "one\n" }, { "a.txt": "two\n" });
    const { evidence } = await verifyJson(repo.path, [repo.base, "--only", "diff"]);
    const ws = workspaceAt(repo.path);
    for (const path of [ws.report, ws.sarif, ws.junit]) expect(existsSync(path)).toBe(true);

    writeEvidence(ws, Evidence.parse(evidence), { evidenceOnly: true });
    expect(JSON.parse(readFileSync(ws.evidence, "utf8"))).toEqual(JSON.parse(JSON.stringify(evidence)));
    for (const path of [ws.report, ws.sarif, ws.junit]) expect(existsSync(path)).toBe(false);

    writeEvidence(ws, Evidence.parse(evidence));
    for (const path of [ws.evidence, ws.report, ws.sarif, ws.junit]) expect(existsSync(path)).toBe(true);
  });
});
