// `loki proof share`: show what was redacted, ask (or --yes), then publish the proof's index.html as
// a SECRET gist. Refuses without a terminal to ask on, and refuses a proof that fails verification.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { loadConfig } from "../core/config.ts";
import { usageError } from "../core/errors.ts";
import { info, out, outJson } from "../core/log.ts";
import { findRoot, workspaceAt } from "../core/workspace.ts";
import { createSecretGist } from "../forge/gist.ts";
import { readProof, resolveProofRun } from "../proof/store.ts";
import { verifyProof } from "../proof/verify.ts";
import { COMMAND_EXIT, type ExitCode } from "../core/exit-codes.ts";
import { writeErr } from "../core/stdio.ts";

export async function shareProof(run: string | undefined, options: { yes?: boolean; json?: boolean }): Promise<ExitCode> {
  const ws = workspaceAt(findRoot());
  const runId = resolveProofRun(ws, run);
  const entry = readProof(ws, runId);
  const checked = await verifyProof(ws, runId);
  // A proof someone re-signed with a key you never trusted is no more shareable than a tampered one.
  if (checked.status === "tampered" || checked.status === "untrusted_signer") {
    throw usageError(`the proof of run ${runId} fails verification (${checked.status.replace("_", " ")}); refusing to share it`, {
      hint: `see why: loki proof verify ${runId}`,
    });
  }
  const { payload } = entry.file;
  const redaction = payload.redaction;
  // With --json the preview goes to stderr; when loki is about to ask, it shows even under --quiet.
  const say = !options.json ? out : options.yes ? info : (line: string) => writeErr(`${line}\n`);
  say(`proof of run ${runId}: ${payload.headline.verdict} — ${payload.spec.title}`);
  say(
    redaction.total === 0
      ? "redaction: nothing needed redacting"
      : `redaction: ${redaction.total} value(s) replaced before signing — ${redaction.hits.map((h) => `${h.rule} × ${h.count}`).join(", ")}`,
  );
  say(
    `the page shows the spec and held-out items, file names, gate output, council findings${payload.change.diff === null ? "" : " and the FULL DIFF"}`,
  );

  const question = `Publish ${entry.html} as a secret gist (anyone with the link can read it)? [y/N] `;
  if (!options.yes && !(await confirm(question, runId))) {
    info("not published");
    return COMMAND_EXIT.declined;
  }
  const html = readFileSync(entry.html, "utf8");
  const ctx = { config: loadConfig(ws.root).config, env: process.env };
  const gist = await createSecretGist(
    `loki proof ${runId}: ${payload.headline.verdict} — ${payload.spec.title}`,
    [{ name: "index.html", content: html }],
    ctx,
  );
  if (options.json) outJson({ run_id: runId, url: gist.html_url, gist_id: gist.id, public: false, redaction });
  else {
    out(gist.html_url);
    info("secret gist: unlisted, but anyone with the link can read it. Download index.html (Raw) to view the page.");
  }
  return COMMAND_EXIT.ok;
}

/** y/N on the terminal; refuses (exit 3) when there is no terminal to ask on. */
async function confirm(question: string, runId: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw usageError("not publishing: stdin is not a terminal, so loki cannot ask for confirmation", {
      hint: `pass --yes to publish without asking: loki proof share ${runId} --yes`,
    });
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
