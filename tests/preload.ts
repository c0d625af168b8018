// Makes every test hermetic: a throwaway HOME and TMPDIR (per test file under `--parallel`, which
// re-runs this for each file), no credentials or LOKI_* settings from the developer's shell, no color,
// UTC, and a fixed git identity. Loaded by bunfig.toml; removes its directories when the file is done.
import { afterAll } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// HOME and TMPDIR side by side in one private root: what a test leaves in "the" temp dir (or a test
// fixture that writes into every directory it finds there, as tests-gate.test.ts's report forger does)
// reaches only this file's directories, never those of a file running next to it or another checkout's
// suite on the same machine. Children started through process.env (Bun.spawn, node:child_process) inherit it.
const shared = tmpdir();
const root = mkdtempSync(join(shared, "loki-test-"));
const home = join(root, "home");
const tmp = join(root, "tmp");
mkdirSync(home);
mkdirSync(tmp);
process.env.TMPDIR = tmp;
process.env.HOME = home;
process.env.USERPROFILE = home;
process.env.XDG_CONFIG_HOME = join(home, ".config");
process.env.XDG_DATA_HOME = join(home, ".local", "share");
process.env.XDG_STATE_HOME = join(home, ".local", "state");

const SECRET =
  /(_TOKEN|_API_KEY|_SECRET|_PASSWORD)$|^(GH_|GITHUB_|GITLAB_|JIRA_|AZURE_|ANTHROPIC_|OPENAI_|CLAUDE_|CODEX_|LOKI_)|^CI_API_V4_URL$/;
// LOKI_SKIP_BROWSER_TESTS is a switch for the test run itself, not a setting under test.
for (const name of Object.keys(process.env)) if (SECRET.test(name) && name !== "LOKI_SKIP_BROWSER_TESTS") delete process.env[name];

// The real runners the gates drive on fixtures: Go's build cache (content-addressed, safe to share
// between processes) is kept for the whole suite rather than rebuilt cold in every file's HOME, where
// compiling `testing` costs about 5 CPU-s; pytest loads no plugins this machine happens to have
// installed (the fixtures use none; hypothesis alone adds 0.8 s to every pytest start).
process.env.GOCACHE = join(shared, "loki-test-go-cache");
process.env.PYTEST_DISABLE_PLUGIN_AUTOLOAD = "1";

// A test in a pseudo-terminal is an interactive run to `loki start`: no browser opens on the
// developer's desktop unless the test asks for it (tests/commands/dashboard-open.test.ts).
process.env.LOKI_NO_AUTO_OPEN = "1";
process.env.NO_COLOR = "1";
process.env.TZ = "UTC";
process.env.CI = "true";
const gitconfig = join(home, ".gitconfig");
writeFileSync(
  gitconfig,
  "[user]\n\tname = loki-test\n\temail = test@loki.invalid\n[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n[maintenance]\n\tauto = false\n[gc]\n\tauto = 0\n",
);
process.env.GIT_CONFIG_GLOBAL = gitconfig;
process.env.GIT_CONFIG_NOSYSTEM = "1";

// Bun.spawn and Bun.spawnSync without an `env` pass the environment the process STARTED with, not
// process.env as changed above: a test's `git commit` would read the developer's ~/.gitconfig (and fail
// on a machine with no git identity), a child would write the real HOME. Every child gets process.env.
type Spawn = typeof Bun.spawn;
const withEnv = (first: unknown, options?: object): unknown[] =>
  Array.isArray(first) ? [first, { env: process.env, ...options }] : [{ env: process.env, ...(first as object) }];
const spawn = Bun.spawn;
const spawnSync = Bun.spawnSync;
Bun.spawn = ((first: unknown, options?: object) => (spawn as (...args: unknown[]) => unknown)(...withEnv(first, options))) as Spawn;
Bun.spawnSync = ((first: unknown, options?: object) =>
  (spawnSync as (...args: unknown[]) => unknown)(...withEnv(first, options))) as typeof Bun.spawnSync;

// A preload's afterAll runs once its file (under --parallel) or the whole serial run is over.
afterAll(() => rmSync(root, { recursive: true, force: true }));

// A run in a test starts no Live App Preview of the fixture repository unless the test asks for one
// (tests/app/run-preview.test.ts sets LOKI_APP_PREVIEW=on): a supervisor outlives the run by design.
process.env.LOKI_APP_PREVIEW = "off";
