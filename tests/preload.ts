// Makes every test hermetic: a throwaway HOME, no credentials or LOKI_* settings from the
// developer's shell, no color, UTC, and a fixed git identity. Loaded by bunfig.toml.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const home = mkdtempSync(join(tmpdir(), "loki-test-home-"));
process.env.HOME = home;
process.env.USERPROFILE = home;
process.env.XDG_CONFIG_HOME = join(home, ".config");
process.env.XDG_DATA_HOME = join(home, ".local", "share");
process.env.XDG_STATE_HOME = join(home, ".local", "state");

const SECRET =
  /(_TOKEN|_API_KEY|_SECRET|_PASSWORD)$|^(GH_|GITHUB_|GITLAB_|JIRA_|AZURE_|ANTHROPIC_|OPENAI_|CLAUDE_|CODEX_|LOKI_)|^CI_API_V4_URL$/;
// LOKI_SKIP_BROWSER_TESTS is a switch for the test run itself, not a setting under test.
for (const name of Object.keys(process.env)) if (SECRET.test(name) && name !== "LOKI_SKIP_BROWSER_TESTS") delete process.env[name];

process.env.NO_COLOR = "1";
process.env.TZ = "UTC";
process.env.CI = "true";
const gitconfig = join(home, ".gitconfig");
writeFileSync(
  gitconfig,
  "[user]\n\tname = loki-test\n\temail = test@loki.invalid\n[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n",
);
process.env.GIT_CONFIG_GLOBAL = gitconfig;
process.env.GIT_CONFIG_NOSYSTEM = "1";
