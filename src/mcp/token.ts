// The bearer token of `loki mcp --http`: LOKI_MCP_TOKEN when set, else one kept in ~/.loki/mcp/token
// (0600, made once, so a client's config keeps working across restarts; the agent never sees ~/.loki).
// Compared in constant time: a digest of each side, so neither the length nor a prefix leaks.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { configError } from "../core/errors.ts";
import { writeFileAtomic } from "../core/workspace.ts";

export const MIN_TOKEN_LENGTH = 24;

export type Token = { value: string; source: "LOKI_MCP_TOKEN" | "file"; path: string | null };

export function loadToken(env: Record<string, string | undefined>, file: string): Token {
  const given = env.LOKI_MCP_TOKEN;
  if (given !== undefined && given !== "") {
    if (given.trim().length < MIN_TOKEN_LENGTH || /\s/.test(given))
      throw configError(`LOKI_MCP_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters with no spaces`, {
        hint: "export LOKI_MCP_TOKEN=$(openssl rand -hex 24)   (or unset it: loki keeps one in ~/.loki/mcp/token)",
      });
    return { value: given, source: "LOKI_MCP_TOKEN", path: null };
  }
  if (existsSync(file)) {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    const value = readFileSync(file, "utf8").trim();
    if (value.length >= MIN_TOKEN_LENGTH && !/\s/.test(value)) return { value, source: "file", path: file };
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const value = randomBytes(32).toString("base64url");
  writeFileAtomic(file, `${value}\n`, 0o600);
  return { value, source: "file", path: file };
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/** Does the request's Authorization header carry exactly this token (`Bearer <token>`)? */
export function bearerMatches(header: string | null, token: string): boolean {
  const match = header === null ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  const given = match?.[1] ?? "";
  // Always one comparison of two 32-byte digests, whatever was sent.
  return timingSafeEqual(digest(given), digest(token)) && given.length > 0;
}
