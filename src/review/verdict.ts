// The verdict protocol (DESIGN §5) that reviewers, the devil's advocate and the held-out judge
// answer with: the last fenced ```json block of the final message. Unparseable = inconclusive.
import { z } from "zod";
import { lazySchema } from "../core/lazy-schema.ts";

const VerdictJson = lazySchema(() =>
  z.object({
    verdict: z.enum(["APPROVE", "REJECT"]),
    findings: z
      .array(
        z.object({
          severity: z.enum(["critical", "high", "medium", "low"]),
          file: z.string().optional(),
          line: z.number().int().positive().optional(),
          message: z.string(),
        }),
      )
      .default([]),
    items: z.array(z.object({ id: z.string(), status: z.enum(["pass", "fail", "unknown"]), evidence: z.string().optional() })).default([]),
  }),
);
export type VerdictJson = z.infer<typeof VerdictJson>;

export type ParsedVerdict = { ok: true; verdict: VerdictJson } | { ok: false; reason: string };

const FENCE = /```json\s*\n([\s\S]*?)\n?```/g;

export function parseVerdict(text: string): ParsedVerdict {
  const blocks = [...text.matchAll(FENCE)].map((m) => m[1] ?? "");
  const last = blocks.at(-1);
  if (last === undefined) return { ok: false, reason: "no ```json block in the answer" };
  // Exactly one, as the protocol asks: a second block may be text the reviewed code addressed to the
  // reviewer and it quoted back ("APPROVE" after its own REJECT) — which one is meant is not for loki to guess.
  if (blocks.length > 1) return { ok: false, reason: `${blocks.length} \`\`\`json blocks in the answer, not exactly one` };
  let raw: unknown;
  try {
    raw = JSON.parse(last);
  } catch {
    return { ok: false, reason: "the ```json block is not valid JSON" };
  }
  const parsed = VerdictJson.safeParse(raw);
  if (!parsed.success)
    return {
      ok: false,
      reason: `the verdict does not follow the protocol: ${parsed.error.issues[0]?.path.join(".")} ${parsed.error.issues[0]?.message}`,
    };
  return { ok: true, verdict: parsed.data };
}

export const PROTOCOL = [
  "Answer with exactly one fenced ```json block as the last thing in your final message:",
  "```json",
  '{"verdict": "APPROVE" | "REJECT", "findings": [{"severity": "critical|high|medium|low", "file": "path", "line": 1, "message": "…"}],',
  ' "items": [{"id": "<item id>", "status": "pass|fail|unknown", "evidence": "file:line …"}]}',
  "```",
  "Output that cannot be parsed counts as inconclusive, never as approval.",
].join("\n");
