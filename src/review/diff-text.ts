// The change under review as text for reviewer and judge prompts, rendered from the run's one
// Change (gates/diff.ts): a stat line per file, then the diff capped so a huge change cannot blow
// the prompt; the cap is stated, never silent. Pure.
import type { DiffSubject } from "../gates/gate.ts";

export const MAX_DIFF_CHARS = 120_000;

export function diffForReview(change: DiffSubject, maxChars = MAX_DIFF_CHARS): string {
  const stat = change.files.map(
    (f) => ` ${f.oldPath ? `${f.oldPath} => ` : ""}${f.path} | ${f.binary ? "binary" : `+${f.added.length} -${f.removedCount}`}`,
  );
  stat.push(` ${change.stat.files} files changed, ${change.stat.insertions} insertions(+), ${change.stat.deletions} deletions(-)`);
  const text = change.text;
  const body =
    text.length > maxChars
      ? `${text.slice(0, maxChars)}\n… (diff truncated at ${maxChars} characters of ${text.length}; read the files for the rest)`
      : text;
  return `${stat.join("\n")}\n\n\`\`\`diff\n${body.trimEnd()}\n\`\`\``;
}
