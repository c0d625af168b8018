// Redaction runs the secrets gate's own detector: every sample of the secret corpus (over 100
// credential formats) is gone from a provider transcript line (JSON-escaped), from a proof, and from
// HTML — and formats only the detector knows are redacted under its rule names.
import { describe, expect, test } from "bun:test";
import { findSecrets } from "../../src/core/secrets/detect.ts";
import { redact, redactText } from "../../src/proof/redact.ts";
import { CORPUS_SAMPLES, type CorpusSample } from "../fixtures/secrets-corpus/corpus.ts";

const OPTIONS = { home: "/home/corpus-runner" };

/** Text the corpus holds besides its secrets (key names, commands): no leak when a secret shares it. */
const CONTEXT = CORPUS_SAMPLES.map((s) => s.line.replace(s.secret, " ")).join("\n");

/** A leak: the secret, or any 12 of its characters in a row that are not context, still in the output
 *  (the redaction labels aside: `[REDACTED:aws-bedrock-api-key]` shares `bedrock-api-` with its key). */
function leaks(out: string, samples: readonly CorpusSample[]): string[] {
  const bare = out.replace(/\[REDACTED:[\w-]+\]/g, " ");
  return samples.flatMap((s) => {
    const windows = Array.from({ length: Math.max(1, s.secret.length - 11) }, (_, i) => s.secret.slice(i, i + 12));
    return windows.some((w) => !CONTEXT.includes(w) && bare.includes(w)) ? [s.id] : [];
  });
}

/** One line of a provider's stream-json transcript: the agent quoting a file it read. */
const transcriptLine = (s: CorpusSample) =>
  JSON.stringify({
    type: "assistant",
    message: { content: [{ type: "text", text: `I found this in the config:\n${s.line}\nShall I use it?` }] },
  });

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

describe("every corpus sample is redacted", () => {
  test("from a transcript line, JSON-escaped as providers write it", () => {
    const out = CORPUS_SAMPLES.map((s) => redactText(transcriptLine(s), OPTIONS).text);
    expect(leaks(out.join("\n"), CORPUS_SAMPLES)).toEqual([]);
    for (const line of out) expect(() => JSON.parse(line)).not.toThrow();
  });

  test("from a proof: notes, a diff, and escaped JSON inside a string", () => {
    const proof = {
      notes: CORPUS_SAMPLES.map((s) => s.line),
      diff: CORPUS_SAMPLES.map((s) => `+${s.line.replaceAll("\n", "\n+")}`).join("\n"),
      escaped: JSON.stringify({ lines: CORPUS_SAMPLES.map((s) => s.line) }),
    };
    const { value, summary } = redact(proof, OPTIONS);
    expect(leaks(JSON.stringify(value), CORPUS_SAMPLES)).toEqual([]);
    expect(summary.total).toBeGreaterThanOrEqual(3 * CORPUS_SAMPLES.length);
  });

  test("from HTML, with its entities", () => {
    const html = `<pre>${CORPUS_SAMPLES.map((s) => escapeHtml(s.line)).join("\n")}</pre>`;
    const out = redactText(html, OPTIONS).text;
    expect(leaks(out, CORPUS_SAMPLES)).toEqual([]);
  });
});

describe("redaction uses the detector", () => {
  test("a token only the detector knows, under a name no pattern rule reads as secret, goes under the detector's rule", () => {
    const doppler = CORPUS_SAMPLES.find((s) => s.id === "doppler-service-token");
    const text = `run: doppler run --token ${doppler?.secret} -- npm start`;
    const { text: out, summary } = redactText(text, OPTIONS);
    expect(out).toBe("run: doppler run --token [REDACTED:doppler-token] -- npm start");
    expect(summary).toEqual({ total: 1, hits: [{ rule: "doppler-token", count: 1 }] });
  });

  test("whatever the detector finds in a sample's line, redaction leaves none of it", () => {
    for (const s of CORPUS_SAMPLES) {
      const out = redactText(s.line, OPTIONS).text;
      const left = findSecrets(s.line).filter((hit) => hit.secret.length >= 12 && out.includes(hit.secret));
      expect({ id: s.id, left: left.map((h) => h.rule.id) }).toEqual({ id: s.id, left: [] });
    }
  });

  test("a second pass finds nothing more", () => {
    const once = redactText(CORPUS_SAMPLES.map(transcriptLine).join("\n"), OPTIONS).text;
    expect(redactText(once, OPTIONS).summary).toEqual({ total: 0, hits: [] });
  });
});
