// Resources `loki://runs/{run_id}/events|evidence|proof` (the run's event stream, its latest gate evidence,
// its signed proof) and the `loki_start` prompt. Events and evidence are sealed as the dashboard's are
// (no held-out item named while the run lives) and redacted again; a proof is already redacted, and
// reveals its held-out items by design once the run is over.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { redactText } from "../core/redact.ts";
import { runIsFinal, streamSeal } from "../dashboard/stream-seal.ts";
import { readEvents } from "./events.ts";
import { ToolInputError } from "./paths.ts";
import { isRecord } from "./result.ts";
import { checkRunId, knownRuns, runTarget, type RunTarget } from "./runs.ts";

const KINDS = {
  events: { mime: "application/x-ndjson", description: "the run's events, one JSON object per line (sealed, redacted)" },
  evidence: { mime: "application/json", description: "the run's latest gate evidence (verify/evidence.json)" },
  proof: { mime: "application/json", description: "the run's signed proof (proof.json); loki_proof checks it" },
} as const;
type Kind = keyof typeof KINDS;

/** At most this many of the latest events in the events resource (loki_events pages through all). */
const EVENTS_KEPT = 1000;

async function read(kind: Kind, target: RunTarget, runId: string): Promise<string> {
  const { ws } = target;
  if (kind === "events") {
    const lines: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await readEvents(ws, cursor, 500, runId);
      lines.push(...page.events.map((e) => JSON.stringify(e)));
      if (lines.length > EVENTS_KEPT) lines.splice(0, lines.length - EVENTS_KEPT);
      if (!page.more) break;
      cursor = page.cursor;
    }
    return lines.map((l) => `${l}\n`).join("");
  }
  if (kind === "evidence") {
    const text = existsSync(ws.evidence) ? readFileSync(ws.evidence, "utf8") : null;
    const evidence = text === null ? null : (JSON.parse(text) as unknown);
    if (!isRecord(evidence) || evidence.run_id !== runId) throw new ToolInputError(`run ${runId} has no gate evidence yet`);
    return redactText(streamSeal(ws, runIsFinal(ws))(text as string)).text;
  }
  // A proof reveals the run's held-out items, and `loki resume` goes on with the same ones after any end but
  // a verified one: served only then (`loki proof show` in a terminal shows any run's).
  if (!runIsFinal(ws))
    throw new ToolInputError(
      `run ${runId} is not over for good (loki resume would go on with its held-out items): its proof is served once it has verified`,
    );
  const path = join(ws.proof(runId), "proof.json");
  if (!existsSync(path)) throw new ToolInputError(`run ${runId} has no proof (a run writes it when it ends)`);
  return readFileSync(path, "utf8");
}

export function registerResources(server: McpServer, root: string): void {
  for (const kind of Object.keys(KINDS) as Kind[]) {
    const { mime, description } = KINDS[kind];
    const template = new ResourceTemplate(`loki://runs/{run_id}/${kind}`, {
      list: async () => ({
        resources: (await knownRuns(root))
          .filter((r) => r.runId !== null)
          .map((r) => ({ uri: `loki://runs/${r.runId}/${kind}`, name: `run ${r.runId} ${kind}`, mimeType: mime })),
      }),
    });
    server.registerResource(`run-${kind}`, template, { description, mimeType: mime }, async (uri, variables) => {
      const runId = checkRunId(String(variables.run_id));
      const text = await read(kind, await runTarget(root, runId), runId);
      return { contents: [{ uri: uri.href, mimeType: mime, text }] };
    });
  }
}

export function registerPrompt(server: McpServer): void {
  server.registerPrompt(
    "loki_start",
    {
      description: "Build a spec with loki and watch it to a verified end",
      argsSchema: { spec: z.string().describe("spec path in the repository, issue reference or one-line brief") },
    },
    ({ spec }) => ({
      messages: [
        {
          role: "user",
          content: {
            type: "text",
            text: [
              `Build this with loki: ${spec}`,
              "1. Call loki_start with that spec; note the run_id it returns.",
              "2. Poll loki_events with the run_id, passing back each cursor, until the run's status is no longer running or starting.",
              "3. Report the outcome. If it is verified, call loki_proof and say whether the proof is CLEAN.",
              "Do not edit the repository yourself while the run works; loki_stop ends it if asked.",
            ].join("\n"),
          },
        },
      ],
    }),
  );
}
