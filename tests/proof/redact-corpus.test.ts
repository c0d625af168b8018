// The zero-leak corpus: 50 fabricated secrets (format-valid fakes, assembled at runtime so no
// credential-shaped literal sits in the source) carried in JSON, a unified diff and HTML, plus
// look-alikes that must survive untouched. A leak is any secret, or any 12 characters of one, left.
import { describe, expect, test } from "bun:test";
import { redact, redactText, type Redacted, type RedactionSummary } from "../../src/proof/redact.ts";

const fake = (prefix: string, length: number, seed: string) => prefix + seed.repeat(Math.ceil(length / seed.length)).slice(0, length);
const pemBlock = (kind: string, seed: string) =>
  `-----BEGIN ${kind}-----\n${fake("", 64, seed)}\n${fake("", 44, seed.split("").reverse().join(""))}==\n-----END ${kind}-----`;
const OPTIONS = { home: "/home/corpus-runner" };

type Entry = { rule: string; secret: string; line: string; keyable: boolean };
/** `context` holds `%s` where the secret goes; a keyable secret is recognised with no context. */
const entry = (rule: string, secret: string, context = "%s", keyable = context === "%s"): Entry => ({
  rule,
  secret,
  line: context.replace("%s", () => secret),
  keyable,
});

const OPAQUE = "CorpusFakeOpaque0042tokenValue";
const AWS_SECRET = fake("", 40, "CorpusFake/AwsSecret+7");
const DB_PASSWORD = "CorpusFakePw-009#shell";
const SECRETS: Entry[] = [
  entry("private-key", pemBlock("RSA PRIVATE KEY", "MIIEpQIBAAKCAQEAcorpusFakeRsa1+/"), "%s", false),
  entry("private-key", pemBlock("OPENSSH PRIVATE KEY", "b3BlbnNzaC1rZXktdjEcorpusFakeSsh2"), "key_file: |\n%s", false),
  entry("private-key", pemBlock("ENCRYPTED PRIVATE KEY", "MIIFHzBJBgkqhkiG9w0corpusFakeEnc3"), "%s", false),
  entry("private-key", pemBlock("PGP PRIVATE KEY BLOCK", "lQOYBGCorpusFakePgp4AQgAx"), "%s", false),
  entry("aws-access-key-id", fake("AK" + "IA", 16, "CORPUSFAKE01")),
  entry("aws-access-key-id", fake("AS" + "IA", 16, "CORPUSFAKE02"), '"AccessKeyId": "%s"', true),
  entry("aws-secret-access-key", AWS_SECRET, "AWS_SECRET_ACCESS_KEY=%s"),
  entry("aws-secret-access-key", fake("", 40, "CorpusFake+AwsSecret/8"), 'secretAccessKey: "%s",'),
  entry("github-token", fake("gh" + "p_", 36, "CorpusFakeGhp01"), 'const token = "%s";', true),
  entry("github-token", fake("gh" + "o_", 36, "CorpusFakeGho02"), "GH_TOKEN=%s", true),
  entry("github-token", fake("gh" + "u_", 36, "CorpusFakeGhu03"), "git clone https://x-access-token:%s@github.com/o/r.git", true),
  entry("github-token", fake("gh" + "s_", 36, "CorpusFakeGhs04"), '"installation": "%s"', true),
  entry("github-token", fake("gh" + "r_", 36, "CorpusFakeGhr05"), "refresh %s", true),
  entry("github-token", fake("github_" + "pat_", 82, "11CorpusFakePat06_"), "GITHUB_TOKEN=%s", true),
  entry("anthropic-key", fake("sk-" + "ant-", 95, "api03-CorpusFakeAnt07"), "ANTHROPIC_API_KEY=%s", true),
  entry("anthropic-key", fake("sk-" + "ant-", 95, "admin01-CorpusFakeAnt08"), "x-api-key: %s", true),
  entry("openai-key", fake("sk" + "-", 48, "CorpusFakeOai09T3"), 'OPENAI_API_KEY="%s"', true),
  entry("openai-key", fake("sk-" + "proj-", 120, "CorpusFake_Oai10-Proj"), "openai.api_key = '%s'", true),
  entry("slack-token", fake("xo" + "xb-", 40, "1234567890-CorpusFakeSlack11-"), "SLACK_BOT_TOKEN=%s", true),
  entry("slack-token", fake("xo" + "xp-", 40, "2345678901-CorpusFakeSlack12-"), "slack: %s", true),
  entry("slack-token", fake("xo" + "xs-", 40, "3456789012-CorpusFakeSlack13-"), "legacy(%s)", true),
  entry("stripe-key", fake("sk" + "_live_", 24, "CorpusFakeStripe14"), 'Stripe("%s")', true),
  entry("stripe-key", fake("rk" + "_live_", 24, "CorpusFakeStripe15"), "STRIPE_KEY=%s", true),
  entry("stripe-key", fake("sk" + "_test_", 24, "CorpusFakeStripe16"), 'stripe.api_key = "%s"', true),
  entry("google-api-key", fake("AI" + "za", 35, "SyCorpusFakeGoogle17_"), '"apiKey": "%s"', true),
  entry("google-api-key", fake("AI" + "za", 35, "SyCorpusFakeGoogle18-"), "https://maps.example.com/api?key=%s&v=3", true),
  entry("npm-token", fake("np" + "m_", 36, "CorpusFakeNpm19"), "//registry.npmjs.org/:_authToken=%s", true),
  entry("npm-token", fake("np" + "m_", 36, "CorpusFakeNpm20"), "NPM_TOKEN=%s", true),
  entry(
    "jwt",
    `${fake("ey" + "J", 33, "hbGciOiJIUzI1NiJ9CorpusFake21")}.${fake("ey" + "J", 60, "zdWIiOiJjb3JwdXMCorpusFake21")}.${fake("", 43, "SigCorpusFake21_-")}`,
    "Authorization: Bearer %s",
    true,
  ),
  entry(
    "jwt",
    `${fake("ey" + "J", 33, "hbGciOiJSUzI1NiJ9CorpusFake22")}.${fake("ey" + "J", 80, "pc3MiOiJjb3JwdXMCorpusFake22")}.${fake("", 86, "SigCorpusFake22-_")}`,
    "id_token=%s",
  ),
  entry("http-header", OPAQUE, "Authorization: Bearer %s"),
  entry("http-header", "Y29ycHVzOmZha2UtYmFzaWMtMjQ=", "curl -H 'Authorization: Basic %s' https://api.example.com"),
  entry("http-header", "session=CorpusFakeSession25; theme=dark", "Cookie: %s"),
  entry("http-header", "sid=CorpusFakeSession26; Path=/; HttpOnly", "Set-Cookie: %s"),
  entry("http-header", "CorpusFakeOpaque0027tokenValue", '{"authorization": "Bearer %s"}'),
  entry("url-credentials", "CorpusFakeUrlPw28", "DATABASE_URL=postgres://corpus:%s@db.internal:5432/app"),
  entry("url-credentials", "CorpusFakeUrlPw29", "redis://:%s@cache.internal:6379/0"),
  entry("url-credentials", "CorpusFakeUrlPw30", "git remote add origin https://deploy:%s@git.example.com/r.git"),
  entry("secret-assignment", "CorpusFakePw-031!", "password=%s"),
  entry("secret-assignment", "CorpusFakePw-032!", "passwd: %s"),
  entry("secret-assignment", "Corpus Fake Pw 033", 'secret: "%s"'),
  entry("secret-assignment", "CorpusFakePw-034!", 'token = "%s"'),
  entry("secret-assignment", "CorpusFakePw-035!", '"api_key": "%s",'),
  entry("secret-assignment", "CorpusFakePw-036!", "apikey=%s"),
  entry("secret-assignment", "CorpusFakePw-037!", "client_secret: '%s'"),
  entry("secret-assignment", "CorpusFakePw-038!", "private_key = %s"),
  entry("secret-assignment", DB_PASSWORD, "export DB_PASSWORD=%s"),
  entry("secret-assignment", "CorpusFakePw-040!", "  spring.datasource.password: %s"),
  entry("home-path", "corpus-user-alpha", "/home/%s/project/.env"),
  entry("home-path", "corpus-user-bravo", "C:\\Users\\%s\\AppData\\Local"),
];

const LOOKALIKES = [
  "This refactor is risk-free and task-based.",
  "KAKIAGE contains AKIA but is tempura; ASIAN markets opened.",
  "commit 3b18e512dba79e4c8300dd08aeb37f8e728b8dad",
  "id: 123e4567-e89b-12d3-a456-426614174000",
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "Enter your password to continue.",
  "token: ${GITHUB_TOKEN}",
  "api_key=<your key>",
  "Send a Bearer token in the Authorization header.",
  "sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "npm_config_cache=/tmp/npm-cache",
  "version 1.4.5-beta.2+build.20240101",
  "color: #1e293b; background: rgb(15, 23, 42);",
  "https://example.com/docs?page=2#auth",
  "https://user@example.com/repo.git",
  "eyJraWQiOiJsb29rYWxpa2UifQ.notAJwt",
  "password: string;",
  "const apiKey = process.env.API_KEY;",
  "max_tokens: 4096, input_tokens: 1523",
  "secrets: inherit",
  "-----BEGIN CERTIFICATE-----\nMIIBcorpusPublicCert\n-----END CERTIFICATE-----",
  'if (password === "") return;',
  "C:\\Users\\Public\\Documents and /Users/Shared/cache",
  "xoxo, the team",
  "keys start with sk_live_ or sk_test_",
  "ghp_short",
  "src/app/home/page.tsx",
  "password=changeme",
  "Authorization: Bearer <token>",
  "checksum Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2Fy",
];

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
const LINES = SECRETS.map((s) => s.line);
const KEYABLE = SECRETS.filter((s) => s.keyable);
const IN_ATTRIBUTE = SECRETS.filter((s, i) => i % 3 === 0 && !s.line.includes("\n"));

const DIFF = [
  "diff --git a/src/config.ts b/src/config.ts",
  "index 3b18e51..9fceb02 100644",
  "--- a/src/config.ts",
  "+++ b/src/config.ts",
  "@@ -1,2 +1,90 @@",
  " export const config = {",
  ...[...LINES, ...LOOKALIKES].flatMap((l) => l.split("\n").map((x) => `+${x}`)),
  " };",
  "",
].join("\n");
const HTML = [
  "<!doctype html><html><head><title>proof</title></head><body>",
  `<pre>${[...LINES, ...LOOKALIKES].map(escapeHtml).join("\n")}</pre>`,
  ...IN_ATTRIBUTE.map((s) => `<div class="ev" data-evidence="${escapeHtml(s.line)}" title='${escapeHtml(s.line)}'></div>`),
  "</body></html>",
].join("\n");
const JSON_CARRIER = {
  run: { id: "run-1", notes: { iterations: [{ n: 1, lines: LINES }] } },
  nested: { deeper: { items: LOOKALIKES.map((text) => ({ text })) } },
  keys: Object.fromEntries(KEYABLE.map((s, i) => [s.secret, i])),
  diff: DIFF,
  escaped: JSON.stringify({ lines: LINES }),
  env: { DB_PASSWORD, authorization: `Bearer ${OPAQUE}`, AWS_SECRET_ACCESS_KEY: AWS_SECRET, tokens: { input: 10, output: 2 } },
};

/** Summary a carrier must produce: `times` placements of each entry, plus any extra hits. */
function expected(groups: [Entry[], number][], extra: Record<string, number> = {}): RedactionSummary {
  const counts = new Map(Object.entries(extra));
  for (const [entries, times] of groups) for (const e of entries) counts.set(e.rule, (counts.get(e.rule) ?? 0) + times);
  const hits = [...counts].map(([rule, count]) => ({ rule, count })).sort((a, b) => (a.rule < b.rule ? -1 : 1));
  return { total: hits.reduce((n, h) => n + h.count, 0), hits };
}

function leaks(out: string): string[] {
  return SECRETS.flatMap((s) => {
    const windows = Array.from({ length: Math.max(1, s.secret.length - 11) }, (_, i) => s.secret.slice(i, i + 12));
    return out.includes(s.secret) || windows.some((w) => out.includes(w)) ? [s.secret.slice(0, 20)] : [];
  });
}

describe("corpus", () => {
  test("sizes: at least 40 distinct secrets and 20 look-alikes", () => {
    expect(new Set(SECRETS.map((s) => s.secret)).size).toBe(SECRETS.length);
    expect(SECRETS.length).toBeGreaterThanOrEqual(40);
    expect(LOOKALIKES.length).toBeGreaterThanOrEqual(20);
  });

  test.each(SECRETS.map((s) => [s.rule, s.line] as const))("%s: one hit in %p", (rule, line) => {
    expect(redactText(line, OPTIONS).summary).toEqual({ total: 1, hits: [{ rule, count: 1 }] });
  });

  test.each(LOOKALIKES)("look-alike survives: %p", (text) => {
    expect(redactText(text, OPTIONS)).toEqual({ text, summary: { total: 0, hits: [] } });
  });
});

describe("zero leaks", () => {
  test("unified diff", () => {
    const { value, summary } = redact(DIFF, OPTIONS);
    expect(leaks(value)).toEqual([]);
    expect(leaks(JSON.stringify(value))).toEqual([]);
    for (const line of LOOKALIKES.flatMap((l) => l.split("\n"))) expect(value).toContain(`+${line}\n`);
    expect(summary).toEqual(expected([[SECRETS, 1]]));
  });

  test("HTML: <pre>, attributes, escaped entities", () => {
    const { value, summary } = redact(HTML, OPTIONS);
    expect(leaks(value)).toEqual([]);
    for (const text of LOOKALIKES) expect(value).toContain(escapeHtml(text));
    expect(value).toContain('<div class="ev" data-evidence="');
    expect(summary).toEqual(
      expected([
        [SECRETS, 1],
        [IN_ATTRIBUTE, 2],
      ]),
    );
  });

  test("JSON: nested arrays, object keys, a diff and escaped JSON inside strings, secret-named keys", () => {
    const { value, summary } = redact(JSON_CARRIER, OPTIONS);
    expect(leaks(JSON.stringify(value))).toEqual([]);
    expect(value.nested.deeper.items.map((i) => i.text)).toEqual(LOOKALIKES);
    expect(value.env.tokens).toEqual({ input: 10, output: 2 });
    expect(Object.keys(value.keys).every((k) => k.startsWith("[REDACTED:"))).toBe(true);
    const env = { "secret-assignment": 1, "http-header": 1, "aws-secret-access-key": 1 };
    expect(summary).toEqual(
      expected(
        [
          [SECRETS, 3],
          [KEYABLE, 1],
        ],
        env,
      ),
    );
  });

  test("a second pass over every carrier finds nothing", () => {
    for (const carrier of [DIFF, HTML, JSON_CARRIER]) expect(redact(redact(carrier, OPTIONS).value, OPTIONS).summary.total).toBe(0);
  });
});

test("only a redacted value reaches a serializer (checked by tsc)", () => {
  const serialize = (proof: Redacted<{ a: string }>) => JSON.stringify(proof);
  // @ts-expect-error a plain object has not been through redact()
  const bypass = () => serialize({ a: "x" });
  expect(typeof bypass).toBe("function");
  expect(serialize(redact({ a: "x" }).value)).toBe('{"a":"x"}');
});
