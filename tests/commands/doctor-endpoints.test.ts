// `loki doctor` on the custom endpoints loki.yaml configures: one non-billed model-list request to each
// (on 127.0.0.1 here), which tells an endpoint that is down, a key refused or unset, a model not served,
// and one that is ready — and the endpoint's key variable counts as the provider's login.
import { describe, expect, test } from "bun:test";
import { loki } from "../helpers/cli.ts";
import { tmpdir } from "../helpers/tmp.ts";

type Check = { name: string; status: string; detail: string; fix: string | null };
type Doctor = { checks: Check[]; providers: { id: string; auth: string; auth_source: string | null; usable: boolean }[] };

/** A loopback model server that lists `models` to a caller with `key` (Anthropic's x-api-key, or a bearer token). */
function modelServer(models: string[], key: string) {
  const seen: { path: string; headers: Record<string, string> }[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const url = new URL(request.url);
      seen.push({ path: url.pathname, headers: Object.fromEntries(request.headers) });
      const given = request.headers.get("x-api-key") ?? request.headers.get("authorization")?.replace(/^Bearer /, "");
      if (given !== key) return Response.json({ error: { message: "invalid key" } }, { status: 401 });
      if (!url.pathname.endsWith("/models")) return new Response("no", { status: 404 });
      return Response.json({ data: models.map((id) => ({ id, object: "model" })) });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, seen, [Symbol.dispose]: () => void server.stop(true) };
}

const endpointCheck = (doctor: Doctor, id: string) => doctor.checks.find((c) => c.name === `endpoint:${id}`);

describe("loki doctor checks configured endpoints", () => {
  test("ready, model not served, key refused, key unset, server down: each said with its fix", async () => {
    using anthropic = modelServer(["local-coder"], "sk-a");
    using openai = modelServer(["qwen3"], "sk-o");
    const yaml = [
      "providers:",
      "  claude:",
      `    base_url: ${anthropic.url}`,
      "    api_key_env: GW_KEY",
      "    model: local-coder",
      "  codex:",
      `    base_url: ${openai.url}/v1`,
      "    api_key_env: CODEX_GW_KEY",
      "    model: llama-big",
      "  opencode:",
      `    base_url: ${openai.url}/v1`,
      "    api_key_env: WRONG_KEY",
      "    model: qwen3",
      "  cline:",
      "    base_url: http://127.0.0.1:9/v1",
      "    model: qwen3",
      "  aider:",
      `    base_url: ${openai.url}/v1`,
      "    api_key_env: UNSET_KEY_VAR",
      "",
    ].join("\n");
    await using dir = await tmpdir({ files: { "loki.yaml": yaml } });
    const env = { GW_KEY: "sk-a", CODEX_GW_KEY: "sk-o", WRONG_KEY: "nope" };
    const result = await loki(["doctor", "--json"], { cwd: dir.path, env });
    const doctor = result.json<Doctor>();
    expect(endpointCheck(doctor, "claude")).toMatchObject({ status: "ok", detail: expect.stringContaining("serves local-coder") });
    expect(endpointCheck(doctor, "codex")).toMatchObject({
      status: "fail",
      detail: expect.stringContaining("does not serve llama-big (it lists qwen3)"),
    });
    expect(endpointCheck(doctor, "opencode")).toMatchObject({ status: "fail", fix: "check the key in $WRONG_KEY" });
    expect(endpointCheck(doctor, "cline")).toMatchObject({ status: "fail", detail: expect.stringContaining("did not answer") });
    expect(endpointCheck(doctor, "aider")).toMatchObject({ status: "fail", fix: "export UNSET_KEY_VAR=<your key>" });
    expect(result.code).toBe(1);
    // The key went in each API's own header, to the configured URL only.
    expect(anthropic.seen).toMatchObject([{ path: "/v1/models", headers: { "x-api-key": "sk-a" } }]);
    expect(openai.seen.map((s) => s.headers.authorization).sort()).toEqual(["Bearer nope", "Bearer sk-o"]);
    // A configured key variable is the provider's login: claude is usable with no ANTHROPIC_API_KEY.
    expect(doctor.providers.find((p) => p.id === "claude")).toMatchObject({ auth: "ok", auth_source: "$GW_KEY" });
    const human = await loki(["doctor"], { cwd: dir.path, env });
    expect(human.stdout).toMatch(/FAIL\s+endpoint:codex\s+http:\/\/127\.0\.0\.1:\d+ does not serve llama-big/);
  });

  test("a loki.yaml that does not load is a failed check naming the key, not a crash", async () => {
    await using dir = await tmpdir({ files: { "loki.yaml": "providers:\n  claude:\n    api: openai\n" } });
    const result = await loki(["doctor", "--json"], { cwd: dir.path });
    expect(result.stderr).not.toContain("at ");
    expect(result.json<Doctor>().checks.find((c) => c.name === "config")).toMatchObject({
      status: "fail",
      detail: expect.stringContaining("providers.claude.api"),
    });
  });
});
