// What a secret rule is, the filters every rule shares (placeholders, identifiers, vendors' documented
// example keys), and the helpers the rule tables are written with. Pure data and pure functions.
// Token samples are fabricated from a fixed seed when first read, so the source holds no token-shaped
// literal and a scan never pays for them.
import type { Severity } from "../schema.ts";

export type SecretRule = {
  id: string;
  title: string;
  severity: Severity;
  /** Finds the credential; the named group `secret` is the credential itself. */
  regex: RegExp;
  /** Lowercase literals, one of which must occur in the line (any case) before the regex runs. */
  keywords: readonly string[];
  /** Minimum Shannon entropy (bits per character) of the secret; such a secret must also not hold a
   *  run of 8 identical characters (filler like `…Token00000000`, which real tokens never have). */
  entropy?: number;
  /** A secret matching any of these is a placeholder, not a credential. */
  allow?: readonly RegExp[];
  samples: { tp: readonly string[]; fp: readonly string[] };
};

type Samples = { tp: readonly string[]; fp: readonly string[] };

/** A rule's samples, made on first read: only tests and the corpus read them, and fabricating every
 *  rule's tokens at load was most of the rule tables' start-up. */
export function lazySamples(make: () => Samples): Samples {
  let made: Samples | undefined;
  const get = () => (made ??= make());
  return {
    get tp() {
      return get().tp;
    },
    get fp() {
      return get().fp;
    },
  };
}

/**
 * Credentials that vendors publish in their documentation, and that tutorials, SDK tests and
 * emulators copy everywhere. They grant nothing, so no rule reports them: flagging them would only
 * teach users to add allow markers. An exact list (never a pattern such as "ends in EXAMPLE"), so a
 * real key cannot pass by resembling one.
 */
export const DOCUMENTED_EXAMPLES: readonly string[] = [
  // AWS IAM docs: the example access key id and secret access key.
  `${"AKIA"}IOSFODNN7EXAMPLE`,
  `wJalrXUtnFEMI/K7MDENG/${"bPxRfiCY"}EXAMPLEKEY`,
  // Azure Storage docs: the Azurite / storage emulator's well-known account key.
  `${"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq"}/K1SZFPTOtr/KBHBeksoGMGw==`,
  // Stripe API reference: the test-mode secret key shown in every example request.
  `${"sk_"}test_4eC39HqLyjWDarjtT1zdp7dc`,
  // jwt.io: the debugger's sample token (HS256, "John Doe").
  `${"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"}.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c`,
];

/** Values that name a secret instead of holding one: templates, env lookups, docs placeholders. */
export const PLACEHOLDERS: readonly RegExp[] = [
  /^\$\{?[A-Za-z_]/, // $VAR, ${VAR}
  /<[^>]*>|\{\{[^}]*\}\}|\{%|%\(\w+\)s|^%[sdv]$|\$\{|\$\(/, // <token>, {{ token }}, %(x)s, ${…}, $(cmd)
  /process\.env|os\.environ|getenv|System\.getenv|\bENV\[|secrets\.|vault:/i,
  /change_?me|replace_?(?:me|with)|placeholder|your[_-]?|example|dummy|sample|fake|test|todo|redacted|insert|xxx|\*\*\*|\.\.\./i,
  /^(.)\1*$/, // all the same character
  /^(?:password|passwd|secret|token|null|none|nil|undefined|true|false|admin|root|guest|user|pass|pwd|postgres|mysql|redis|rabbitmq|pa\$\$word|foo|bar|baz|qux|xyz|abc|abc123|12345?6?|qwerty)$/i,
];

/** Values the generic rules see in ordinary code: identifiers, slugs, i18n keys, paths, URLs,
 *  password hashes, and keys their vendors publish as public (Stripe `pk_`, Mapbox `pk.`). */
export const NOT_A_SECRET: readonly RegExp[] = [
  /^[a-z]+(?:[-_.](?:[a-z]+\d{0,4}|\d{1,4}))*$/,
  /^_*[A-Za-z][a-z]*(?:[A-Z]+[a-z]*)+$/,
  /^[A-Z]+(?:_[A-Z0-9]+)+$/,
  /^\.{0,2}\//,
  /:\/\//,
  /^\$(?:2[abxy]?\$\d\d\$|argon2|[156]\$|pbkdf2)/,
  /^pk(?:_live_|_test_|\.eyJ)/,
];

/** `key = value` in any language: `=`, `:`, `:=`, `=>`, with optional quotes around the key. */
export const ASSIGN = String.raw`["'\x60]?\s*(?::=|=>|[:=])\s*["'\x60]?`;
export const rx = (source: string, flags = "") => new RegExp(source, flags);

/** A secret-named key ends in none of these: it names a property of a secret, not the secret. */
export const NOT_THE_SECRET_ITSELF = String.raw`(?<!hash|digest|checksum|sha\d{0,3}|fingerprint|salt|name|_id|_ids|ttl|length|len|url|uri|path|file|type|mode|version|size|count|expiry|expires|seconds|timeout|header|field|prefix|regex|pattern|env)`;

/** The words a generic secret assignment's key contains (the keyword prefilter of those rules). */
export const SECRET_NAMES = [
  ...["passw", "pwd", "secret", "token", "api_key", "apikey", "api-key"],
  ...["access_key", "accesskey", "access-key", "auth_key", "authkey", "private_key", "privatekey"],
];

export const ALPHABETS = {
  base62: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
  lower: "abcdefghijklmnopqrstuvwxyz0123456789",
  upper: "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
  letters: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
  hex: "0123456789abcdef",
  digits: "0123456789",
  base64: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
  base64url: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
} as const;

/**
 * A fabricated sample token: `prefix` then `n` characters of `alphabet`, drawn by a PRNG seeded with
 * the prefix, length and alphabet (so each rule's samples are fixed and differ from its neighbours').
 * The body never holds words the placeholder filters know (`test`, `fake`, `xxx`…): redrawn if so.
 */
export function fake(prefix: string, n: number, alphabet: keyof typeof ALPHABETS = "base62"): string {
  const chars = ALPHABETS[alphabet];
  let state = 2166136261;
  for (const c of `${prefix}:${n}:${alphabet}`) state = Math.imul(state ^ c.charCodeAt(0), 16777619) >>> 0;
  for (;;) {
    let body = "";
    for (let i = 0; i < n; i++) {
      state = (Math.imul(state ^ (state >>> 15), 2246822507) + 0x6d2b79f5) >>> 0;
      body += chars[(state >>> 8) % chars.length];
    }
    if (!/test|fake|xxx|example|sample|dummy|todo|your|insert|(.)\1{3}/i.test(body)) return prefix + body;
  }
}

/** A fabricated v4 UUID (lowercase hex). */
export function fakeUuid(seed: string): string {
  const h = fake(`uuid:${seed}`, 32, "hex").slice(-32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
