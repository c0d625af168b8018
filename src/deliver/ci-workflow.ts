// The GitHub Actions workflow `loki ci install` writes: an issue labelled for loki (by someone with
// write access) is built with a read-only token in loki's sandbox, and a second job with write rights
// checks the signed proof against the key written here before it pushes anything. Pure: settings in, YAML out.

/** What the workflow is rendered from; every value is checked by `checkWorkflowSettings` first. */
export type WorkflowSettings = {
  lokiVersion: string;
  provider: string;
  /** The npm packages of the coding-agent CLI, installed next to loki on the runner. */
  providerPackages: string[];
  /** The environment variable (and repository secret) that holds the provider's API key. */
  providerSecret: string;
  label: string;
  budgetUsd: number;
  /** loki's own time cap; the job's timeout-minutes is a backstop 15 minutes later. */
  maxDurationMinutes: number;
  runner: string;
  /** The CI signing key's public half (SPKI PEM): the deliver job trusts proofs it signed, no other. */
  publicKeyPem: string;
};

/** The first line of every workflow loki writes: `loki ci install` replaces only a file that starts with it. */
export const WORKFLOW_MARK = "# Written by `loki ci install`";
export const WORKFLOW_PATH = ".github/workflows/loki.yml";
/** The artifact the build job uploads and the deliver job downloads. */
export const ARTIFACT_NAME = "loki-run";

/**
 * Every action the workflow uses, pinned to the commit its major tag named when this loki was released:
 * whoever controls an action's repository can move a tag, not a commit, and the deliver job holds a
 * token that writes. The comment keeps the version (Dependabot updates both).
 */
export const PINNED_ACTIONS = {
  checkout: "actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0",
  setupNode: "actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020 # v4.4.0",
  uploadArtifact: "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2",
  downloadArtifact: "actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093 # v4.3.0",
} as const;

const LABEL = /^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,49}$/;
const RUNNER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ENV_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;
const PACKAGE = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*(@[A-Za-z0-9._^~-]+)?$/;
/** Environment variables the workflow's steps set themselves. */
const RESERVED = [
  "ISSUE",
  "ACTOR",
  "GH_TOKEN",
  "LOKI_SIGNING_KEY",
  "LOKI_CI_KEY",
  "LOKI_ISSUE_EVENT",
  "LOKI_ISSUE_TITLE",
  "LOKI_ISSUE_BODY",
];
const PEM = /^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+\n-----END PUBLIC KEY-----\n?$/;

/** Why these settings cannot be written into a workflow (each value lands in YAML and in `${{ }}` expressions), or null. */
export function checkWorkflowSettings(s: WorkflowSettings): string | null {
  if (!LABEL.test(s.label)) return `label "${s.label}": use letters, digits, spaces and . _ : / - (at most 50), no quotes`;
  if (!RUNNER.test(s.runner)) return `runner "${s.runner}": one runner label of letters, digits and . _ -`;
  if (/^(windows|macos)/i.test(s.runner))
    return `runner "${s.runner}": the build job needs Linux (bash, apt and bubblewrap for the sandbox)`;
  if (!ENV_NAME.test(s.providerSecret)) return `"${s.providerSecret}" is not an environment variable name`;
  if (s.providerSecret.startsWith("GITHUB_") || RESERVED.includes(s.providerSecret))
    return `"${s.providerSecret}" cannot be the provider's secret: GitHub reserves GITHUB_*, and the workflow sets ${RESERVED.join(", ")} itself`;
  if (s.providerPackages.length === 0 || !s.providerPackages.every((p) => PACKAGE.test(p)))
    return `${s.provider}: no npm package to install it on the runner`;
  if (!(s.budgetUsd >= 0.01 && Number.isFinite(s.budgetUsd))) return "the budget must be at least $0.01";
  if (!(Number.isInteger(s.maxDurationMinutes) && s.maxDurationMinutes >= 5 && s.maxDurationMinutes <= 330))
    return "the time cap must be whole minutes between 5 and 330 (GitHub stops any job at 6 hours)";
  if (!PEM.test(s.publicKeyPem)) return "the signing key's public half is not a PEM public key";
  if (!/^[0-9A-Za-z.+-]+$/.test(s.lokiVersion)) return `"${s.lokiVersion}" is not a version`;
  return null;
}

/** The issue number: from the event, or the one typed into "Run workflow". Only ever reaches a shell through env. */
const ISSUE = "${{ github.event.issue.number || inputs.issue }}";

export function renderWorkflow(s: WorkflowSettings): string {
  const problem = checkWorkflowSettings(s);
  if (problem) throw new Error(problem);
  const key = s.publicKeyPem.trim().split("\n");
  const budget = String(Math.round(s.budgetUsd * 100) / 100);
  const install = ["loki-cli@" + s.lokiVersion, ...s.providerPackages].join(" ");
  return `${WORKFLOW_MARK} (loki ${s.lokiVersion}). Run it again to change the settings.
# An issue labelled "${s.label}" (by someone with write access) becomes a loki run. The build job works
# with a read-only token, the agent in loki's sandbox, and uploads the change, evidence and signed proof.
# The deliver job checks the proof against the key below and only then pushes loki/issue-<n> and opens
# the pull request; a run stopped by its budget or time cap is pushed to loki/wip-<n> instead.
# Issue text reaches the run only through the API and environment variables, never through an expression.
name: loki

on:
  issues:
    types: [labeled]
  workflow_dispatch:
    inputs:
      issue:
        description: Number of the issue to build
        required: true
        type: string

permissions: {}

jobs:
  build:
    if: "github.event_name == 'workflow_dispatch' || github.event.label.name == '${s.label}'"
    runs-on: ${s.runner}
    timeout-minutes: ${s.maxDurationMinutes + 15}
    concurrency:
      group: loki-build-${ISSUE}
      cancel-in-progress: false
    permissions:
      contents: read
      issues: read
    steps:
      - name: Only people with write access start loki
        env:
          GH_TOKEN: \${{ github.token }}
          ACTOR: \${{ github.triggering_actor }}
        run: |
          role="$(gh api "repos/$GITHUB_REPOSITORY/collaborators/$ACTOR/permission" --jq .role_name)" || role=none
          case "$role" in
            admin|maintain|write) echo "$ACTOR has $role access: building" ;;
            *) echo "::error::$ACTOR has $role access to $GITHUB_REPOSITORY; loki builds only for people with write access"; exit 1 ;;
          esac
      - uses: ${PINNED_ACTIONS.checkout}
        with:
          fetch-depth: 0
          persist-credentials: false
      - uses: ${PINNED_ACTIONS.setupNode}
        with:
          node-version: "22"
      - name: Install loki, ${s.provider} and the sandbox
        run: |
          npm install -g ${install}
          if ! command -v bwrap >/dev/null; then sudo apt-get update -q && sudo apt-get install -y -q bubblewrap; fi
          # Ubuntu 24.04 keeps unprivileged user namespaces (which bwrap needs) behind AppArmor.
          if [ "$(sysctl -n kernel.apparmor_restrict_unprivileged_userns 2>/dev/null)" = 1 ]; then sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0; fi
      - name: Hand loki the CI signing key
        env:
          LOKI_SIGNING_KEY: \${{ secrets.LOKI_SIGNING_KEY }}
        run: umask 077 && printf '%s\\n' "$LOKI_SIGNING_KEY" > "$RUNNER_TEMP/loki-signing.key"
      - name: Build the issue with loki
        timeout-minutes: ${s.maxDurationMinutes + 10}
        env:
          ISSUE: ${ISSUE}
          # The text as labelled: loki refuses an issue edited since (what a maintainer approved is what is built).
          LOKI_ISSUE_EVENT: \${{ github.event_name }}
          LOKI_ISSUE_TITLE: \${{ github.event.issue.title }}
          LOKI_ISSUE_BODY: \${{ github.event.issue.body }}
          GITHUB_TOKEN: \${{ github.token }}
          ${s.providerSecret}: \${{ secrets.${s.providerSecret} }}
        run: loki ci build "$GITHUB_REPOSITORY#$ISSUE" --signing-key "$RUNNER_TEMP/loki-signing.key" --out "$RUNNER_TEMP/${ARTIFACT_NAME}" --provider ${s.provider} --budget ${budget} --max-duration ${s.maxDurationMinutes}m --json
      - uses: ${PINNED_ACTIONS.uploadArtifact}
        with:
          name: ${ARTIFACT_NAME}
          path: \${{ runner.temp }}/${ARTIFACT_NAME}
          if-no-files-found: error
          retention-days: 14

  deliver:
    needs: build
    runs-on: ubuntu-latest
    timeout-minutes: 20
    concurrency:
      group: loki-deliver-${ISSUE}
      cancel-in-progress: false
    permissions:
      contents: write
      pull-requests: write
      issues: write
    steps:
      - uses: ${PINNED_ACTIONS.checkout}
        with:
          fetch-depth: 0
      - uses: ${PINNED_ACTIONS.setupNode}
        with:
          node-version: "22"
      - run: npm install -g loki-cli@${s.lokiVersion}
      - uses: ${PINNED_ACTIONS.downloadArtifact}
        with:
          name: ${ARTIFACT_NAME}
          path: \${{ runner.temp }}/${ARTIFACT_NAME}
      - name: Check the proof, then push and open the pull request
        env:
          ISSUE: ${ISSUE}
          GITHUB_TOKEN: \${{ github.token }}
          LOKI_CI_KEY: |
${key.map((line) => `            ${line}`).join("\n")}
        run: loki ci deliver "$RUNNER_TEMP/${ARTIFACT_NAME}" --issue "$GITHUB_REPOSITORY#$ISSUE" --key "$LOKI_CI_KEY" --json
`;
}

/** The public key a workflow loki wrote trusts (to keep it when the workflow is written again), or null. */
export function workflowKey(text: string): string | null {
  if (!text.startsWith(WORKFLOW_MARK)) return null;
  const match = /LOKI_CI_KEY: \|\n((?: {12}[^\n]*\n)+)/.exec(text);
  if (!match?.[1]) return null;
  const pem = `${match[1]
    .split("\n")
    .filter(Boolean)
    .map((line) => line.trim())
    .join("\n")}\n`;
  return PEM.test(pem) ? pem : null;
}
