// Small pieces every provider record shares: reading one stdout line as a JSON object, typed field
// access without `any`, classifying an error from its message, and prompts kept out of argv. Pure.
import { join } from "node:path";
import { sha256 } from "../core/hash.ts";
import type { ErrorClass, PromptFile } from "./provider.ts";

export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
export const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
export const num = (value: unknown): number | undefined => (typeof value === "number" && Number.isFinite(value) ? value : undefined);
export const obj = (value: unknown): Json => (isObject(value) ? value : {});

/** Objects merge key by key; anything else in `over` replaces what `base` has (generated CLI config under `config`). */
export function deepMerge(base: Json, over: Readonly<Record<string, unknown>>): Json {
  const merged: Json = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = merged[key];
    merged[key] = isObject(current) && isObject(value) ? deepMerge(current, value) : value;
  }
  return merged;
}

/** The JSON object on this line, or null for noise (warnings, banners, partial lines). */
export function parseJsonLine(line: string): Json | null {
  if (!line.trimStart().startsWith("{")) return null;
  try {
    const value: unknown = JSON.parse(line);
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * The error class of a free-text API error, for CLIs that report no structured status (codex,
 * cline, aider, opencode). A status code decides before words do ("429 … for this API key" is
 * a rate limit, "401 Unauthorized … quota" is auth).
 */
export function classifyMessage(message: string): ErrorClass {
  if (/\b40[13]\b/.test(message)) return "auth";
  if (/\b429\b|rate.?limit|quota|too many requests/i.test(message)) return "rate_limit";
  if (/unauthori[sz]ed|forbidden|authentication|api.?key/i.test(message)) return "auth";
  if (/model\b.*\b(not found|does not exist|not supported)|unknown model|model_not_found|no such model/i.test(message))
    return "unknown_model";
  if (/\b(529|503)\b|overloaded/i.test(message)) return "overloaded";
  return "api_error";
}

/**
 * A prompt as a file in the call's scratch dir, named by its content: concurrent calls sharing a
 * scratch dir never overwrite each other's, and the name says nothing of the text.
 */
export function promptFile(scratchDir: string, kind: "prompt" | "system" | "settings" | "mcp", content: string): PromptFile {
  const ext = kind === "settings" || kind === "mcp" ? "json" : "md";
  return { path: join(scratchDir, `loki-${kind}-${sha256(content).slice(0, 16)}.${ext}`), content };
}

/** The short argv instruction for a CLI that reads its prompt neither from stdin nor from a file flag. */
export function readTaskIn(file: PromptFile): string {
  return `Read the file ${file.path} and carry out the task it describes; it is your whole assignment.`;
}

/** The system prompt joined to the prompt, for CLIs with no way to append to their own. */
export function withSystemPrompt(prompt: string, systemPrompt: string | undefined): string {
  return systemPrompt === undefined ? prompt : `${systemPrompt}\n\n${prompt}`;
}

/** Effort names the CLIs without "max" understand. */
export function effortUpTo(effort: string, highest: "high" | "xhigh"): string {
  if (effort === "max" || effort === "xhigh") return highest;
  return effort;
}
