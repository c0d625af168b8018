// `loki proof share` against a fake GitHub API on 127.0.0.1: a SECRET gist holding index.html,
// created with the token; no --yes and no terminal → refused (exit 3) before any request is made.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { workspaceAt } from "../../src/core/workspace.ts";
import { writeProof } from "../../src/proof/assemble.ts";
import { startFakeTracker, type FakeTracker } from "../helpers/fake-tracker.ts";
import { scenarioRepo, type Scenario } from "../helpers/scenario.ts";

const TOKEN = "loki-test-token-5f2a";
let s: Scenario;
let runId: string;
let html: string;

beforeAll(async () => {
  s = await scenarioRepo("honest");
  expect((await s.loki(["start", "prd.md"])).code).toBe(0);
  runId = s.completion().run_id;
  const { dir } = await writeProof(workspaceAt(s.path), runId);
  html = readFileSync(join(dir, "index.html"), "utf8");
});
afterAll(async () => {
  await s[Symbol.asyncDispose]();
});

type GistBody = { description: string; public: boolean; files: Record<string, { content: string }> };

async function fakeGithub(status = 201): Promise<{ github: FakeTracker; bodies: GistBody[] }> {
  const bodies: GistBody[] = [];
  const github = await startFakeTracker();
  github.route("POST", "/gists", async (request) => {
    bodies.push((await request.json()) as GistBody);
    if (status !== 201) return { status, json: { message: `Bad credentials for ${TOKEN}` } };
    return { status: 201, json: { id: "g1234", html_url: "https://gist.example.test/loki-test/g1234", public: false } };
  });
  return { github, bodies };
}

describe("loki proof share", () => {
  test("--yes creates a secret gist with index.html, sends the token and prints the URL", async () => {
    const { github, bodies } = await fakeGithub();
    await using _server = github;
    const result = await s.loki(["proof", "share", "--yes"], { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: github.url });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("https://gist.example.test/loki-test/g1234");
    expect(result.stdout).toContain("redaction:");
    expect(github.requests).toHaveLength(1);
    expect(github.requests[0]?.headers.authorization).toBe(`token ${TOKEN}`);
    expect(bodies[0]?.public).toBe(false);
    expect(bodies[0]?.description).toContain(runId);
    expect(bodies[0]?.files["index.html"]?.content).toBe(html);
  });

  test("--json prints the gist as JSON", async () => {
    const { github } = await fakeGithub();
    await using _server = github;
    const result = await s.loki(["proof", "share", runId, "--yes", "--json"], { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: github.url });
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({
      run_id: runId,
      url: "https://gist.example.test/loki-test/g1234",
      public: false,
      redaction: { total: 0 },
    });
  });

  test("without --yes and without a terminal it refuses (exit 3) and sends nothing", async () => {
    const { github } = await fakeGithub();
    await using _server = github;
    const result = await s.loki(["proof", "share"], { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: github.url });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("--yes");
    expect(github.requests).toHaveLength(0);
  });

  test("a rejected token is exit 3 with a fix, and the token is never printed", async () => {
    const { github } = await fakeGithub(401);
    await using _server = github;
    const result = await s.loki(["proof", "share", "--yes"], { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: github.url });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("401");
    expect(result.stderr).toContain("GITHUB_TOKEN");
    expect(result.stdout + result.stderr).not.toContain(TOKEN);
  });

  test("no token is exit 3 naming how to get one", async () => {
    const result = await s.loki(["proof", "share", "--yes"], { GITHUB_API_URL: "http://127.0.0.1:9" });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("gh auth login");
  });

  test("a tampered proof is not shared", async () => {
    const { github } = await fakeGithub();
    await using _server = github;
    const path = join(s.path, ".loki", "proofs", runId, "proof.json");
    const original = readFileSync(path, "utf8");
    try {
      writeFileSync(path, original.replace('"outcome": "verified"', '"outcome": "stopped"'));
      const result = await s.loki(["proof", "share", "--yes"], { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: github.url });
      expect(result.code).toBe(3);
      expect(result.stderr).toContain("tampered");
      expect(github.requests).toHaveLength(0);
    } finally {
      writeFileSync(path, original);
    }
  });
});
