// Named, typed errors for everything a user can get wrong. Each carries a hint naming the next
// command; its exit code comes from the one map (core/exit-codes.ts, exitCodeFor), applied in program.ts.

/** What went wrong, by kind. Each kind's exit code is in core/exit-codes.ts (ERROR_EXIT). */
export type ErrorKind =
  | "usage" // bad flags or arguments
  | "config" // invalid configuration value
  | "spec" // the spec cannot be read or understood
  | "tracker" // issue tracker unreachable, unauthorized, or issue missing
  | "workspace" // .loki/ unreadable, corrupt, or locked
  | "provider" // provider CLI unavailable or misconfigured
  | "git" // not a repository, bad revision
  | "sandbox" // no OS sandbox for the agent here (and --no-sandbox not given)
  | "internal"; // a broken invariant: a bug

export type LokiErrorOptions = {
  hint?: string;
  cause?: unknown;
  /** Structured details for --json output and the log file. */
  data?: Record<string, unknown>;
};

export class LokiError extends Error {
  override readonly name = "LokiError";
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  readonly data: Record<string, unknown>;

  constructor(kind: ErrorKind, message: string, options: LokiErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.hint = options.hint;
    this.data = options.data ?? {};
  }
}

export const usageError = (message: string, options?: LokiErrorOptions) => new LokiError("usage", message, options);
export const configError = (message: string, options?: LokiErrorOptions) => new LokiError("config", message, options);
export const specError = (message: string, options?: LokiErrorOptions) => new LokiError("spec", message, options);
export const trackerError = (message: string, options?: LokiErrorOptions) => new LokiError("tracker", message, options);
export const workspaceError = (message: string, options?: LokiErrorOptions) => new LokiError("workspace", message, options);
export const gitError = (message: string, options?: LokiErrorOptions) => new LokiError("git", message, options);
export const internalError = (message: string, options?: LokiErrorOptions) => new LokiError("internal", message, options);

export function isLokiError(value: unknown): value is LokiError {
  return value instanceof LokiError;
}

/** The message of any thrown value, for logs and digests. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
