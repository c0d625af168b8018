// The secrets gate's built-in rules as pure data (hence ~680 lines: one record of a few lines per
// rule once formatted, and splitting a flat table would only scatter it): one credential format each,
// with its own true/false-positive samples that tests/gates/secrets.test.ts runs. Every sample is
// fabricated (LokiFake, f4ce, L0k1…), never real; placeholder-filtered rules' samples avoid "fake".
import type { Severity } from "../core/schema.ts";

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

/** Values that name a secret instead of holding one: templates, env lookups, docs placeholders. */
export const PLACEHOLDERS: readonly RegExp[] = [
  /^\$\{?[A-Za-z_]/, // $VAR, ${VAR}
  /<[^>]*>|\{\{[^}]*\}\}|\{%|%\(\w+\)s|^%[sdv]$|\$\{/, // <token>, {{ token }}, %(x)s, ${…}
  /process\.env|os\.environ|getenv|System\.getenv|\bENV\[|secrets\.|vault:/i,
  /change_?me|replace_?me|placeholder|your[_-]?|example|dummy|sample|fake|test|todo|redacted|insert|xxx|\*\*\*|\.\.\./i,
  /^(.)\1*$/, // all the same character
  /^(?:password|passwd|secret|token|null|none|nil|undefined|true|false|admin|root|guest|user|pass|pwd|postgres|mysql|redis|rabbitmq|pa\$\$word|foo|bar|baz|qux|xyz|abc|abc123|12345?6?|qwerty)$/i,
];

/** Values the generic rules see in ordinary code: identifiers, slugs, i18n keys, paths and URLs. */
const NOT_A_SECRET: readonly RegExp[] = [
  /^[a-z]+(?:[-_.][a-z0-9]+)*$/,
  /^_*[A-Za-z][a-z]*(?:[A-Z]+[a-z]*)+$/,
  /^[A-Z]+(?:_[A-Z0-9]+)+$/,
  /^\.{0,2}\//,
  /:\/\//,
];

const ASSIGN = String.raw`["'\x60]?\s*(?::=|=>|[:=])\s*["'\x60]?`;
const rx = (source: string, flags = "") => new RegExp(source, flags);
/** The words a generic secret assignment's key contains (the keyword prefilter of those rules). */
const SECRET_NAMES = [
  ...["passw", "pwd", "secret", "token", "api_key", "apikey", "api-key"],
  ...["access_key", "accesskey", "access-key", "auth_key", "authkey", "private_key", "privatekey"],
];

export const SECRET_RULES: readonly SecretRule[] = [
  {
    id: "aws-access-key-id",
    title: "AWS access key id",
    severity: "critical",
    regex: /\b(?<secret>(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b/,
    keywords: ["akia", "asia", "abia", "acca"],
    entropy: 3,
    allow: [/EXAMPLE$/],
    samples: {
      tp: ["aws_access_key_id = AKIAQ3LOKIF4KEZX2W7Y", 'export AWS_ACCESS_KEY_ID="ASIAZ7LOKIFAKE5J6K2Q"'],
      fp: ["aws_access_key_id = AKIAIOSFODNN7EXAMPLE", 'const PREFIX = "AKIA"; // ids start with AKIA', "AKIAAAAAAAAAAAAAAAAA"],
    }, // loki:allow-secret
  },
  {
    id: "aws-secret-access-key",
    title: "AWS secret access key",
    severity: "critical",
    regex: rx(
      String.raw`(?:aws[\w.-]{0,20}secret[\w.-]{0,20}|secret[_-]?access[_-]?key)${ASSIGN}(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`,
      "i",
    ),
    keywords: ["aws", "secretaccesskey", "secret_access_key", "secret-access-key"],
    entropy: 4,
    allow: [/EXAMPLEKEY$/],
    samples: {
      tp: [
        "aws_secret_access_key = LokiFake/bU6uj34mARo52XCY4ksTDYTU87dXoUD",
        '"SecretAccessKey": "LokiFake/bU6uj34mARo52XCY4ksTDYTU87dXoUD",',
      ],
      fp: [
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}",
        "aws_secret_access_key = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      ],
    }, // loki:allow-secret
  },
  {
    id: "github-pat",
    title: "GitHub personal access token",
    severity: "critical",
    regex: /\b(?<secret>ghp_[A-Za-z0-9]{36})\b/,
    keywords: ["ghp_"],
    entropy: 3,
    samples: {
      tp: ['token: "ghp_LokiFake0UuygP7IR60AO4EdL7As93BKNTD6"'],
      fp: [
        "token: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "prefix ghp_ marks classic tokens",
        'createTokenAuth("ghp_PersonalAccessToken01245678900000000")',
      ],
    }, // loki:allow-secret
  },
  {
    id: "github-oauth-token",
    title: "GitHub OAuth access token",
    severity: "critical",
    regex: /\b(?<secret>gho_[A-Za-z0-9]{36})\b/,
    keywords: ["gho_"],
    entropy: 3,
    samples: { tp: ["GH_OAUTH=gho_LokiFakeYtGk6CXa5NU9kPlWIDKIpecCauRb"], fp: ["gho_short_token_name = 1"] }, // loki:allow-secret
  },
  {
    id: "github-app-token",
    title: "GitHub App token",
    severity: "critical",
    regex: /\b(?<secret>gh[us]_[A-Za-z0-9]{36})\b/,
    keywords: ["ghu_", "ghs_"],
    entropy: 3,
    samples: {
      tp: ["user_token = 'ghu_LokiFakefCbqVe2Dp1RBNRrNHm9vxPnRnYkJ'", "installation: ghs_LokiFakeRuMeZMJ99mLtUkxtxWadezO1BSHX"],
      fp: ["ghs_000000000000000000000000000000000000"],
    }, // loki:allow-secret
  },
  {
    id: "github-refresh-token",
    title: "GitHub refresh token",
    severity: "critical",
    regex: /\b(?<secret>ghr_[A-Za-z0-9]{36,76})\b/,
    keywords: ["ghr_"],
    entropy: 3,
    samples: { tp: ['refresh = "ghr_LokiFakeQ3U14X2ilyxQ4CtEGrCsfvsVK2SW"'], fp: ["ghr_ is the refresh-token prefix"] }, // loki:allow-secret
  },
  {
    id: "github-fine-grained-pat",
    title: "GitHub fine-grained personal access token",
    severity: "critical",
    regex: /\b(?<secret>github_pat_[A-Za-z0-9_]{82})\b/,
    keywords: ["github_pat_"],
    entropy: 3,
    samples: {
      tp: ["GITHUB_TOKEN=github_pat_11LOKIFAKEt1kO3TK3q6xi_LokiFakebN5Yo2bypU0cF0IsbKkf4fEMV1RWBmEOJOGFTxRBgaqVtnDP5LD"],
      fp: [
        "GITHUB_TOKEN=github_pat_<redacted>",
        "github_pat_11AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      ],
    }, // loki:allow-secret
  },
  {
    id: "gitlab-pat",
    title: "GitLab personal access token",
    severity: "critical",
    regex: /\b(?<secret>glpat-[A-Za-z0-9_-]{20,}(?:\.[0-9a-z]{2}\.[A-Za-z0-9_-]+)?)/,
    keywords: ["glpat-"],
    entropy: 3,
    samples: { tp: ["PRIVATE-TOKEN: glpat-LokiFakeiiL8lkI0-85V"], fp: ["glpat-xxxxxxxxxxxxxxxxxxxx", "see glpat-<token> in the docs"] }, // loki:allow-secret
  },
  {
    id: "gitlab-ci-token",
    title: "GitLab runner, deploy or trigger token",
    severity: "critical",
    regex: /\b(?<secret>glptt-[0-9a-f]{40}|glrt-[A-Za-z0-9_-]{20,}|gldt-[A-Za-z0-9_-]{20,})/,
    keywords: ["glptt-", "glrt-", "gldt-"],
    entropy: 3,
    samples: { tp: ["--token glrt-LokiFakeEzcbDOkS_ND-"], fp: ["glrt-00000000000000000000"] }, // loki:allow-secret
  },
  {
    id: "slack-bot-token",
    title: "Slack bot token",
    severity: "high",
    regex: /\b(?<secret>xoxb-[0-9]{10,13}-[0-9]{10,13}[A-Za-z0-9-]*)/,
    keywords: ["xoxb-"],
    entropy: 3,
    samples: {
      tp: ["SLACK_BOT_TOKEN=xoxb-1234567890123-1234567890123-LokiFakevzuG1y0KqYNPER8z"],
      fp: ["SLACK_BOT_TOKEN=xoxb-your-bot-token", "xoxb-0000000000-0000000000"],
    }, // loki:allow-secret
  },
  {
    id: "slack-user-token",
    title: "Slack user or legacy token",
    severity: "high",
    regex: /\b(?<secret>xox[pears]-(?=[0-9A-Za-z-]{24})[0-9A-Za-z]{1,20}(?:-[0-9A-Za-z]{1,64}){1,4})/,
    keywords: ["xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-"],
    entropy: 3,
    allow: [/your|here|token|x{8}|\.\.\./i],
    samples: {
      tp: ["token = xoxp-1234567890-1234567890123-1234567890123-lokifakeb89f684ffbccfd310ae79268"],
      fp: ["token = xoxp-your-slack-user-token-here", "xoxs-1-2"],
    }, // loki:allow-secret
  },
  {
    id: "slack-app-token",
    title: "Slack app-level token",
    severity: "high",
    regex: /\b(?<secret>xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+)\b/,
    keywords: ["xapp-"],
    entropy: 3,
    samples: {
      tp: ["SLACK_APP_TOKEN=xapp-1-A0LOKIFAKE1-1234567890123-f4ce7459e1b0ff9a3ca09a26e61ffe57cde0b6e8b4a068d48a6417a8cf3c9e54"],
      fp: ["SLACK_APP_TOKEN=xapp-1-X-1-x"],
    }, // loki:allow-secret
  },
  {
    id: "slack-webhook",
    title: "Slack incoming webhook",
    severity: "high",
    regex: /(?<secret>https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9+/]{43,56})/,
    keywords: ["hooks.slack.com"],
    allow: [/X{8,}|0{8}\/B0{8}/],
    samples: {
      tp: ["webhook: https://hooks.slack.com/services/T0LOKIFAK/B0LOKIFAK/LokiFakeKFRsrC217HWGb14N"],
      fp: [
        "webhook: https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "see https://hooks.slack.com/ for setup",
      ],
    }, // loki:allow-secret
  },
  {
    id: "stripe-live-key",
    title: "Stripe live secret or restricted key",
    severity: "critical",
    regex: /\b(?<secret>(?:sk|rk)_live_[A-Za-z0-9]{24,99})\b/,
    keywords: ["sk_live_", "rk_live_"],
    entropy: 3,
    samples: {
      tp: ['Stripe("sk_live_LokiFakedW6itKlygflNAR5h")', "STRIPE_KEY=rk_live_LokiFakehJGb73h3jqOnxc2K"],
      fp: ["if (key.startsWith('sk_live_')) warn()", "sk_live_000000000000000000000000"],
    }, // loki:allow-secret
  },
  {
    id: "stripe-test-key",
    title: "Stripe test secret key",
    severity: "low",
    regex: /\b(?<secret>(?:sk|rk)_test_[A-Za-z0-9]{24,99})\b/,
    keywords: ["sk_test_", "rk_test_"],
    entropy: 3,
    samples: { tp: ["STRIPE_SECRET_KEY=sk_test_LokiFakeKehHKMyIHjRXkPcN"], fp: ["STRIPE_SECRET_KEY=sk_test_..."] }, // loki:allow-secret
  },
  {
    id: "stripe-webhook-secret",
    title: "Stripe webhook signing secret",
    severity: "high",
    regex: /\b(?<secret>whsec_[A-Za-z0-9+/=]{32,})/,
    keywords: ["whsec_"],
    entropy: 3,
    samples: { tp: ['endpointSecret = "whsec_LokiFakegoG4zzAJ765buXzofGUos2kB"'], fp: ['endpointSecret = "whsec_..."'] }, // loki:allow-secret
  },
  {
    id: "google-api-key",
    title: "Google API key",
    severity: "high",
    regex: /\b(?<secret>AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])/,
    keywords: ["aiza"],
    entropy: 3,
    samples: {
      tp: ['apiKey: "AIzaSyLokiFake8nvD1xTUwMFR2tZnLuuoYe7ff",'],
      fp: ['apiKey: "AIzaSyXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",', "AIzaSy-short"],
    }, // loki:allow-secret
  },
  {
    id: "google-oauth-client-secret",
    title: "Google OAuth client secret",
    severity: "high",
    regex: /\b(?<secret>GOCSPX-[A-Za-z0-9_-]{28})(?![A-Za-z0-9_-])/,
    keywords: ["gocspx-"],
    entropy: 3,
    samples: { tp: ['"client_secret": "GOCSPX-LokiFake3O61PlZwZ94Ztnv4cts-"'], fp: ['"client_secret": "GOCSPX-<your-secret>"'] }, // loki:allow-secret
  },
  {
    id: "anthropic-api-key",
    title: "Anthropic API key",
    severity: "high",
    regex: /\b(?<secret>sk-ant-(?:api|admin|sid)\d{2}-[A-Za-z0-9_-]{80,120})(?![A-Za-z0-9_-])/,
    keywords: ["sk-ant-"],
    entropy: 3.5,
    samples: {
      tp: [
        "ANTHROPIC_API_KEY=sk-ant-api03-LokiFake0Lgifc1Fv6SHSuTDAM3HiD1TubSOvTATNMBDYxEjZkc8kUJPpx7OYSACWanSmHcZB3ZsLwzbqtF1HV936XWteAA",
      ],
      fp: ["ANTHROPIC_API_KEY=sk-ant-api03-...", "keys look like sk-ant-api03-xxxxxxxx"],
    }, // loki:allow-secret
  },
  {
    id: "openai-project-key",
    title: "OpenAI project or service-account key",
    severity: "high",
    regex: /\b(?<secret>sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,250})(?![A-Za-z0-9_-])/,
    keywords: ["sk-proj-", "sk-svcacct-", "sk-admin-"],
    entropy: 3.5,
    samples: {
      tp: [
        'OPENAI_API_KEY="sk-proj-LokiFake9mriFvLHkKbulbIx4GiLm3ty_bvMPUMiIgsOk6qcfIki1qv354_w_xMPq0tF4Z4VWqNNLZsNOCFyBVLx3rlOVZQsYYoLCOfNfo72-UmwNt_T5Lwe"',
      ],
      fp: ['OPENAI_API_KEY="sk-proj-..."'],
    }, // loki:allow-secret
  },
  {
    id: "openai-legacy-key",
    title: "OpenAI API key",
    severity: "high",
    regex: /\b(?<secret>sk-[A-Za-z0-9]{48})(?![A-Za-z0-9_-])/,
    keywords: ["sk-"],
    entropy: 3.5,
    samples: {
      tp: ["openai.api_key = 'sk-LokiFakeuojJG5AdGXm0T3BlbkFJLokiFakefp5Lk4CJFzMj'"],
      fp: ["const disk-usage = 1", "sk-000000000000000000000000000000000000000000000000"],
    }, // loki:allow-secret
  },
  {
    id: "npm-token",
    title: "npm access token",
    severity: "critical",
    regex: /\b(?<secret>npm_[A-Za-z0-9]{36})(?![A-Za-z0-9])/,
    keywords: ["npm_"],
    entropy: 3,
    samples: {
      tp: ["//registry.npmjs.org/:_authToken=npm_LokiFakeUa9UcIvix7ftmQzpBpOK3yo9kjDE"],
      fp: ["//registry.npmjs.org/:_authToken=${NPM_TOKEN}", "npm_config_cache=/tmp/npm_cache_directory_for_builds"],
    }, // loki:allow-secret
  },
  {
    id: "pypi-token",
    title: "PyPI upload token",
    severity: "critical",
    regex: /\b(?<secret>pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,})/,
    keywords: ["pypi-ageichlwas5vcmc"],
    entropy: 3,
    samples: {
      tp: ["password = pypi-AgEIcHlwaS5vcmcLokiFakeuhJlkBwXb8OJFaERtcsh2930l961XWEsTdH_6T-fLcw2sWtIPz18"],
      fp: ["password = pypi-AgEIcHlwaS5vcmc..."],
    }, // loki:allow-secret
  },
  {
    id: "private-key",
    title: "Private key",
    severity: "critical",
    // A header alone on its line (a PEM file) or followed by key material (an escaped PEM string).
    regex: /(?<secret>-----BEGIN[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:(?:\\[rn]|\s)+[A-Za-z0-9+/=]{16,}|\s*$))/,
    keywords: ["private key"],
    samples: {
      tp: [
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        "  -----BEGIN EC PRIVATE KEY-----",
        "-----BEGIN PGP PRIVATE KEY BLOCK-----",
        '"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC+Z5rEV7JzvlHOdclE9BgZxa12Dlkj6Ha\\n"',
      ],
      fp: [
        "-----BEGIN PUBLIC KEY-----",
        'const HEADER = "-----BEGIN PRIVATE KEY-----";',
        '"key": "-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----"',
      ],
    }, // loki:allow-secret
  },
  {
    id: "age-secret-key",
    title: "age secret key",
    severity: "critical",
    regex: /\b(?<secret>AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})\b/,
    keywords: ["age-secret-key-1"],
    entropy: 3,
    samples: {
      tp: ["AGE-SECRET-KEY-13KU7GNX50YMWS4TWVVSHGXAK6ZRV4MM5E6L5QK4HMK07QZXTVJFTGTH6CT"],
      fp: ["# AGE-SECRET-KEY-1... goes in keys.txt"],
    }, // loki:allow-secret
  },
  {
    id: "twilio-api-key",
    title: "Twilio API key",
    severity: "high",
    regex: /\b(?<secret>SK[0-9a-fA-F]{32})\b/,
    keywords: ["sk"],
    entropy: 3,
    samples: { tp: ['twilio.apiKey = "SKf4ce504acd71057a2a23d1a656b26a9a"'], fp: ["SK00000000000000000000000000000000", "const TASK = 1"] }, // loki:allow-secret
  },
  {
    id: "twilio-account-sid",
    title: "Twilio account SID",
    severity: "medium",
    regex: /\b(?<secret>AC[0-9a-f]{32})\b/,
    // An account SID alone is an identifier, and "ac" is in every other line: ask for Twilio context.
    keywords: ["twilio", "account_sid", "accountsid", "account-sid"],
    entropy: 3,
    samples: {
      tp: ["TWILIO_ACCOUNT_SID=ACf4cee7aa0f9c861359f1c0f347e7d5c7"],
      fp: ["TWILIO_ACCOUNT_SID=ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ACCOUNT_SID=AC00000000000000000000000000000000"],
    }, // loki:allow-secret
  },
  {
    id: "sendgrid-api-key",
    title: "SendGrid API key",
    severity: "high",
    regex: /\b(?<secret>SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/,
    keywords: ["sg."],
    entropy: 3,
    samples: {
      tp: ["SENDGRID_API_KEY=SG.LokiFakelIPH5YKryAMAVC.LokiFakeRMRtymHPpPU5QB6l61rriVLQPKKNuuJHCof"],
      fp: ["msg.send(payload)", "SENDGRID_API_KEY=SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"],
    }, // loki:allow-secret
  },
  {
    id: "mailgun-api-key",
    title: "Mailgun API key",
    severity: "high",
    regex: /\b(?<secret>key-[0-9a-f]{32})\b/,
    keywords: ["key-"],
    entropy: 3,
    samples: {
      tp: ["MAILGUN_API_KEY=key-f4ce0128fc6a2e68cefbfd4df7e5aa20"],
      fp: ["key-value store", "MAILGUN_API_KEY=key-00000000000000000000000000000000"],
    }, // loki:allow-secret
  },
  {
    id: "azure-storage-account-key",
    title: "Azure storage account key",
    severity: "critical",
    regex: /AccountKey=(?<secret>[A-Za-z0-9+/]{86}==)/,
    keywords: ["accountkey="],
    // The Azurite emulator's key is published in Microsoft's documentation.
    allow: [/^Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq\/K1SZFPTOtr\/KBHBeksoGMGw==$/],
    entropy: 4,
    samples: {
      tp: [
        "DefaultEndpointsProtocol=https;AccountName=lokifake;AccountKey=LokiFakei73a91YsCglzblNmsmT6LeOO1g7IGTM9kUxTUdS64iVnn+OxSQl93X1MVzKQj91WhcuQk22gjz8z9i==;EndpointSuffix=core.windows.net",
      ],
      fp: [
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;",
        "AccountKey=<account-key>",
      ],
    }, // loki:allow-secret
  },
  {
    id: "azure-ad-client-secret",
    title: "Azure AD client secret",
    severity: "critical",
    regex: /(?::=|=>|[:=])\s*["'\x60]?(?<secret>[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?![A-Za-z0-9_~.-])/,
    keywords: ["q~"],
    entropy: 3,
    samples: {
      tp: ['AZURE_CLIENT_SECRET="Lk38Q~LokiFakejy431tn3kdm754nPqV0OFH3Hui"'],
      fp: ["path = ~/Q~notes", 'AZURE_CLIENT_SECRET="abc8Q~aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"'],
    }, // loki:allow-secret
  },
  {
    id: "heroku-api-key",
    title: "Heroku API key",
    severity: "high",
    regex: rx(
      String.raw`(?<![A-Za-z0-9])heroku[\w.-]{0,25}?(?:key|token|secret)${ASSIGN}(?<secret>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b`,
      "i",
    ),
    keywords: ["heroku"],
    entropy: 3,
    samples: {
      tp: ["HEROKU_API_KEY=f4ce0000-1234-4abc-9def-61b4515f68ef"],
      fp: ["heroku_app_id = 'f4ce0000-1234-4abc-9def-61b4515f68ef'", "HEROKU_API_KEY=00000000-0000-0000-0000-000000000000"],
    }, // loki:allow-secret
  },
  {
    id: "digitalocean-token",
    title: "DigitalOcean token",
    severity: "critical",
    regex: /\b(?<secret>do[opr]_v1_[a-f0-9]{64})\b/,
    keywords: ["dop_v1_", "doo_v1_", "dor_v1_"],
    entropy: 3,
    samples: {
      tp: ["DIGITALOCEAN_TOKEN=dop_v1_f4ce689071b4eabe0f82db4db8811005a80ecc2cde51c82e047446f1f11a0f90"],
      fp: ["DIGITALOCEAN_TOKEN=dop_v1_0000000000000000000000000000000000000000000000000000000000000000"],
    }, // loki:allow-secret
  },
  {
    id: "shopify-token",
    title: "Shopify access token or shared secret",
    severity: "high",
    regex: /\b(?<secret>shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32})\b/,
    keywords: ["shpat_", "shpss_", "shpca_", "shppa_"],
    entropy: 3,
    samples: {
      tp: ["X-Shopify-Access-Token: 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", "secret: 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"],
      fp: ["X-Shopify-Access-Token: shpat_xxxxxxxx"],
    }, // loki:allow-secret
  },
  {
    id: "discord-bot-token",
    title: "Discord bot token",
    severity: "high",
    regex: /(?<![A-Za-z0-9_-])(?<secret>[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38})(?![A-Za-z0-9_-])/,
    keywords: ["discord", "bot"],
    entropy: 3,
    samples: {
      tp: ['client.login("MTk4NjIyNDgzNDcxOTI1MjQ4.LkxkwD.LokiFakeV8bSoCTB6VkK9KbTBsp") // discord bot'],
      fp: ["bot.login(process.env.DISCORD_TOKEN)"],
    }, // loki:allow-secret
  },
  {
    id: "telegram-bot-token",
    title: "Telegram bot token",
    severity: "high",
    regex: /(?<![0-9])(?<secret>[0-9]{8,10}:AA[A-Za-z0-9_-]{33})(?![A-Za-z0-9_-])/,
    keywords: [":aa"],
    entropy: 3,
    samples: {
      tp: ["TELEGRAM_BOT_TOKEN=123456789:AALokiFakeQ0mwRiwaXoUyGi7syVP6RE-0Z"],
      fp: ["time: 12:AA", "TELEGRAM_BOT_TOKEN=123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
    }, // loki:allow-secret
  },
  {
    id: "datadog-api-key",
    title: "Datadog API or application key",
    severity: "high",
    regex: rx(String.raw`(?<![A-Za-z0-9])(?:datadog|dd)[\w.-]{0,20}?key${ASSIGN}(?<secret>[a-f0-9]{32}(?:[a-f0-9]{8})?)(?![a-f0-9])`, "i"),
    keywords: ["datadog", "dd_", "dd-", "ddapi", "ddapp"],
    entropy: 3,
    samples: {
      tp: ["DD_API_KEY=f4ce1bff45faac41cebeceba24766c4c", "datadog.apiKey: 'f4ce1bff45faac41cebeceba24766c4c'"],
      fp: ["add_key = f4ce1bff45faac41cebeceba24766c4c", "DD_API_KEY=00000000000000000000000000000000"],
    }, // loki:allow-secret
  },
  {
    id: "square-access-token",
    title: "Square access token",
    severity: "critical",
    regex: /\b(?<secret>sq0atp-[0-9A-Za-z_-]{22})(?![0-9A-Za-z_-])/,
    keywords: ["sq0atp-"],
    entropy: 3,
    samples: { tp: ["SQUARE_ACCESS_TOKEN=sq0atp-LokiFake904Q74vAYNKe4d"], fp: ["SQUARE_ACCESS_TOKEN=sq0atp-..."] }, // loki:allow-secret
  },
  {
    id: "square-oauth-secret",
    title: "Square OAuth secret",
    severity: "critical",
    regex: /\b(?<secret>sq0csp-[0-9A-Za-z_-]{43})(?![0-9A-Za-z_-])/,
    keywords: ["sq0csp-"],
    entropy: 3,
    samples: {
      tp: ["square_secret: sq0csp-LokiFakemhJXUqt1nnYwxoIZw_eW2alCcCk4Dkewky5"],
      fp: ["square_secret: sq0csp-0000000000000000000000000000000000000000000"],
    }, // loki:allow-secret
  },
  {
    id: "huggingface-token",
    title: "Hugging Face access token",
    severity: "high",
    regex: /\b(?<secret>hf_[A-Za-z]{34})\b/,
    keywords: ["hf_"],
    entropy: 3.5,
    samples: {
      tp: ['HF_TOKEN = "hf_LokiFakeYCPnhMldKCWSGgqWBzyjtcHNTg"'],
      fp: ["from huggingface_hub import hf_hub_download", "hf_token = os.environ['HF_TOKEN']"],
    }, // loki:allow-secret
  },
  {
    id: "databricks-token",
    title: "Databricks personal access token",
    severity: "high",
    regex: /\b(?<secret>dapi[a-f0-9]{32}(?:-\d)?)\b/,
    keywords: ["dapi"],
    entropy: 3,
    samples: {
      tp: ["DATABRICKS_TOKEN=dapif4ce63974b79e292190bb0999bb0579e"],
      fp: ["dapi_version = 2", "DATABRICKS_TOKEN=dapi00000000000000000000000000000000"],
    }, // loki:allow-secret
  },
  {
    id: "linear-api-key",
    title: "Linear API key",
    severity: "high",
    regex: /\b(?<secret>lin_api_[A-Za-z0-9]{40})\b/,
    keywords: ["lin_api_"],
    entropy: 3,
    samples: {
      tp: ["LINEAR_API_KEY=lin_api_LokiFakeiYFBSIkN82uHFOOKlqLIJuxmjHRiJxEb"],
      fp: ["LINEAR_API_KEY=lin_api_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"],
    }, // loki:allow-secret
  },
  {
    id: "authorization-header",
    title: "Authorization header with a literal credential",
    severity: "high",
    regex: /\bauthorization["'\x60]?\s*[:=,]\s*["'\x60]?(?:basic|bearer|token)\s+(?<secret>[A-Za-z0-9+/_.~=-]{16,})/i,
    keywords: ["authorization"],
    entropy: 3,
    allow: PLACEHOLDERS,
    samples: {
      tp: [
        'curl -H "Authorization: Bearer L0k1QKgtYudKubWHXnY3FvVj1TDPJ-5SyU3A" https://api.invalid',
        "headers: { Authorization: 'Basic bG9raTpacTd2TjJwWDlrTHc0bVI4' }",
      ],
      fp: [
        "headers: { Authorization: `Bearer ${token}` }",
        'curl -H "Authorization: Bearer <YOUR_TOKEN>"',
        "Authorization: Bearer xxxxxxxxxxxxxxxxxxxxxxxx",
      ],
    }, // loki:allow-secret
  },
  {
    id: "url-credentials",
    title: "URL with embedded credentials",
    severity: "high",
    regex: /:\/\/[^:/?#@\s"'\x60]{1,64}:(?<secret>[^@/?#\s"'\x60]{3,128})@(?=[A-Za-z0-9.[-])/,
    keywords: ["://"],
    allow: PLACEHOLDERS,
    samples: {
      tp: ["DATABASE_URL=postgres://app:Zq7vN2pX9kLw4mR8@db.internal:5432/app", "amqp://worker:s3cr3tPa55w0rd@mq.internal"],
      fp: [
        "DATABASE_URL=postgres://postgres:postgres@localhost:5432/app",
        "url = 'https://user:${PASSWORD}@example.com'",
        "mysql://root:<password>@localhost/db",
        "https://user:****@host",
        "https://example.com/path?q=1",
        "new URL('https://abc:xyz@example.com')",
      ],
    }, // loki:allow-secret
  },
  {
    id: "jwt",
    title: "JSON Web Token",
    severity: "medium",
    regex: /\b(?<secret>eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})/,
    keywords: ["eyj"],
    entropy: 3,
    // jwt.io's sample payload (John Doe), quoted in countless docs and tests.
    allow: [/\.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ\./],
    samples: {
      tp: [
        'const token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJsb2tpLWZha2UtdXNlciIsImlhdCI6MTcwMDAwMDAwMH0.LokiFakejeVDDwOKCzGHZSipO8utdNU0mU2emb35uZ0"',
      ],
      fp: [
        'const header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"',
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
      ],
    }, // loki:allow-secret
  },
  {
    id: "generic-secret-assignment",
    title: "Hard-coded secret in a secret-named assignment",
    severity: "high",
    regex: rx(
      String.raw`(?:passw(?:or)?d|pwd|secret|token|api[_-]?key|access[_-]?key|auth[_-]?key|private[_-]?key)[\w.-]{0,30}["'\x60]?\s*(?::=|=>|[:=])\s*(?<q>["'\x60])(?<secret>[^"'\x60\s]{8,200})\k<q>`,
      "i",
    ),
    keywords: SECRET_NAMES,
    entropy: 3.5,
    allow: [...PLACEHOLDERS, ...NOT_A_SECRET],
    samples: {
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
      ],
    }, // loki:allow-secret
  },
  {
    id: "generic-env-secret",
    title: "Hard-coded secret in a secret-named environment variable",
    severity: "high",
    regex:
      /^\s*(?:export\s+)?[A-Z0-9_]{0,40}(?:PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|AUTH_?KEY|PRIVATE_?KEY)[A-Z0-9_]{0,40}\s*(?:=|:\s)\s*(?<secret>[^\s"'\x60$#]{8,200})\s*$/,
    // An environment variable's name has no hyphens.
    keywords: SECRET_NAMES.filter((k) => !k.includes("-")),
    entropy: 3.5,
    allow: [...PLACEHOLDERS, ...NOT_A_SECRET],
    samples: {
      tp: ["DB_PASSWORD=Zq7vN2pX9kLw4mR8jH3c", "export SESSION_SECRET=Lkumy*RFu!as8i5B@k6%cZF"],
      fp: [
        "DB_PASSWORD=changeme123",
        "SESSION_SECRET=${SESSION_SECRET}",
        "TOKEN_TTL=3600",
        "POSTGRES_PASSWORD: postgres",
        "API_KEY=your-api-key-here",
      ],
    }, // loki:allow-secret
  },
];
