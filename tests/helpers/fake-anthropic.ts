// A scripted fake Anthropic Messages API on 127.0.0.1 for contract tests of the real `claude` CLI:
// streams SSE like the real API, records every request. Binds loopback only; never proxies anywhere.
// Also holds the small pieces fake-openai.ts shares (script turns, body reading, the SSE writer).

export type Usage = { input: number; output: number };
export type ErrorTurn = { status: number; headers?: Record<string, string>; message?: string };
/** Answers for successive conversation steps (the last one repeats; see pickTurn), or a function of the request. */
export type Script<Req, Turn> = Turn[] | ((req: Req, step: number) => Turn);
export const DEFAULT_USAGE: Usage = { input: 1000, output: 50 };

/** What both fakes record of a request. */
export type RecordedRequest = {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  /** The parsed JSON body ({} when none). */
  body: Record<string, unknown>;
  model: string | null;
  /** Names of the tools offered. */
  tools: string[];
  stream: boolean;
};
/** `system`: all system text blocks joined with newlines. */
export type AnthropicRequest = RecordedRequest & { system: string };
type Input = Record<string, unknown> | ((req: AnthropicRequest) => Record<string, unknown>);
export type AnthropicTurn =
  | { text: string; usage?: Usage }
  | { toolUse: { name: string; input: Input }; text?: string; usage?: Usage }
  | ErrorTurn;
export type AnthropicScript = Script<AnthropicRequest, AnthropicTurn>;

export type FakeModelApi<Req> = {
  url: string;
  /** Every request, model calls or not, in arrival order. */
  requests: Req[];
  /** Only the model calls (`POST /v1/messages`, `POST /v1/responses`). */
  modelCalls: () => Req[];
  [Symbol.asyncDispose]: () => Promise<void>;
};
export type FakeAnthropic = FakeModelApi<AnthropicRequest>;

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  429: "rate_limit_error",
  500: "api_error",
  529: "overloaded_error",
};

/** `hold`: a promise a request waits on before it is answered (its CLI stays mid-call meanwhile). */
export async function startFakeAnthropic(
  script: AnthropicScript,
  options: { hold?: (req: AnthropicRequest) => Promise<void> | undefined } = {},
): Promise<FakeAnthropic> {
  return serveModelApi({
    modelPath: "/v1/messages",
    record,
    async answer(req, call) {
      await options.hold?.(req);
      const turn = pickTurn(script, req, conversationStep(req), { text: "" });
      if ("status" in turn) return errorResponse(turn);
      const message = buildMessage(turn, req, call);
      const headers = { "request-id": `req_fake_${call}` };
      return req.stream ? sseResponse(messageEvents(message), headers) : Response.json(message, { headers });
    },
    other(req) {
      if (req.path === "/api/hello") return new Response(req.method === "HEAD" ? null : "ok");
      if (req.method === "POST" && req.path === "/v1/messages/count_tokens")
        return Response.json({ input_tokens: JSON.stringify(req.body).length >> 2 });
      return errorResponse({ status: 404, message: `fake anthropic: no route ${req.method} ${req.path}` });
    },
  });
}

/** Shared with fake-openai.ts: a loopback server that records every request, then answers it. */
export function serveModelApi<Req extends { method: string; path: string }>(api: {
  modelPath: string;
  record: (request: Request, url: URL) => Promise<Req>;
  /** Answers model call number `call` (from 1). */
  answer: (req: Req, call: number) => Response | Promise<Response>;
  other: (req: Req) => Response;
}): FakeModelApi<Req> {
  const requests: Req[] = [];
  const isModelCall = (req: Req) => req.method === "POST" && req.path === api.modelPath;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const req = await api.record(request, new URL(request.url));
      requests.push(req);
      return isModelCall(req) ? api.answer(req, requests.filter(isModelCall).length) : api.other(req);
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    modelCalls: () => requests.filter(isModelCall),
    [Symbol.asyncDispose]: async () => void (await server.stop(true)),
  };
}

/** The "Primary working directory" Claude Code puts in a role:"system" entry of `messages`. */
export function cwd(req: AnthropicRequest): string {
  const match = /Primary working directory: (.+)/.exec(messageText(req.body.messages));
  if (!match?.[1]) throw new Error("fake anthropic: no 'Primary working directory' in the request");
  return match[1].trim();
}

/** Every string and text block in `messages`, one per line. */
function messageText(messages: unknown): string {
  if (!Array.isArray(messages)) return "";
  const texts: string[] = [];
  for (const message of messages.filter(isRecord)) {
    if (typeof message.content === "string") texts.push(message.content);
    else if (Array.isArray(message.content))
      for (const block of message.content.filter(isRecord)) if (typeof block.text === "string") texts.push(block.text);
  }
  return texts.join("\n");
}

async function record(request: Request, url: URL): Promise<AnthropicRequest> {
  const req = await recordRequest(request, url);
  const system = req.body.system;
  return {
    ...req,
    system:
      typeof system === "string"
        ? system
        : Array.isArray(system)
          ? system
              .filter(isRecord)
              .map((b) => String(b.text ?? ""))
              .join("\n")
          : "",
  };
}

/** Shared with fake-openai.ts: what every request records; `tools` are the `body.tools` names. */
export async function recordRequest(request: Request, url: URL): Promise<RecordedRequest> {
  const body = await readBody(request);
  return {
    method: request.method,
    path: url.pathname,
    query: url.search.slice(1),
    headers: Object.fromEntries(request.headers),
    body,
    model: typeof body.model === "string" ? body.model : null,
    tools: Array.isArray(body.tools) ? body.tools.filter(isRecord).map((t) => String(t.name)) : [],
    stream: body.stream === true,
  };
}

type Block = { type: "text"; text: string } | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> };
type Message = {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: Block[];
  stop_reason: "end_turn" | "tool_use";
  stop_sequence: null;
  usage: { input_tokens: number; output_tokens: number; cache_creation_input_tokens: number; cache_read_input_tokens: number };
};

function buildMessage(turn: Exclude<AnthropicTurn, { status: number }>, req: AnthropicRequest, call: number): Message {
  const content: Block[] = [];
  if (turn.text !== undefined) content.push({ type: "text", text: turn.text });
  if ("toolUse" in turn) {
    const { name, input } = turn.toolUse;
    content.push({ type: "tool_use", id: `toolu_fake_${call}`, name, input: typeof input === "function" ? input(req) : input });
  }
  const usage = turn.usage ?? DEFAULT_USAGE;
  return {
    id: `msg_fake_${call}`,
    type: "message",
    role: "assistant",
    model: req.model ?? "unknown",
    content,
    stop_reason: "toolUse" in turn ? "tool_use" : "end_turn",
    stop_sequence: null,
    usage: { input_tokens: usage.input, output_tokens: usage.output, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
}

/** The real API's event order: start, one start/delta/stop triple per block, delta, stop. */
function messageEvents(message: Message): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [
    { type: "message_start", message: { ...message, content: [], stop_reason: null, usage: { ...message.usage, output_tokens: 1 } } },
    { type: "ping" },
  ];
  message.content.forEach((block, index) => {
    if (block.type === "text") {
      events.push({ type: "content_block_start", index, content_block: { type: "text", text: "" } });
      events.push({ type: "content_block_delta", index, delta: { type: "text_delta", text: block.text } });
    } else {
      events.push({ type: "content_block_start", index, content_block: { ...block, input: {} } });
      const json = JSON.stringify(block.input);
      const half = json.length >> 1;
      for (const part of [json.slice(0, half), json.slice(half)])
        events.push({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: part } });
    }
    events.push({ type: "content_block_stop", index });
  });
  events.push({ type: "message_delta", delta: { stop_reason: message.stop_reason, stop_sequence: null }, usage: message.usage });
  events.push({ type: "message_stop" });
  return events;
}

/**
 * A script's answer to a run's read-only calls (held-out judge, reviewers, devil's advocate): APPROVE,
 * every item it names passed. null for any other call (a build turn, for the script to give).
 */
export function approveReadOnly(req: AnthropicRequest): AnthropicTurn | null {
  const asked = JSON.stringify(req.body.messages ?? []);
  if (!/# (Held-out acceptance check|Review: |Devil's advocate)/.test(asked)) return null;
  const items = [...asked.matchAll(/- \[(ac-[0-9a-f]+(?:-\d+)?)\]/g)].map((m) => ({ id: m[1], status: "pass", evidence: "math.js:1" }));
  return { text: `\`\`\`json\n${JSON.stringify({ verdict: "APPROVE", findings: [], items })}\n\`\`\`` };
}

/**
 * The turn for conversation step `step` (1-based). Steps count the tool results the CLI has sent back,
 * not requests: a CLI that retries a request (a dropped stream, a timeout under load) must get the
 * same turn again, as from a real model, not the script's next one.
 */
export function pickTurn<Req, Turn>(script: Script<Req, Turn>, req: Req, step: number, fallback: Turn): Turn {
  return typeof script === "function" ? script(req, step) : (script[Math.min(step, script.length) - 1] ?? fallback);
}

/** Claude's step: 1 + the tool_result blocks in `messages` (every request carries the whole conversation). */
function conversationStep(req: AnthropicRequest): number {
  const messages = Array.isArray(req.body.messages) ? req.body.messages.filter(isRecord) : [];
  let results = 0;
  for (const message of messages)
    if (Array.isArray(message.content)) results += message.content.filter((b) => isRecord(b) && b.type === "tool_result").length;
  return results + 1;
}

async function readBody(request: Request): Promise<Record<string, unknown>> {
  const raw = request.method === "POST" ? await request.text() : "";
  try {
    const parsed: unknown = raw ? JSON.parse(raw) : {};
    return isRecord(parsed) ? parsed : {};
  } catch {
    return { unparsed: raw };
  }
}

/** One `event:`/`data:` pair per event, named by its `type`, as both APIs stream them. */
export function sseResponse(events: Record<string, unknown>[], headers: Record<string, string> = {}): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const event of events) controller.enqueue(encoder.encode(`event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`));
      controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache", ...headers } });
}

function errorResponse(turn: ErrorTurn): Response {
  const type = ERROR_TYPES[turn.status] ?? "api_error";
  const body = { type: "error", error: { type, message: turn.message ?? `fake ${type}` } };
  return Response.json(body, { status: turn.status, headers: { "request-id": "req_fake_error", ...turn.headers } });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
