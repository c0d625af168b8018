// Secret rules, part 6 of 6: formats of no single provider — private keys, age keys, JWTs, Django's
// generated key, credentials in headers, URLs and curl, and secret-named assignments, each with its
// own samples. Applied last (detect.ts): a provider's own rule names a token first.
import { fake, NOT_A_SECRET, NOT_THE_SECRET_ITSELF, PLACEHOLDERS, rx, SECRET_NAMES, type SecretRule, lazySamples } from "./rule.ts";

const SECRET_WORD = String.raw`(?:passw(?:or)?d|pwd|secret|token|api[_-]?key|access[_-]?key|auth[_-]?key|private[_-]?key)`;
/** An unquoted setting's value that is code, not a literal: member access, a call, a trailing `,`/`;`. */
const CODE_VALUE: readonly RegExp[] = [/^[A-Za-z_$][\w$]*(?:\??\.[A-Za-z_$][\w$]*)+$/, /[()]/, /[,;]$/];

export const GENERIC_RULES: readonly SecretRule[] = [
  {
    id: "private-key",
    title: "Private key",
    severity: "critical",
    // A header alone on its line (a PEM file) or followed by key material (an escaped PEM string).
    regex: /(?<secret>-----BEGIN[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:(?:\\[rn]|\s)+[A-Za-z0-9+/=]{16,}|\s*$))/,
    keywords: ["private key"],
    samples: lazySamples(() => ({
      tp: [
        `-----BEGIN RSA ${"PRIVATE KEY"}-----`,
        `-----BEGIN OPENSSH ${"PRIVATE KEY"}-----`,
        `  -----BEGIN EC ${"PRIVATE KEY"}-----`,
        `-----BEGIN PGP ${"PRIVATE KEY"} BLOCK-----`,
        `"private_key": "-----BEGIN ${"PRIVATE KEY"}-----\\n${fake("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", 40, "base64")}\\n"`,
      ],
      fp: [
        "-----BEGIN PUBLIC KEY-----",
        `const HEADER = "-----BEGIN ${"PRIVATE KEY"}-----";`,
        `"key": "-----BEGIN ${"PRIVATE KEY"}-----\\n...\\n-----END PRIVATE KEY-----"`,
      ],
    })),
  },
  {
    id: "age-secret-key",
    title: "age secret key",
    severity: "critical",
    regex: /\b(?<secret>AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})\b/,
    keywords: ["age-secret-key-1"],
    entropy: 3,
    samples: lazySamples(() => ({
      tp: [
        `AGE-SECRET-KEY-1${fake("age", 58, "upper")
          .slice(3)
          .replace(/[BIO1]/g, "Q")}`,
      ],
      fp: ["# AGE-SECRET-KEY-1... goes in keys.txt"],
    })),
  },
  {
    id: "jwt",
    title: "JSON Web Token",
    severity: "medium",
    regex: /\b(?<secret>eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})/,
    keywords: ["eyj"],
    entropy: 3,
    samples: lazySamples(() => ({
      tp: [`const token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.${fake("eyJ", 60, "base64url")}.${fake("", 43, "base64url")}"`],
      fp: ['const header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"', "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."],
    })),
  },
  {
    id: "jwt-base64",
    title: "Base64-encoded JSON Web Token",
    severity: "medium",
    // base64 of `eyJ…` is `ZXlK…`; the `.eyJ` between header and payload encodes as one of three
    // strings, depending on where it falls in the 3-byte groups.
    regex: /\b(?<secret>ZXlK[A-Za-z0-9+/]{20,}(?:LmV5S|5leU|uZXlK)[A-Za-z0-9+/]{20,}={0,2})/,
    keywords: ["zxlk"],
    entropy: 3,
    samples: lazySamples(() => ({
      tp: [`token: ${Buffer.from(`eyJhbGciOiJSUzI1NiJ9.${fake("eyJ", 60, "base64url")}.${fake("", 86, "base64url")}`).toString("base64")}`],
      fp: [`header: ${Buffer.from("eyJhbGciOiJSUzI1NiJ9 is a header").toString("base64")}`],
    })),
  },
  {
    id: "django-secret-key",
    title: "Django SECRET_KEY (generated)",
    severity: "high",
    regex: /\b(?<secret>django-insecure-[a-z0-9!@#$%^&*(\-_=+)]{50})/,
    keywords: ["django-insecure-"],
    entropy: 3,
    samples: lazySamples(() => ({
      tp: [`SECRET_KEY = '${fake("django-insecure-", 50, "lower")}'`],
      fp: ["SECRET_KEY = os.environ['DJANGO_SECRET_KEY']  # never django-insecure-"],
    })),
  },
  {
    id: "authorization-header",
    title: "Authorization header with a literal credential",
    severity: "high",
    regex: /\bauthorization["'\x60]?\s*[:=,]\s*["'\x60]?(?:basic|bearer|token)\s+(?<secret>[A-Za-z0-9+/_.~=-]{16,})/i,
    keywords: ["authorization"],
    entropy: 3,
    allow: PLACEHOLDERS,
    samples: lazySamples(() => ({
      tp: [
        `curl -H "Authorization: Bearer ${fake("L0k1", 32, "base64url")}" https://api.invalid`,
        `headers: { Authorization: 'Basic ${Buffer.from(`loki:${fake("", 16)}`).toString("base64")}' }`,
      ],
      fp: [
        "headers: { Authorization: `Bearer ${token}` }",
        'curl -H "Authorization: Bearer <YOUR_TOKEN>"',
        "Authorization: Bearer xxxxxxxxxxxxxxxxxxxxxxxx",
      ],
    })),
  },
  {
    id: "curl-basic-auth",
    title: "Password in a curl command line",
    severity: "high",
    regex: /\bcurl\b.*?\s(?:-u|--user)(?:\s+|=)["']?[^:\s"']{1,64}:(?<secret>[^\s"']{3,128})/,
    keywords: ["curl"],
    allow: [...PLACEHOLDERS, /^\$/],
    samples: lazySamples(() => ({
      tp: [`curl -u deploy:${fake("", 20)} https://api.acme.io/v1/deploy`],
      fp: ["curl -u deploy:$DEPLOY_PASSWORD https://api.acme.io", "curl -u admin:<password> https://localhost:8080"],
    })),
  },
  {
    id: "url-credentials",
    title: "URL with embedded credentials",
    severity: "high",
    regex: /:\/\/[^:/?#@\s"'\x60]{1,64}:(?<secret>[^@/?#\s"'\x60]{3,128})@(?=[A-Za-z0-9.[-])/,
    keywords: ["://"],
    allow: PLACEHOLDERS,
    samples: lazySamples(() => ({
      tp: [`DATABASE_URL=postgres://app:${fake("", 16)}@db.internal:5432/app`, "amqp://worker:s3cr3tPa55w0rd@mq.internal"],
      fp: [
        "DATABASE_URL=postgres://postgres:postgres@localhost:5432/app",
        "url = 'https://user:${PASSWORD}@example.com'",
        "mysql://root:<password>@localhost/db",
        "https://user:****@host",
        "https://example.com/path?q=1",
        "new URL('https://abc:xyz@example.com')",
      ],
    })),
  },
  {
    id: "generic-secret-assignment",
    title: "Hard-coded secret in a secret-named assignment",
    severity: "high",
    regex: rx(
      String.raw`${SECRET_WORD}[\w.-]{0,30}${NOT_THE_SECRET_ITSELF}["'\x60]?\s*(?::=|=>|[:=])\s*(?<q>["'\x60])(?<secret>[^"'\x60\s]{8,200})\k<q>`,
      "i",
    ),
    keywords: SECRET_NAMES,
    entropy: 3.5,
    allow: [...PLACEHOLDERS, ...NOT_A_SECRET],
    samples: lazySamples(() => ({
      tp: ['db_password = "Lkumy*RFu!as8i5#B@k6%cZF"', '"apiKey": "Zq7vN2pX9kLw4mR8jH3c",', 'client_secret := "Zq7vN2pX9kLw4mR8jH3c"'],
      fp: [
        'password = "changeme"',
        'api_key = "${API_KEY}"',
        'token = "<your-token-here>"',
        'secret: "xxxxxxxxxxxxxxxx"',
        'const tokenizer = "bert-base-uncased";',
        'password: "test-password-1234"',
        'SECRET_NAME = "my-app-production-db-creds"',
        "api_key = os.environ['API_KEY']",
        'if (token === "Zq7vN2pX9kLw4mR8jH3c") return;',
        'def sign(private_key: "_RSAPrivateKey", data: bytes):',
        `"passwordHash": "$2b$12$${fake("", 53, "base64").replace(/\+/g, ".")}"`,
        `token_sha256 = "${fake("", 64, "hex")}"`,
      ],
    })),
  },
  {
    id: "generic-env-secret",
    title: "Hard-coded secret in a secret-named setting (environment, YAML, INI, properties)",
    severity: "high",
    regex: rx(
      String.raw`^\s*(?:export\s+)?[\w.-]{0,40}${SECRET_WORD}[\w.-]{0,40}${NOT_THE_SECRET_ITSELF}\s*(?:=|:(?![:=]))\s*(?<secret>[^\s"'\x60$#](?:[^\s"'\x60$]|\$(?![{(A-Za-z_])){7,199})\s*$`,
      "i",
    ),
    keywords: SECRET_NAMES,
    entropy: 3.5,
    allow: [...PLACEHOLDERS, ...NOT_A_SECRET, ...CODE_VALUE],
    samples: lazySamples(() => ({
      tp: ["DB_PASSWORD=Zq7vN2pX9kLw4mR8jH3c", "export SESSION_SECRET=Lkumy*RFu!as8i5B@k6%cZF", `  api_key: ${fake("", 32)}`],
      fp: [
        "DB_PASSWORD=changeme123",
        "SESSION_SECRET=${SESSION_SECRET}",
        "TOKEN_TTL=3600",
        "POSTGRES_PASSWORD: postgres",
        "API_KEY=your-api-key-here",
        "  apiKey: config.auth.apiKey,",
        "  token: getToken(request)",
        "password_min_length = 12",
      ],
    })),
  },
];
