// The redaction rules as data, in the order core/redact.ts applies them. Unlike the secrets gate's rules
// (gates/secret-rules.ts, which avoid false alarms), these err towards redacting. Pure: no I/O, and
// no pattern may backtrack super-linearly (bounded or single-class quantifiers, boundary lookbehinds).

/** One named pattern. The match is `pre` + `secret` + `post`; only `secret` is replaced. */
export type RedactionRule = {
  id: string;
  /** Global regex; optional named groups `pre`/`post` are kept, `secret` (default: the whole match) is replaced. */
  pattern: RegExp;
  /** True when the captured value is not a secret (a placeholder, a code reference, prose). */
  keep?: (secret: string) => boolean;
  /** What replaces the secret; `[REDACTED:<id>]` when absent. */
  replacement?: string;
};

const rx = (source: string, flags = "g") => new RegExp(source, flags);
/** Token start: not inside a word, or right after a JSON escape such as `\n`. */
const B = String.raw`(?:(?<![A-Za-z0-9_\-])|(?<=\\[nrt]))`;
/** A quote as it appears raw, JSON-escaped (`\"`) or HTML-escaped (`&quot;`). */
const Q = String.raw`(?:\\?["'\x60]|&quot;|&#0?3[49];|&#x2[27];|&apos;)`;
const ENTITY_OK = String.raw`&(?!(?:quot|apos|amp|lt|gt|#0?3[49]|#x2[27]);)`;
/** An unquoted value: stops at whitespace, quotes, markup, `,;` and JSON escapes. */
const BARE = String.raw`(?:[^\s"'\x60<>\\&,;]|${ENTITY_OK}|\\(?![\\"'nrtu]))+`;
/** A header value: runs to the end of the line (or quote, or markup). */
const TO_EOL = String.raw`(?:[^\r\n"'\x60<>\\&]|${ENTITY_OK}|\\(?![\\"'nrtu]))+`;
/** `k=v`, `k: v`, `"k": "v"`, `k := v`, `k => v`; never `==` (a comparison). */
const SEP = String.raw`${Q}{0,2}[ \t]*(?::=|=>|[:=](?!=))[ \t]*`;
const SECRET_WORD = String.raw`(?:passwd|password|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|secret[_-]?key)`;
const AUTH_SCHEME = String.raw`(?:bearer|basic|token|digest|negotiate|apikey)`;
const PEM_BEGIN = String.raw`-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----`;

const PLACEHOLDER =
  /^(?:\[REDACTED:.*|\$\{.*\}|\$[A-Za-z_]\w*|%[A-Za-z_]\w*%|<[^<>]*>|&lt;.*&gt;|\{\{.*\}\}|\{[A-Za-z_]\w*\}|(?=.*[xX*•])[xX*•._-]{3,}|\.\.\.|…|change[_-]?me|your[_-].*|placeholder|redacted|null|none|nil|undefined|true|false)$/i;
/** Unquoted values that are code, not literals: `process.env.X`, `z.string()`, `getToken()`, types. */
const CODE_REFERENCE =
  /^(?:[A-Za-z_$][\w$]*(?:\.[A-Za-z_$]|[([])|(?:string|number|boolean|str|bytes|any|unknown|await|new|this|self|required|optional)$)/i;
const HAS_UPPER_LOWER_DIGIT = /^(?=.*[A-Z])(?=.*[a-z])(?=.*\d)/;

/** A value that names a secret instead of holding one, or was already redacted. */
export function isPlaceholder(value: string): boolean {
  return value.trim() === "" || PLACEHOLDER.test(value.trim());
}
const keepBare = (value: string) => isPlaceholder(value) || CODE_REFERENCE.test(value);
const SCHEME_ONLY = rx(`^${AUTH_SCHEME}$`, "i");
const keepHeader = (value: string) => isPlaceholder(value) || SCHEME_ONLY.test(value);

/** Assignment rules share one key pattern; the quote style decides how far the value runs. */
const assignment = (open: string, value: string, close: string): RedactionRule => ({
  id: "secret-assignment",
  pattern: rx(String.raw`(?<pre>${SECRET_WORD}${SEP}${open})(?<secret>${value})(?<post>${close})`, "gi"),
  keep: open === "" ? keepBare : isPlaceholder,
});

/**
 * Secret rules, in application order. The order is part of the contract:
 * 1. private-key first: a PEM body is long base64 in which token rules would find fragments.
 * 2. aws-secret-access-key before secret-assignment: its key name also ends in `access_key`.
 * 3. Token formats before headers and assignments, so a known token keeps its specific rule name;
 *    anthropic-key before openai-key because `sk-ant-…` is also an `sk-…`.
 * 4. url-credentials before secret-assignment: in `https://ci-token:pw@host` the assignment rule
 *    would read `token:` as a key and swallow `pw@host`; run first, the password alone goes and
 *    the assignment then sees an already-redacted value.
 * 5. Assignments last among secrets: quoted forms before the bare form.
 * Home-path rules run after all of these (redact.ts appends them), since they only rewrite context.
 */
export const SECRET_RULES: readonly RedactionRule[] = [
  {
    id: "private-key",
    pattern: rx(String.raw`${PEM_BEGIN}(?:(?!-----(?:BEGIN|END))[\s\S])*?-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----`),
  },
  // A truncated block (capped output) still leaks: take the header and every key-material line after it.
  { id: "private-key", pattern: rx(String.raw`${PEM_BEGIN}[A-Za-z0-9+/=\s\\:,.\-]*`) },
  {
    id: "aws-secret-access-key",
    pattern: rx(String.raw`(?<pre>(?:aws_?)?secret_?(?:access_?)?key${SEP}${Q}?)(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`, "gi"),
  },
  { id: "anthropic-key", pattern: rx(String.raw`${B}sk-ant-[A-Za-z0-9_\-]{20,1024}`) },
  {
    id: "openai-key",
    pattern: rx(String.raw`${B}sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,1024}`),
    // Real keys are random: a run of lowercase words like `sk-learn-compatible-v2` is prose.
    keep: (value) => !HAS_UPPER_LOWER_DIGIT.test(value.slice(3)),
  },
  // A GitHub token's prefix and length are distinctive enough to be found glued to a word too
  // (`ep_ghp_…`, `wghp_…`): a token a word boundary would hide is still a token.
  { id: "github-token", pattern: rx(String.raw`(?:gh[pousr]_[A-Za-z0-9]{36,251}|${B}github_pat_[A-Za-z0-9_]{82,251})(?![A-Za-z0-9_])`) },
  { id: "aws-access-key-id", pattern: rx(String.raw`${B}(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9_\-])`) },
  { id: "slack-token", pattern: rx(String.raw`${B}xox[abposr]-[A-Za-z0-9\-]{10,255}`) },
  { id: "stripe-key", pattern: rx(String.raw`${B}[sr]k_(?:live|test)_[A-Za-z0-9]{16,247}`) },
  { id: "google-api-key", pattern: rx(String.raw`${B}AIza[A-Za-z0-9_\-]{35}(?![A-Za-z0-9_\-])`) },
  { id: "npm-token", pattern: rx(String.raw`${B}npm_[A-Za-z0-9]{36}(?![A-Za-z0-9_\-])`) },
  { id: "jwt", pattern: rx(String.raw`${B}eyJ[A-Za-z0-9_\-]{5,4096}\.eyJ[A-Za-z0-9_\-]{5,8192}\.[A-Za-z0-9_\-]{0,4096}`) },
  {
    id: "http-header",
    pattern: rx(
      String.raw`(?<pre>${B}(?:proxy-)?authorization${Q}{0,2}[ \t]*:[ \t]*${Q}{0,2}(?:${AUTH_SCHEME}[ \t]+)?)(?<secret>${BARE})`,
      "gi",
    ),
    keep: keepHeader,
  },
  {
    id: "http-header",
    pattern: rx(String.raw`(?<pre>${B}(?:set-)?cookie${Q}{0,2}[ \t]*:[ \t]*${Q}{0,2})(?<secret>${TO_EOL})`, "gi"),
    keep: isPlaceholder,
  },
  {
    id: "url-credentials",
    pattern: rx(
      String.raw`(?<pre>${B}[A-Za-z][A-Za-z0-9+.\-]{1,20}://[^\s:/@"'\x60<>\\]{0,256}:)(?<secret>[^\s/"'\x60<>\\]{1,256})(?<post>@)`,
    ),
    keep: isPlaceholder,
  },
  assignment(String.raw`(?<q>["'\x60])`, String.raw`(?:\\[^\n]|(?!\k<q>)[^\n\\])*`, String.raw`\k<q>|(?=[\r\n]|$)`),
  assignment(String.raw`\\(?<q>["'])`, String.raw`(?:(?!\\\k<q>)[^\n\\]|\\(?!\k<q>)[^\n])*`, String.raw`\\\k<q>|(?=[\r\n]|$)`),
  assignment(String.raw`(?<q>&quot;|&#0?3[49];|&#x2[27];|&apos;)`, String.raw`(?:(?!\k<q>)[^\n<])*`, String.raw`\k<q>|(?=[\r\n<]|$)`),
  assignment("", BARE, ""),
];

const SEP_ANY = String.raw`(?:\\\\|[\\/])`;
/** Path start: not inside a word or path, or right after a JSON escape such as `\n`. */
const PATH_START = String.raw`(?:(?<![\w.~\-])|(?<=\\[nrt]))`;

/** Any user's home directory (the username is personal data); applied after the actual home. */
export const HOME_RULES: readonly RedactionRule[] = [
  {
    id: "home-path",
    replacement: "~",
    pattern: rx(String.raw`${PATH_START}(?:/var)?/(?:home|Users)/(?!(?:Shared|Public|Guest)(?![\w.\-]))[\w.\-]+`),
  },
  {
    id: "home-path",
    replacement: "~",
    pattern: rx(
      String.raw`(?:(?<![A-Za-z0-9])|(?<=\\[nrt]))[A-Za-z]:${SEP_ANY}Users${SEP_ANY}(?!(?:Public|Default|All Users)(?![\w.\-]))[^\\/\s"'<>:|*?&]+`,
    ),
  },
];

/** The actual home directory → `~`, matched with either separator and JSON-escaped backslashes. */
export function homeRule(home: string): RedactionRule | undefined {
  const segments = home.replace(/[\\/]+$/, "").split(/[\\/]+/);
  // `/` or a bare drive is no home directory: replacing it would rewrite every absolute path.
  if (segments.filter((s) => s !== "" && !/^[A-Za-z]:$/.test(s)).length === 0) return undefined;
  const escaped = segments.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(SEP_ANY);
  return { id: "home-path", replacement: "~", pattern: rx(String.raw`${PATH_START}${escaped}(?![\w.\-])`) };
}

/** Object keys whose string value is a secret as a whole, and the rule a hit counts under. */
const KEY_RULES: readonly { key: RegExp; id: string; scheme: boolean }[] = [
  { key: /^(?:aws_?)?secret_?access_?key$/i, id: "aws-secret-access-key", scheme: false },
  { key: /^(?:proxy-)?authorization$|^(?:set-)?cookie$/i, id: "http-header", scheme: true },
  { key: rx(`${SECRET_WORD}$`, "i"), id: "secret-assignment", scheme: false },
];

export function keyRuleFor(key: string): { id: string; scheme: boolean } | undefined {
  return KEY_RULES.find((rule) => rule.key.test(key));
}

/** An auth scheme a header value keeps in the clear (`Bearer ` in `Bearer abc`). */
export const SCHEME_PREFIX = rx(String.raw`^${AUTH_SCHEME}[ \t]+`, "i");
