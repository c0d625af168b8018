// The change under review as text for reviewer and judge prompts: `git diff start..HEAD`, capped
// so a huge change cannot blow the prompt; the cap is stated, never silent.
import { run } from "../core/exec.ts";

export const MAX_DIFF_CHARS = 120_000;

export async function diffForReview(root: string, startSha: string, maxChars = MAX_DIFF_CHARS): Promise<string> {
  const stat = await run(["git", "diff", "--stat", "--no-color", `${startSha}..HEAD`], { cwd: root, timeoutMs: 60_000 });
  const diff = await run(["git", "diff", "--no-color", "--no-ext-diff", `${startSha}..HEAD`], { cwd: root, timeoutMs: 60_000, maxOutputBytes: 32 * 1024 * 1024 });
  const body = diff.stdout.length > maxChars ? `${diff.stdout.slice(0, maxChars)}\n… (diff truncated at ${maxChars} characters of ${diff.stdout.length}; read the files for the rest)` : diff.stdout;
  return `${stat.stdout.trim()}\n\n\`\`\`diff\n${body.trimEnd()}\n\`\`\``;
}
