// Unit tests for the redaction chokepoint: one before/after pair per rule, rule order, idempotence,
// object keys, non-string leaves, cycles and home directories. Every secret is a fabricated fake,
// assembled at runtime so no credential-shaped literal sits in the source.
import { describe, expect, test } from "bun:test";
import { userHome } from "../../src/core/workspace.ts";
import { isLokiError } from "../../src/core/errors.ts";
import { redact, redactText } from "../../src/proof/redact.ts";

const fake = (prefix: string, length: number, seed: string) => prefix + seed.repeat(Math.ceil(length / seed.length)).slice(0, length);
const pem = (kind: string, body: string) => `-----BEGIN ${kind}-----\n${body}\n-----END ${kind}-----`;
const HOME = { home: "/home/unit-tester" };
const R = (rule: string) => `[REDACTED:${rule}]`;

const GHP = fake("gh" + "p_", 36, "UnitFakeGhp0");
const AKIA = fake("AK" + "IA", 16, "UNITFAKE0");
const AWS_SECRET = fake("", 40, "UnitFake/Aws+9");
const JWT = `${fake("ey" + "J", 20, "hbGciUnitFake0")}.${fake("ey" + "J", 30, "zdWIiUnitFake1")}.${fake("", 43, "SigUnitFake2_")}`;

/** [rule, before, after]: each `before` yields exactly one hit of `rule`. */
const CASES: [string, string, string][] = [
  ["private-key", `key:\n${pem("RSA PRIVATE KEY", "MIIEUnitFake\nAbCdUnitFake==")}\nend`, `key:\n${R("private-key")}\nend`],
  ["private-key", `"k": "${pem("OPENSSH PRIVATE KEY", "b3BlbnNzaUnitFake").replaceAll("\n", "\\n")}"`, `"k": "${R("private-key")}"`],
  ["private-key", `log: -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEUnitFakeTruncated`, `log: ${R("private-key")}`],
  ["aws-access-key-id", `id=${AKIA};`, `id=${R("aws-access-key-id")};`],
  ["aws-secret-access-key", `aws_secret_access_key = ${AWS_SECRET}`, `aws_secret_access_key = ${R("aws-secret-access-key")}`],
  ["aws-secret-access-key", `{"secretAccessKey":"${AWS_SECRET}"}`, `{"secretAccessKey":"${R("aws-secret-access-key")}"}`],
  ["github-token", `const token = "${GHP}";`, `const token = "${R("github-token")}";`],
  // Glued to a word (an id built from it, a variable name): still a token.
  ["github-token", `id=ep_${GHP}`, `id=ep_${R("github-token")}`],
  ["github-token", `prefix${GHP} end`, `prefix${R("github-token")} end`],
  ["github-token", `GH=${fake("github_" + "pat_", 82, "11UnitFake_x9")}`, `GH=${R("github-token")}`],
  ["anthropic-key", `k ${fake("sk-" + "ant-", 40, "api03-UnitFake9")} x`, `k ${R("anthropic-key")} x`],
  ["openai-key", `k=${fake("sk-" + "proj-", 48, "UnitFake9Oa")}`, `k=${R("openai-key")}`],
  ["slack-token", `hook ${fake("xo" + "xb-", 30, "1234-UnitFake-")} ok`, `hook ${R("slack-token")} ok`],
  ["stripe-key", `Stripe("${fake("sk" + "_live_", 24, "UnitFake9")}")`, `Stripe("${R("stripe-key")}")`],
  ["google-api-key", `key: ${fake("AI" + "za", 35, "SyUnitFake9_")}`, `key: ${R("google-api-key")}`],
  [
    "npm-token",
    `//registry.npmjs.org/:_authToken=${fake("np" + "m_", 36, "UnitFake9")}`,
    `//registry.npmjs.org/:_authToken=${R("npm-token")}`,
  ],
  ["jwt", `id_token ${JWT} end`, `id_token ${R("jwt")} end`],
  ["http-header", "Authorization: Bearer opaqueUnitFake123", `Authorization: Bearer ${R("http-header")}`],
  ["http-header", `"authorization": "Basic dW5pdDpmYWtlcGFzcw=="`, `"authorization": "Basic ${R("http-header")}"`],
  ["http-header", "Set-Cookie: sid=UnitFake42; Path=/; HttpOnly\nnext", `Set-Cookie: ${R("http-header")}\nnext`],
  ["url-credentials", "postgres://admin:UnitFakePw9@db:5432/app", `postgres://admin:${R("url-credentials")}@db:5432/app`],
  ["secret-assignment", "password=UnitFakePw1 rest", `password=${R("secret-assignment")} rest`],
  ["secret-assignment", "passwd: UnitFakePw2", `passwd: ${R("secret-assignment")}`],
  ["secret-assignment", `"client_secret": "Unit Fake Pw3"`, `"client_secret": "${R("secret-assignment")}"`],
  ["secret-assignment", "export DB_PASSWORD='UnitFakePw4'", `export DB_PASSWORD='${R("secret-assignment")}'`],
  ["secret-assignment", "  api_key: UnitFakePw5\n", `  api_key: ${R("secret-assignment")}\n`],
  ["home-path", "cd /home/unit-tester/src", "cd ~/src"],
];

describe("rules", () => {
  test.each(CASES)("%s: %p", (rule, before, after) => {
    const { text, summary } = redactText(before, HOME);
    expect(text).toBe(after);
    expect(summary).toEqual({ total: 1, hits: [{ rule, count: 1 }] });
  });

  test("placeholders, code references, prose and comparisons survive", () => {
    for (const text of [
      "token: ${GITHUB_TOKEN}",
      "api_key=<your key>",
      'password: ""',
      "password=changeme",
      "secret: xxxxxxxx",
      "const apiKey = process.env.API_KEY;",
      "password: string;",
      'if (password === "x") {}',
      "Enter your password to continue.",
      "Authorization: Bearer <token>",
      "Use a Bearer token.",
      "max_tokens: 4096",
      "secrets: inherit",
      "risk-free task-based",
      "sk-learn-compatible-estimator-v2",
      "https://user@example.com/x",
      "https://example.com:8080/x",
    ]) {
      expect(redactText(text, HOME)).toEqual({ text, summary: { total: 0, hits: [] } });
    }
  });

  test("order: a PEM block is one hit; URL credentials win over the assignment they resemble", () => {
    const block = pem("PRIVATE KEY", `${AKIA}\n${GHP}`);
    expect(redactText(block).summary.hits).toEqual([{ rule: "private-key", count: 1 }]);
    expect(redactText("https://ci-token:UnitFakePw9@host/x").text).toBe(`https://ci-token:${R("url-credentials")}@host/x`);
    expect(redactText(`sk-ant-${"x".repeat(5)} ${fake("sk-" + "ant-", 30, "UnitFake9A")}`).summary.hits).toEqual([
      { rule: "anthropic-key", count: 1 },
    ]);
  });
});

describe("redact()", () => {
  const input = {
    config: {
      password: "UnitFakePw6",
      authorization: "Bearer opaqueUnitFake7",
      cookie: "a=UnitFake8",
      AWS_SECRET_ACCESS_KEY: AWS_SECRET,
      token: "${T}",
    },
    [GHP]: "a token as a key",
    list: [`token = "${GHP}"`, 42, true, null, undefined, 10n, ["/Users/unit-tester/x"]],
    when: new Date(0),
  };

  test("values under secret-named keys, object keys and nested strings are redacted; other leaves are not", () => {
    const { value, summary } = redact(input, HOME);
    expect(value).toEqual({
      config: {
        password: R("secret-assignment"),
        authorization: `Bearer ${R("http-header")}`,
        cookie: R("http-header"),
        AWS_SECRET_ACCESS_KEY: R("aws-secret-access-key"),
        token: "${T}",
      },
      [R("github-token")]: "a token as a key",
      list: [`token = "${R("github-token")}"`, 42, true, null, undefined, 10n, ["~/x"]],
      when: new Date(0),
    } as unknown as typeof value);
    expect(summary.total).toBe(7);
    expect(value.when).not.toBe(input.when);
    expect(input.config.password).toBe("UnitFakePw6");
  });

  test("idempotent: a second pass finds nothing and changes nothing", () => {
    const once = redact(input, HOME).value;
    const twice = redact(once, HOME);
    expect(twice.summary).toEqual({ total: 0, hits: [] });
    expect(twice.value).toEqual(once);
    const text = CASES.map((c) => c[1]).join("\n");
    const first = redactText(text, HOME).text;
    expect(redactText(first, HOME)).toEqual({ text: first, summary: { total: 0, hits: [] } });
  });

  test("keys that redact to the same text are both kept; __proto__ stays data", () => {
    const { value } = redact(JSON.parse('{"/home/a/x": 1, "/Users/b/x": 2, "__proto__": {"polluted": true}}') as Record<string, unknown>);
    expect(Object.keys(value)).toEqual(["~/x", "~/x#2", "__proto__"]);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  test("a cyclic value is rejected with an internal error naming the path; a shared one is copied", () => {
    const cyclic: { a: { b: unknown[] } } = { a: { b: [] } };
    cyclic.a.b.push(cyclic);
    let thrown: unknown;
    try {
      redact(cyclic);
    } catch (error) {
      thrown = error;
    }
    expect(isLokiError(thrown) && thrown.kind === "internal" && thrown.message.includes("cyclic at $.a.b[0]")).toBe(true);
    const shared = { s: "password=UnitFakePw9" };
    expect(redact({ x: shared, y: shared }).summary.total).toBe(2);
  });

  test("a bare string is redacted as text", () => {
    const text: string = redact(`x ${GHP}`).value;
    expect(text).toBe(`x ${R("github-token")}`);
  });
});

describe("home directories", () => {
  test("options.home, with either separator and JSON-escaped backslashes, but not a longer name", () => {
    expect(redactText("/srv/me/a /srv/me /srv/meta", { home: "/srv/me/" }).text).toBe("~/a ~ /srv/meta");
    expect(redactText("C:\\Users\\Me Two\\a C:\\\\Users\\\\Me Two\\\\b C:/Users/Me Two/c", { home: "C:\\Users\\Me Two" }).text).toBe(
      "~\\a ~\\\\b ~/c",
    );
  });

  test("defaults to the user's home ($HOME, else the OS's); `/` is never treated as a home", () => {
    expect(redactText(`${userHome()}/x`).text).toBe("~/x");
    expect(redactText("/etc/hosts", { home: "/" }).text).toBe("/etc/hosts");
  });

  test("anyone's home directory, but not repository paths or shared folders", () => {
    expect(redactText('"/home/bob/.ssh" /Users/carol C:\\Users\\dave\\x \\n/var/home/erin', HOME).text).toBe('"~/.ssh" ~ ~\\x \\n~');
    for (const text of ["src/app/home/page.tsx", "/Users/Shared/x", "C:\\Users\\Public\\x", "https://h/Users/x", "/home"])
      expect(redactText(text, HOME).text).toBe(text);
  });
});

test("a 5 MB string is redacted completely", () => {
  const filler = "lorem ipsum AKIA dolor sk- eyJ a=b password ".repeat(2_000) + "A".repeat(100_000) + "eyJ".repeat(10_000);
  const parts = Array.from({ length: 40 }, (_, i) => `${filler.slice(0, 130_000)} token=${fake("", 12, `Big${i}Fake`)} ${GHP} `);
  const big = parts.join("");
  expect(big.length).toBeGreaterThan(5_000_000);
  const { text, summary } = redactText(big, HOME);
  expect(summary.hits).toEqual([
    { rule: "github-token", count: 40 },
    { rule: "secret-assignment", count: 40 },
  ]);
  expect(text.includes("Fake")).toBe(false);
});
