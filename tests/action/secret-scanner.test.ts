// action.yml's `secret-scanner` input, run for real: `builtin` keeps a gitleaks the runner has out of
// the secrets gate, `gitleaks` uses the one on PATH; the install step trusts only its pinned checksum,
// for a download (from a mirror served on 127.0.0.1 here) and for a restored cache alike.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fakeGitleaks, runActionStep, type StepOptions } from "../helpers/action-step.ts";
import { tmpdir } from "../helpers/tmp.ts";
import { verifyRepo } from "../helpers/verify-repo.ts";

setDefaultTimeout(60_000);

const LABELS = { "toJSON(github.event.pull_request.labels.*.name)": "null" };
const ASSET = "/v8.30.0/gitleaks_8.30.0_linux_x64.tar.gz";

/** The secrets gate's record in the evidence the verify step reported. */
function secretsGate(evidence: string): { status: string; details: Record<string, unknown> } {
  const record = JSON.parse(readFileSync(evidence, "utf8")) as {
    gates: { id: string; status: string; details: Record<string, unknown> }[];
  };
  const gate = record.gates.find((g) => g.id === "secrets");
  if (gate === undefined) throw new Error("no secrets gate in the evidence");
  return gate;
}

describe("secret-scanner in the verify step", () => {
  test.each([
    ["builtin", 0, "disabled"],
    ["gitleaks", 1, "ran"],
  ])("%s: gitleaks on PATH runs %i time(s); the evidence says %p", async (scanner, calls, recorded) => {
    await using repo = await verifyRepo({ "README.md": "# app\n" }, { "notes.txt": "hello\n" });
    await using tools = await tmpdir();
    const gitleaks = fakeGitleaks(tools.path);
    const result = await runActionStep("loki verify", repo.path, {
      inputs: { base: "main", args: "--only diff,secrets", "secret-scanner": scanner },
      expressions: LABELS,
      path: [gitleaks.dir],
    });
    expect(result.outputs).toMatchObject({ "exit-code": "0", verdict: "VERIFIED" });
    expect(gitleaks.calls()).toBe(calls);
    expect(secretsGate(result.outputs.evidence ?? "").details.gitleaks).toBe(recorded);
  });
});

describe("the Install gitleaks step", () => {
  /** The step against a mirror on 127.0.0.1 that serves `body` for every asset, and counts requests. */
  async function install(options: StepOptions & { body?: string; cache?: (dir: string) => void }) {
    const requests: string[] = [];
    using server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request) => {
        requests.push(new URL(request.url).pathname);
        return new Response(options.body ?? "not a gitleaks release");
      },
    });
    await using cache = await tmpdir();
    options.cache?.(cache.path);
    const result = await runActionStep("Install gitleaks", cache.path, {
      ...options,
      expressions: { "runner.tool_cache": cache.path },
      env: { RUNNER_OS: "Linux", RUNNER_ARCH: "X64", LOKI_GITLEAKS_MIRROR: `http://127.0.0.1:${server.port}`, ...options.env },
    });
    const dir = join(cache.path, "loki-gitleaks");
    return { ...result, requests, cached: existsSync(dir) ? readdirSync(dir) : [] };
  }

  test("a download whose sha256 is not the pinned one is refused: nothing cached, nothing on PATH", async () => {
    const result = await install({});
    expect(result.requests).toEqual([ASSET]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /::error title=loki verify::secret-scanner: gitleaks: gitleaks_8\.30\.0_linux_x64\.tar\.gz has sha256 [0-9a-f]{64}, expected 79a3ab579b53f71efd634f3aaf7e04a0fa0cf206b7ed434638d1547a2470a66e: not installed/,
    );
    expect(result.cached).toEqual([]);
    expect(result.path).toEqual([]);
  });

  test("a restored cache is checked again: a tampered archive is downloaded anew (and refused again here)", async () => {
    const result = await install({
      env: { RUNNER_ARCH: "ARM64" },
      cache: (dir) => {
        mkdirSync(join(dir, "loki-gitleaks"));
        writeFileSync(join(dir, "loki-gitleaks", "gitleaks_8.30.0_linux_arm64.tar.gz"), "tampered");
      },
    });
    expect(result.stderr).toContain("cached gitleaks_8.30.0_linux_arm64.tar.gz does not match its pinned checksum; downloading it again");
    expect(result.requests).toEqual(["/v8.30.0/gitleaks_8.30.0_linux_arm64.tar.gz"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("expected b4cbbb6ddf7d1b2a603088cd03a4e3f7ce48ee7fd449b51f7de6ee2906f5fa2f: not installed");
    expect(result.cached).toEqual([]);
    expect(result.path).toEqual([]);
  });

  test.each([
    ["Windows", "X64", "no pinned gitleaks build for Windows (Linux and macOS runners only)"],
    ["Linux", "ARM", "no pinned gitleaks build for ARM"],
  ])("a %s %s runner is refused before any download", async (os, arch, message) => {
    const result = await install({ env: { RUNNER_OS: os, RUNNER_ARCH: arch } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`::error title=loki verify::secret-scanner: gitleaks: ${message}`);
    expect(result.requests).toEqual([]);
    expect(result.path).toEqual([]);
  });

  test("an unreachable mirror fails the step", async () => {
    await using cache = await tmpdir();
    const result = await runActionStep("Install gitleaks", cache.path, {
      expressions: { "runner.tool_cache": cache.path },
      env: { RUNNER_OS: "macOS", RUNNER_ARCH: "ARM64", LOKI_GITLEAKS_MIRROR: "http://127.0.0.1:9" },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("could not download gitleaks_8.30.0_darwin_arm64.tar.gz");
    expect(existsSync(join(cache.path, "loki-gitleaks", "gitleaks_8.30.0_darwin_arm64.tar.gz"))).toBe(false);
  });
});
