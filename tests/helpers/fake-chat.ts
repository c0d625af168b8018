// A scripted fake OpenAI chat-completions API on 127.0.0.1 (what Ollama, vLLM and LM Studio serve) for
// contract tests of CLIs on a custom OpenAI-compatible endpoint (opencode): streamed chunks or JSON,
// tool calls, usage, error statuses; records every request. Loopback only; never proxies anywhere.
import { DEFAULT_USAGE, isRecord, pickTurn, recordRequest, serveModelApi } from "./fake-anthropic.ts";
import type { ErrorTurn, FakeModelApi, RecordedRequest, Script, Usage } from "./fake-anthropic.ts";

/** `tools`: the `function.name` of every tool offered. `system`: every system message's text, joined. */
export type ChatRequest = RecordedRequest & { system: string };
type Args = Record<string, unknown> | ((req: ChatRequest) => Record<string, unknown>);
export type ChatTurn =
  | { text: string; usage?: Usage }
  | { toolCall: { name: string; arguments: Args }; text?: string; usage?: Usage }
  | ErrorTurn;
export type ChatScript = Script<ChatRequest, ChatTurn>;
export type FakeChat = FakeModelApi<ChatRequest>;

export type FakeChatOptions = {
  /** Served by `GET /v1/models` (default: the models the script is asked for, else "local-coder"). */
  models?: string[];
  /**
   * Answers a side call (a session title, a summary) outside the script, so it does not use up a
   * scripted turn: return a turn for such a request, or null for a conversation step.
   */
  side?: (req: ChatRequest) => ChatTurn | null;
};

export async function startFakeChat(script: ChatScript, options: FakeChatOptions = {}): Promise<FakeChat> {
  const asked = new Set<string>();
  return serveModelApi({
    modelPath: "/v1/chat/completions",
    record,
    answer(req, call) {
      if (req.model) asked.add(req.model);
      const turn = options.side?.(req) ?? pickTurn(script, req, conversationStep(req), { text: "" });
      if ("status" in turn) return errorResponse(turn);
      const completion = buildCompletion(turn, req, call);
      if (!req.stream) return Response.json(completion);
      const streamOptions = isRecord(req.body.stream_options) ? req.body.stream_options : {};
      return chunkResponse(completionChunks(completion, streamOptions.include_usage === true));
    },
    other(req) {
      if (req.method === "GET" && req.path === "/v1/models") {
        const ids = options.models ?? (asked.size > 0 ? [...asked] : ["local-coder"]);
        return Response.json({ object: "list", data: ids.map((id) => ({ id, object: "model", created: 0, owned_by: "fake" })) });
      }
      return errorResponse({ status: 404, message: `fake chat: no route ${req.method} ${req.path}` });
    },
  });
}

/** A title or summary request from opencode: no tools offered, and its system prompt says what it is for. */
export function isTitleRequest(req: ChatRequest): boolean {
  return req.tools.length === 0 && /\btitle\b/i.test(req.system);
}

/** The "Working directory" opencode puts in its system prompt's `<env>` block (on either API: both record `system`). */
export function cwd(req: Pick<ChatRequest, "system">): string {
  const match = /Working directory: (.+)/.exec(req.system);
  if (!match?.[1]) throw new Error("fake chat: no 'Working directory' in the system prompt");
  return match[1].trim();
}

/** Messages whose role is `tool` (one per tool result the CLI sent back), plus one. */
function conversationStep(req: ChatRequest): number {
  return messages(req.body).filter((m) => m.role === "tool").length + 1;
}

function messages(body: Record<string, unknown>): Record<string, unknown>[] {
  return Array.isArray(body.messages) ? body.messages.filter(isRecord) : [];
}

/** The text of a message's content: a string, or the text parts of an array. */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .filter(isRecord)
    .map((part) => (typeof part.text === "string" ? part.text : ""))
    .join("\n");
}

/** Every user message's text, joined: where a prompt sent on stdin must arrive. */
export function userText(req: ChatRequest): string {
  return messages(req.body)
    .filter((m) => m.role === "user")
    .map((m) => contentText(m.content))
    .join("\n");
}

async function record(request: Request, url: URL): Promise<ChatRequest> {
  const req = await recordRequest(request, url);
  const tools = Array.isArray(req.body.tools) ? req.body.tools.filter(isRecord) : [];
  return {
    ...req,
    tools: tools.map((tool) => String(isRecord(tool.function) ? tool.function.name : tool.name)),
    system: messages(req.body)
      .filter((m) => m.role === "system" || m.role === "developer")
      .map((m) => contentText(m.content))
      .join("\n"),
  };
}

type ToolCall = { id: string; type: "function"; function: { name: string; arguments: string } };
type Completion = {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: [{ index: 0; message: { role: "assistant"; content: string | null; tool_calls?: ToolCall[] }; finish_reason: string }];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
};

function buildCompletion(turn: Exclude<ChatTurn, { status: number }>, req: ChatRequest, call: number): Completion {
  const toolCalls: ToolCall[] = [];
  if ("toolCall" in turn) {
    const { name, arguments: args } = turn.toolCall;
    const value = typeof args === "function" ? args(req) : args;
    toolCalls.push({ id: `call_fake_${call}`, type: "function", function: { name, arguments: JSON.stringify(value) } });
  }
  const usage = turn.usage ?? DEFAULT_USAGE;
  const message = { role: "assistant" as const, content: turn.text ?? null, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) };
  return {
    id: `chatcmpl-fake-${call}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: req.model ?? "unknown",
    choices: [{ index: 0, message, finish_reason: toolCalls.length > 0 ? "tool_calls" : "stop" }],
    usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output },
  };
}

/** The real API's chunk order: role, content, tool call (name, then its arguments in two halves), finish, usage. */
function completionChunks(completion: Completion, includeUsage: boolean): Record<string, unknown>[] {
  const { id, created, model } = completion;
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const { message, finish_reason } = completion.choices[0];
  const chunks: Record<string, unknown>[] = [chunk({ role: "assistant", content: "" })];
  if (message.content) chunks.push(chunk({ content: message.content }));
  (message.tool_calls ?? []).forEach((call, index) => {
    chunks.push(chunk({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } }] }));
    const half = call.function.arguments.length >> 1;
    for (const part of [call.function.arguments.slice(0, half), call.function.arguments.slice(half)])
      chunks.push(chunk({ tool_calls: [{ index, function: { arguments: part } }] }));
  });
  chunks.push(chunk({}, finish_reason));
  if (includeUsage) chunks.push({ id, object: "chat.completion.chunk", created, model, choices: [], usage: completion.usage });
  return chunks;
}

/** Chat completions stream `data:` lines only (no `event:` names) and end with `data: [DONE]`. */
function chunkResponse(chunks: Record<string, unknown>[]): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(`data: ${JSON.stringify(chunk)}\n\n`));
      controller.enqueue(encoder.encode("data: [DONE]\n\n"));
      controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
}

const ERROR_TYPES: Record<number, [type: string, code: string | null]> = {
  400: ["invalid_request_error", null],
  401: ["invalid_request_error", "invalid_api_key"],
  404: ["invalid_request_error", "model_not_found"],
  429: ["requests", "rate_limit_exceeded"],
  500: ["server_error", null],
  503: ["server_error", null],
};

function errorResponse(turn: ErrorTurn): Response {
  const [type, code] = ERROR_TYPES[turn.status] ?? ["server_error", null];
  const body = { error: { message: turn.message ?? `fake chat error ${turn.status}`, type, param: null, code } };
  return Response.json(body, { status: turn.status, headers: turn.headers });
}
