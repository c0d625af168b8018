// The commander program: declares every command and flag, lazy-loads the command module that runs
// it, and is the ONLY place where errors become exit codes and messages (src/cli.ts, the entry, loads
// it for every call it does not answer itself). Over 400 lines because every command's flags and help
// live here, in one place, so the help and the completion scripts agree.
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from "commander";
import pkg from "../package.json" with { type: "json" };
import { isLokiError, messageOf, usageError } from "./core/errors.ts";
import { PROVIDER_IDS } from "./core/provider-ids.ts";
import { COMMAND_EXIT, ERROR_EXIT, exitCodeFor, type ExitCode } from "./core/exit-codes.ts";
import { absolutePath } from "./core/pinned.ts";
import { setVerbosity } from "./core/verbosity.ts";
import { writeErr, writeOut } from "./core/stdio.ts";

/** A command: returns the exit code it looked up in core/exit-codes.ts; this file sets it. */
type Action = (...args: never[]) => Promise<ExitCode>;
const lazy =
  <K extends string, M extends Record<K, Action>>(load: () => Promise<M>, name: K) =>
  async (...args: unknown[]) => {
    const mod = await load();
    process.exitCode = await mod[name](...(args as never[]));
  };

/** Whole numbers ≥ 1 for count flags, refused by commander (exit 3) before any work starts. */
function positiveInt(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw new InvalidArgumentError("expected a whole number of at least 1.");
  return Number(value);
}

function portNumber(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) > 65535) throw new InvalidArgumentError("expected a port number from 0 to 65535.");
  return Number(value);
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a positive number of US dollars.");
  return n;
}

/**
 * A flag that takes one of `values`. The error is thrown past commander (which would print "option
 * '--x <v>' argument 'y' is invalid") so it reads as one sentence naming the flag, its values and
 * what was given; a typed usage error, exit 3.
 */
function oneOf(flag: string, values: readonly string[]) {
  return (value: string): string => {
    if (values.includes(value)) return value;
    throw usageError(`${flag} must be one of ${values.join(", ")}; got ${value}`);
  };
}

/** A comma-separated list of `values` (the failover chain): each checked, the text passed on as given. */
function listOf(flag: string, values: readonly string[]) {
  const one = oneOf(flag, values);
  return (value: string): string => {
    for (const item of value.split(",").map((v) => v.trim())) if (item) one(item);
    return value;
  };
}

/**
 * Commander's own messages, in loki's words: its suggestion "error: unknown command 'strat'\n(Did
 * you mean start?)" becomes "error: unknown command 'strat'. Did you mean 'start'?" (options too).
 */
export function commanderMessage(text: string): string {
  return text.replace(/\n\(Did you mean (one of )?(.+)\?\)/, (_all, _several: string | undefined, names: string) => {
    const quoted = names.split(", ").map((name) => `'${name}'`);
    return `. Did you mean ${quoted.length > 1 ? `one of ${quoted.join(", ")}` : quoted[0]}?`;
  });
}

const PROVIDER_LIST = PROVIDER_IDS.join(", ");
/** What `--version` prints: the same line as `loki version`. */
const VERSION = `loki ${pkg.version}`;
const RUN = "Run a build:";
const WORKFLOW = "Plan a build:";
const INSPECT = "Inspect and configure:";

/** Commands whose work reads the whole program: help lists every command, completion prints them all. */
const WHOLE_PROGRAM = new Set(["help", "completion"]);

/**
 * A stand-in for a command not built: it takes every call a declaration below makes (options, actions,
 * subcommands) and adds nothing, so the declarations read the same with or without it.
 */
const SKIPPED: Command = new Proxy(() => {}, { get: (_, key) => (key === "then" ? undefined : () => SKIPPED) }) as unknown as Command;

/**
 * The program; with `only`, only that top-level command is built (the others are declared against
 * SKIPPED): building every command's options is most of the program's start-up, and a call runs one.
 */
export function buildProgram(only?: string): Command {
  const program = new Command("loki")
    .description("Spec in, verified diff out. Turns a spec into acceptance items and drives a coding agent until they are verifiably met.")
    .version(VERSION, "-v, --version", "print the version (as `loki version` does)")
    .showSuggestionAfterError(true)
    // Set before any subcommand is added: subcommands copy it when created.
    .configureOutput({ writeOut, writeErr, outputError: (text, write) => write(commanderMessage(text)) })
    .showHelpAfterError("(run `loki help` for the list of commands)")
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
    .exitOverride();
  globalOptions(program);
  if (only !== undefined) {
    const add = program.command.bind(program) as (nameAndArgs: string, ...rest: unknown[]) => Command;
    program.command = ((nameAndArgs: string, ...rest: unknown[]) =>
      nameAndArgs.split(" ")[0] === only ? add(nameAndArgs, ...rest) : SKIPPED) as Command["command"];
  }

  program.commandsGroup(RUN);
  const runFlags = (command: Command) =>
    command
      .option("--provider <name>", `coding-agent CLI: ${PROVIDER_LIST}`, oneOf("--provider", PROVIDER_IDS))
      .option("--model <model>", "model id or alias (default: the provider's model for the spec's tier)")
      .option(
        "--failover <list>",
        `providers to switch to on rate limits or repeated failures, e.g. ${PROVIDER_IDS.slice(1, 3).join(",")}`,
        listOf("--failover", PROVIDER_IDS),
      )
      .option(
        "--budget <usd>",
        "hard cap in US dollars over every call (build, judge, reviewers): warn at 80 %, stop at 100 % (exit 4)",
        positiveNumber,
      )
      .option("--max-iterations <n>", "iteration cap (default 25)", positiveInt)
      .option("--max-duration <time>", "time cap of active running, e.g. 90m or 2h")
      .option("--bg", "detach and run in the background (log in .loki/logs/); with start, implies --worktree")
      .option("-y, --yes", "opt in to the provider's sandbox-bypass mode when running as root")
      .option(
        "--no-sandbox",
        "run the agent without loki's OS sandbox (marked unsandboxed: held-out secrecy and state integrity not enforced)",
      )
      .option(
        "--accept-config-change",
        "grade with the diff's own test/build commands, .lokiignore and attributes (recorded in evidence and proof)",
      )
      .option("--json", "stream the run's events as JSON lines on stdout");
  runFlags(
    program
      .command("start")
      .description("build the spec with a coding agent until it is verified or a cap is reached")
      .argument("[spec]", "PRD file, JSON/YAML/OpenAPI file, OpenSpec dir, issue or a quoted brief (default: ./prd.md …)")
      .option("--prd <file>", "treat the argument as a PRD file")
      .option("--issue <ref>", "treat the argument as an issue reference")
      .option("--openspec <dir>", "an OpenSpec change directory")
      .option("--branch <name>", "run on this branch (created from HEAD when missing)")
      .option("-w, --worktree", "work in a git worktree on branch loki/issue-<n>; your checkout is never touched")
      .option("--pr", "when verified, push the branch and open (or update) a pull request; implies --worktree")
      .option("--ship", "after --pr, wait for the repository's checks and merge when all are green; implies --pr")
      .option("--no-dashboard", "do not open the live dashboard (it opens only for interactive foreground runs)")
      .addHelpText(
        "after",
        "\nThe cascade: --ship implies --pr; --pr and --bg imply --worktree. An unverified run never gets a\npull request and is never merged; red or pending checks are never merged (exit 2 / 1). See docs/issue-to-pr.md.",
      ),
  ).action(lazy(() => import("./commands/run.ts"), "runStart"));
  runFlags(
    program
      .command("quick")
      .description(
        "build a one-line task in this repository with small caps (5 iterations, $3 unless --max-iterations/--budget): the same gates and proof as start",
      )
      .argument("<task>", 'what to build, e.g. "add a dark mode toggle to the settings page"')
      .option("--no-dashboard", "do not open the live dashboard"),
  ).action(lazy(() => import("./commands/quick.ts"), "runQuick"));
  runFlags(
    program.command("resume").description("continue a stopped, interrupted or crashed run from its saved state (or un-pause a live one)"),
  )
    .addOption(new Option("--background-child").hideHelp())
    .action(lazy(() => import("./commands/run.ts"), "runResume"));
  program
    .command("pause")
    .description("pause the active run at the next iteration boundary")
    .action(lazy(() => import("./commands/run.ts"), "runPause"));
  program
    .command("stop")
    .description("stop the active run cleanly (state is kept; loki resume continues it)")
    .option("--json", "print the result as JSON")
    .action(lazy(() => import("./commands/run.ts"), "runStop"));

  const VERIFY = "Verify and prove:";
  program.commandsGroup(VERIFY);
  program
    .command("verify")
    .description("grade this branch's diff with deterministic gates: exit 0 VERIFIED, 1 CONCERNS, 2 BLOCKED, 3 could not verify")
    .argument("[base]", "what to diff against (default: the branch's upstream, else origin/HEAD, else main/master)")
    .option("--uncommitted", "include uncommitted and untracked changes")
    .addOption(
      new Option("--masked <path>", "a path a sandbox masks, left out of an --uncommitted diff (repeatable)")
        .argParser((value: string, previous: string[] = []) => [...previous, value])
        .hideHelp(),
    )
    .option("--scope <scope>", "which lines findings may point at: diff (default), files, repo")
    .option("--only <gates>", "run only these gates (comma-separated ids)")
    .option("--skip <gates>", "skip these gates (comma-separated ids)")
    .option("--block-on <severities>", "severities that block (default critical,high)")
    .option("--baseline <file>", "ignore findings whose fingerprint is in this baseline file")
    .option("--write-baseline <file>", "write the current findings' fingerprints as a baseline and exit 0")
    .option(
      "--accept-config-change",
      "accept the diff's changes to its own grading (test/build commands, .lokiignore, attributes, loki.yaml verify:)",
    )
    .option("--secret-scanner <scanner>", "secrets gate: auto (built-in + gitleaks when on PATH, default), builtin, gitleaks (required)")
    .option("--sarif <file>", "also write SARIF 2.1.0")
    .option("--junit <file>", "also write JUnit XML (one testcase per gate)")
    .option("--json", "print the evidence as JSON (schema: docs/verify.md)")
    .action(lazy(() => import("./commands/verify.ts"), "runVerify"));
  const proof = program.command("proof").description("proofs of run: list, show, open, verify, trust, share");
  proof
    .command("list")
    .description("every proof in this repository")
    .option("--json", "print as JSON")
    .action(lazy(() => import("./commands/proof.ts"), "runProofList"));
  proof
    .command("show")
    .description("a proof's summary")
    .argument("[run]", "run id (default: the latest)")
    .option("--json", "print the proof JSON")
    .action(lazy(() => import("./commands/proof.ts"), "runProofShow"));
  proof
    .command("open")
    .description("open a proof's page in the browser")
    .argument("[run]", "run id (default: the latest)")
    .action(lazy(() => import("./commands/proof.ts"), "runProofOpen"));
  proof
    .command("verify")
    .description(
      "re-hash, check the signature and its signer, re-derive the diff: exit 0 clean, 1 tampered, untrusted signer or drifted, 3 unusable",
    )
    .argument("[run]", "run id (default: the latest)")
    .option("--key <key>", "also trust this key for this check only: a public key file or a fingerprint")
    .option("--json", "print the checks as JSON")
    .action(lazy(() => import("./commands/proof.ts"), "runProofVerify"));
  proof
    .command("trust")
    .description("the keys whose proofs verify CLEAN besides this machine's: add one, --list, --remove")
    .argument("[key]", "a key fingerprint (of a proof here), a public key file, or the PEM itself")
    .option("--label <text>", "a name for the key (default: where it came from)")
    .option("--list", "list the trusted keys")
    .option("--remove <fingerprint>", "stop trusting a key")
    .option("--json", "print the result as JSON")
    .action(lazy(() => import("./commands/proof.ts"), "runProofTrust"));
  proof
    .command("share")
    .description("publish a proof's page as a secret GitHub gist (shows what was redacted first)")
    .argument("[run]", "run id (default: the latest)")
    .option("-y, --yes", "do not ask for confirmation")
    .option("--json", "print the result as JSON")
    .action(lazy(() => import("./commands/proof.ts"), "runProofShare"));
  program
    .command("trust")
    .description("trust trajectory across runs: council and gate pass rates, iterations and cost per verified run")
    .option("--json", "print as JSON")
    .action(lazy(() => import("./commands/trust.ts"), "runTrust"));
  program
    .command("cost")
    .description("what runs cost, per iteration and per run, exact or estimated")
    .option("--last <n>", "only the last n runs", positiveInt)
    .option("--json", "print as JSON")
    .action(lazy(() => import("./commands/trust.ts"), "runCost"));

  program.commandsGroup(WORKFLOW);
  program
    .command("plan")
    .description("read a spec and quote iterations, tokens, dollars and time (writes .loki/spec and .loki/checklist)")
    .argument("[spec]", "PRD file, JSON/YAML/OpenAPI file, OpenSpec dir, issue (URL, owner/repo#N, ABC-12, #N) or a quoted brief")
    .option("--prd <file>", "treat the argument as a PRD file")
    .option("--issue <ref>", "treat the argument as an issue reference")
    .option("--openspec <dir>", "an OpenSpec change directory")
    .option("--provider <name>", `provider to quote for (${PROVIDER_LIST})`, oneOf("--provider", PROVIDER_IDS))
    .option("--model <model>", "model to quote for (default: the provider's model for the spec's tier)")
    .option("--max-iterations <n>", "iteration cap to quote within", positiveInt)
    .option("--json", "print the plan as JSON (schema: docs/reference/plan-json.md)")
    .action(lazy(() => import("./commands/plan.ts"), "runPlan"));

  program
    .command("grill")
    .description(
      "interrogate a spec before building it: one read-only, sandboxed model call lists ambiguities, contradictions, missing and untestable criteria, each on a spec line (exit 0 clean, 1 findings)",
    )
    .argument("[spec]", "PRD file, JSON/YAML/OpenAPI file, OpenSpec dir, issue or a quoted brief")
    .option("--prd <file>", "treat the argument as a PRD file")
    .option("--issue <ref>", "treat the argument as an issue reference")
    .option("--openspec <dir>", "an OpenSpec change directory")
    .option("--provider <name>", `coding-agent CLI to ask (${PROVIDER_LIST})`, oneOf("--provider", PROVIDER_IDS))
    .option("--model <model>", "model id or alias (default: the provider's review model for the spec's tier)")
    .option("--budget <usd>", "the most the call may cost (default $1)", positiveNumber)
    .option("--write", 'append the questions to the Markdown spec as an "Open questions" section')
    .option("--no-sandbox", "run the call without loki's OS sandbox")
    .option("--json", "print the findings as JSON")
    .action(lazy(() => import("./commands/grill.ts"), "runGrill"));

  program
    .command("review")
    .description(
      "review a change: loki verify's gates plus one read-only, sandboxed reviewer model, findings on file:line (exit 0 VERIFIED, 1 CONCERNS, 2 BLOCKED, 3 could not review)",
    )
    .option("--staged", "review the staged changes against HEAD (default: this branch against its base, plus the working tree)")
    .option("--diff <base>", "review the commits since <base>, as loki verify <base> grades them")
    .option(
      "--min-severity <level>",
      "show and count findings at or above critical, high, medium or low (default low)",
      oneOf("--min-severity", ["critical", "high", "medium", "low"]),
    )
    .option("--provider <name>", `coding-agent CLI to ask (${PROVIDER_LIST})`, oneOf("--provider", PROVIDER_IDS))
    .option("--model <model>", "model id or alias (default: the provider's review model)")
    .option("--budget <usd>", "the most the model call may cost (default $1)", positiveNumber)
    .option("--sarif <file>", "also write the gates' and the reviewer's findings as SARIF 2.1.0")
    .option("--no-sandbox", "run the call without loki's OS sandbox")
    .option("--json", "print the verdict, gates and findings as JSON (docs/review.md)")
    .action(lazy(() => import("./commands/review.ts"), "runReview"));

  const spec = program.command("spec").description("lock the spec and detect drift from it");
  spec
    .command("lock")
    .description("record the spec's items with per-item hashes in .loki/spec/spec.lock")
    .argument("[spec]", "the spec to lock (default: the one in .loki/spec/spec.json, else discovered)")
    .option("--json", "print the lock summary as JSON")
    .action(lazy(() => import("./commands/spec.ts"), "runSpecLock"));
  spec
    .command("status")
    .description("compare the spec now with the lock; exit 0 in sync, 1 drift, 3 error")
    .option("--json", "print the drift report as JSON")
    .action(lazy(() => import("./commands/spec.ts"), "runSpecStatus"));

  program
    .command("init")
    .description("start a project from a starter PRD template")
    .argument("[dir]", "directory to create or fill", ".")
    .option("-t, --template <name>", "template name (see --list)")
    .option("--list", "list the templates")
    .option("--force", "overwrite an existing prd.md")
    .option("--json", "print the result as JSON")
    .action(lazy(() => import("./commands/init.ts"), "runInit"));
  program
    .command("quickstart")
    .description(
      "a guided first build: setup check, your idea, the template that fits, the quote — then the build (Enter four times builds the Todo app)",
    )
    .action(lazy(() => import("./commands/quickstart.ts"), "runQuickstart"));
  program
    .command("demo")
    .description("build a tiny bundled sample end to end in a new temporary directory, after you confirm its quote")
    .option("-y, --yes", "build without asking (for scripts)")
    .option("--dir <path>", "build there instead of a new temporary directory (must not exist)")
    .option("--provider <name>", `coding-agent CLI: ${PROVIDER_LIST}`, oneOf("--provider", PROVIDER_IDS))
    .option("--model <model>", "model id or alias")
    .option("--budget <usd>", "hard cap in US dollars (default $2)", positiveNumber)
    .option("--no-sandbox", "run the agent without loki's OS sandbox")
    .option("--no-dashboard", "do not open the live dashboard")
    .action(lazy(() => import("./commands/demo.ts"), "runDemo"));

  program.commandsGroup(INSPECT);
  program
    .command("status")
    .description("show the current run in this repository (inactive when none)")
    .option("--json", "print status as JSON (schema: docs/reference/status-json.md)")
    .action(lazy(() => import("./commands/status.ts"), "runStatus"));
  program
    .command("dashboard")
    .description("serve a live dashboard of this repository's run on 127.0.0.1 (a run here, in --bg, or finished)")
    .option("--port <n>", "port to try first (default 57374; the next free one when taken)", portNumber)
    .option("--no-open", "print the link without opening a browser")
    .action(lazy(() => import("./commands/dashboard.ts"), "runDashboard"));
  program
    .command("mcp")
    .description("serve loki to other agents over MCP: start, watch, verify, prove and stop runs (stdio, or --http)")
    .option("--http", "serve Streamable HTTP on 127.0.0.1 instead of stdio (a bearer token is required)")
    .option("--port <n>", "the --http port (default 57380; 0 picks a free one)", portNumber)
    .addOption(
      new Option(
        "--tools <set>",
        "core: the six run tools (default); all: + plan, memory, cost, trust; child: loki_verify alone (mcp.children)",
      ).choices(["core", "all", "child"]),
    )
    .option("--repo <dir>", "the repository to serve (default: the one the current directory is in)")
    .addOption(new Option("--base <rev>", "loki_verify's default base").hideHelp())
    .addOption(
      new Option("--masked <path>", "a path the sandbox masks, passed to loki_verify's loki verify (repeatable)")
        .argParser((value: string, previous: string[] = []) => [...previous, value])
        .hideHelp(),
    )
    .action(lazy(() => import("./commands/mcp.ts"), "runMcp"));
  const ci = program
    .command("ci")
    .description("run labelled issues on GitHub Actions: install the workflow; build and deliver are its two jobs")
    .addHelpText("after", "\nThe --json contract (for GitLab CI, Buildkite, Kubernetes Jobs): docs/scale-out.md.");
  ci.command("install")
    .description("write .github/workflows/loki.yml and the CI signing key, and say which secrets and label to set")
    .option("--provider <name>", "coding-agent CLI the workflow installs (claude or codex)", oneOf("--provider", PROVIDER_IDS))
    .option("--label <name>", "the issue label that starts a run (default loki)")
    .option("--budget <usd>", "hard cap per run in US dollars (default 5)", positiveNumber)
    .option("--max-duration <time>", "time cap per run, e.g. 45m (default); the job's timeout is 15 minutes later")
    .option("--runner <label>", "runs-on label of the build job (default ubuntu-latest)")
    .option("--new-key", "make a new CI signing key (then set LOKI_SIGNING_KEY again)")
    .option("--force", "replace a .github/workflows/loki.yml loki did not write")
    .option("--json", "print what was written and the steps as JSON")
    .action(lazy(() => import("./commands/ci.ts"), "runCiInstall"));
  ci.command("build")
    .description("the build job: run an issue in a worktree (read-only token, sandboxed, capped) and pack the artifact")
    .argument("<issue>", "owner/repo#N or an issue URL")
    .option("--out <dir>", "new directory for the artifact, not under .loki/ (default ./loki-artifact)")
    .option("--signing-key <file>", "the CI key's private half (PEM): read into memory, then the file is removed")
    .option("--provider <name>", `coding-agent CLI: ${PROVIDER_LIST}`, oneOf("--provider", PROVIDER_IDS))
    .option("--model <model>", "model id or alias")
    .option("--budget <usd>", "hard cap in US dollars (a capped run ends budget_exceeded: its work goes to loki/wip-<n>)", positiveNumber)
    .option("--max-iterations <n>", "iteration cap (default 25)", positiveInt)
    .option("--max-duration <time>", "time cap of active running, e.g. 45m")
    .option("-y, --yes", "opt in to the provider's sandbox-bypass mode when running as root")
    .option("--json", "print the artifact's manifest as JSON (the run's progress goes to stderr)")
    .addHelpText(
      "after",
      "\nThe agent always runs in loki's sandbox here (loki.yaml's sandbox: false does not apply): outside it,\nit could read the signing key. The key is held in memory only: --signing-key's file is removed once read.",
    )
    .action(lazy(() => import("./commands/ci.ts"), "runCiBuild"));
  ci.command("deliver")
    .description("the deliver job: check the artifact's proof against the CI key, then push and open the PR (or loki/wip-<n>)")
    .argument("<artifact>", "the directory `loki ci build --out` wrote")
    .option("--issue <ref>", "the issue the workflow ran for (owner/repo#N): the branch is named from it, never from the artifact")
    .option("--key <key>", "the CI key's public half: PEM text or a .pub file")
    .option("--json", "print what was delivered as JSON")
    .action(lazy(() => import("./commands/ci.ts"), "runCiDeliver"));
  const preview = (command: Command) =>
    command
      .option("--open", "open the app in a browser (default when interactive)")
      .option("--no-open", "print the URL without opening a browser")
      .option("--restart", "restart the app (a running one too) and wait for it")
      .option("--wait <seconds>", "how long to wait for live (default app.ready_timeout_seconds, 120)", positiveInt)
      .option("--no-sandbox", "run the app without loki's OS sandbox (only this flag can; loki.yaml's sandbox: does not)")
      .option("--json", "print the preview's state as JSON")
      .action(lazy(() => import("./commands/preview.ts"), "runPreview"));
  // status and stop take --json from `preview` itself (commander hands a parent's options to it).
  const previewCommand = preview(
    program.command("preview").description("run the app built here and print its URL once it is live (Live App Preview)"),
  );
  previewCommand
    .command("status")
    .description("what the preview runs, where, and how healthy (starts nothing); --json for JSON")
    .action(lazy(() => import("./commands/preview.ts"), "runPreviewStatus"));
  previewCommand
    .command("stop")
    .description("stop the app and everything it started; --json for JSON")
    .action(lazy(() => import("./commands/preview.ts"), "runPreviewStop"));
  previewCommand
    .command("logs")
    .description("the end of the app's output (redacted)")
    .option("-n, --lines <n>", "how many lines (default 100)", positiveInt)
    .action(lazy(() => import("./commands/preview.ts"), "runPreviewLogs"));
  previewCommand
    .command("__supervise", { hidden: true })
    .option("--run <id>")
    .option("--no-sandbox")
    .action(lazy(() => import("./commands/preview.ts"), "runSupervise"));
  preview(program.command("open").description("alias of loki preview: open the app built here"));
  const memory = program
    .command("memory")
    .description("memory of past iterations and learnings (this project's, and global): list, search, show, stats, forget, reindex");
  memory
    .command("list")
    .description("the latest episodes (one per iteration of every run) and learnings (a failure and its fix)")
    .option("-n, --last <n>", "how many (default 20)", positiveInt)
    .option("--global", "the global store's learnings (from every project) instead")
    .option("--json", "print as JSON")
    .action(lazy(() => import("./commands/memory.ts"), "runMemoryList"));
  memory
    .command("search")
    .description("the episodes and learnings most relevant to some words (BM25 over goals, failures, fixes and files)")
    .argument("<query>", "words to look for, e.g. an error message")
    .option("-k, --limit <n>", "how many results (default 5)", positiveInt)
    .option("--no-global", "this project's stores only")
    .option("--json", "print as JSON")
    .action(lazy(() => import("./commands/memory.ts"), "runMemorySearch"));
  memory
    .command("show")
    .description("one episode or learning, whole")
    .argument("<id>", "an id from loki memory list")
    .option("--json", "print as JSON")
    .action(lazy(() => import("./commands/memory.ts"), "runMemoryShow"));
  memory
    .command("stats")
    .description("whether memory helped: repeat failures in runs given memories and in runs without")
    .option("--json", "print as JSON")
    .action(lazy(() => import("./commands/memory.ts"), "runMemoryStats"));
  memory
    .command("forget")
    .description("remove episodes and learnings for good, from this project's store and the global one")
    .argument("<ids...>", "ids from loki memory list")
    .option("--json", "print as JSON")
    .action(lazy(() => import("./commands/memory.ts"), "runMemoryForget"));
  memory
    .command("reindex")
    .description("rebuild the memory stores' search indexes from their records")
    .option("--json", "print as JSON")
    .action(lazy(() => import("./commands/memory.ts"), "runMemoryReindex"));
  program
    .command("doctor")
    .description("check git, bun and every provider CLI (version, login); exit 1 when no provider is usable")
    .option("--json", "print the checks as JSON (schema: docs/reference/doctor-json.md)")
    .action(lazy(() => import("./commands/doctor.ts"), "runDoctor"));

  const provider = program.command("provider").description("list, show or choose the coding-agent CLI");
  provider
    .command("list")
    .description("every supported provider and whether it is usable here")
    .option("--json", "print as JSON")
    .action(lazy(() => import("./commands/provider.ts"), "runProviderList"));
  provider
    .command("show")
    .description("the provider this repository uses, and where that choice comes from")
    .option("--json", "print as JSON")
    .action(lazy(() => import("./commands/provider.ts"), "runProviderShow"));
  provider
    .command("set")
    .description("choose the provider for this repository (writes .loki/config.yaml)")
    .addArgument(new Argument("<name>", "provider").choices(PROVIDER_IDS))
    .action(lazy(() => import("./commands/provider.ts"), "runProviderSet"));

  program
    .command("version")
    .description("print the version")
    .option("--json", "print as JSON")
    .action(lazy(() => import("./commands/version.ts"), "runVersion"));
  program
    .command("completion")
    .description("print a completion script for your shell: source <(loki completion bash), see docs/setup.md")
    .addArgument(new Argument("<shell>", "the shell").choices(["bash", "zsh", "fish"]))
    .action(lazy(() => import("./commands/completion.ts"), "runCompletion"));
  return program;
}

/**
 * Options every command takes, before or after its name: commander reads a program option anywhere
 * in argv (positional options are off), so no subcommand may declare one of these itself.
 */
function globalOptions(program: Command): void {
  program
    .addOption(new Option("-q, --quiet", "print only errors and the final result line (--json output is unchanged)").conflicts("verbose"))
    .addOption(new Option("--verbose", "print every detail: each gate's result and agent call in a run, every finding in verify"))
    .addOption(new Option("--no-color", "disable colors (NO_COLOR is respected too)").hideHelp())
    // -V was the version flag before -v: kept, unlisted, for scripts that use it.
    .addOption(new Option("-V").hideHelp())
    .on("option:V", () => {
      writeOut(`${VERSION}\n`);
      throw new CommanderError(0, "commander.version", VERSION);
    })
    .hook("preAction", () => {
      const { quiet, verbose } = program.opts<{ quiet?: boolean; verbose?: boolean }>();
      setVerbosity(quiet ? "quiet" : verbose ? "verbose" : null);
    });
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes("--no-color")) process.env.NO_COLOR = "1";
  // The MCP server's bearer token is `loki mcp`'s alone: no other loki process keeps it, so no agent, grader
  // or test command it starts can inherit it (and reach the HTTP server from inside a run).
  if (argv.find((a) => !a.startsWith("-")) !== "mcp") delete process.env.LOKI_MCP_TOKEN;
  // A relative PATH entry is looked up from each child's working directory — the repository the agent
  // writes: no program loki starts (git, tar, a provider) is found through one.
  process.env.PATH = absolutePath(process.env.PATH);
  // The CI signing key reaches `loki ci build` as a file, never through the environment (a process of the
  // same user reads another's initial environment in /proc): none is kept if one was set anyway.
  delete process.env.LOKI_SIGNING_KEY;
  const args = argv.length === 0 ? ["help"] : argv;
  // Global options take no value: the first word that is not an option names the command.
  const named = args.find((a) => !a.startsWith("-"));
  // git's safe.directory entries are read while the command's modules load (core/git.ts).
  if (named !== undefined && !WHOLE_PROGRAM.has(named) && named !== "version")
    void import("./core/git.ts").then((g) => g.prefetchSafeDirectories());
  let program = named === undefined || WHOLE_PROGRAM.has(named) ? buildProgram() : buildProgram(named);
  // Not a command's name (a typo, an alias): the whole program, which answers it as it always has.
  if (named !== undefined && !program.commands.some((c) => c.name() === named)) program = buildProgram();
  try {
    await program.parseAsync(args, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : COMMAND_EXIT.ok;
  } catch (error) {
    return await reportError(error, args.includes("--json"));
  }
}

async function reportError(error: unknown, json: boolean): Promise<number> {
  if (error instanceof CommanderError) {
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help")
      return COMMAND_EXIT.ok;
    return ERROR_EXIT.usage;
  }
  const { errorLine, hintLine, outJson } = await import("./core/log.ts");
  const code = exitCodeFor(error);
  if (isLokiError(error)) {
    if (json) outJson({ ok: false, error: { kind: error.kind, message: error.message, hint: error.hint ?? null, exit_code: code } });
    errorLine(error.message);
    if (error.hint) hintLine(error.hint);
    return code;
  }
  const logFile = await logInternal(error);
  if (json) outJson({ ok: false, error: { kind: "internal", message: messageOf(error), hint: null, exit_code: code } });
  errorLine(`internal error: ${messageOf(error)}`);
  hintLine(logFile ? `details are in ${logFile}; please report this with that file` : "please report this with the command you ran");
  return code;
}

/** A bug: log the stack where the user can find it. Only into an existing .loki/. */
async function logInternal(error: unknown): Promise<string | null> {
  try {
    const { existsSync } = await import("node:fs");
    const { findRoot, workspaceAt } = await import("./core/workspace.ts");
    const ws = workspaceAt(findRoot());
    if (!existsSync(ws.dir)) return null;
    const { fileLogger } = await import("./core/log.ts");
    (await fileLogger(ws.logFile)).error(
      { err: error instanceof Error ? { message: error.message, stack: error.stack } : String(error) },
      "internal error",
    );
    return ws.logFile;
  } catch {
    return null;
  }
}
