// A scripted fake OpenAI Responses API on 127.0.0.1 for contract tests of the real `codex` CLI:
// streams `POST /v1/responses` SSE like the real API, records every request. Loopback only; no proxying.
import { DEFAULT_USAGE, isRecord, pickTurn, recordRequest, serveModelApi, sseResponse } from "./fake-anthropic.ts";
import type { ErrorTurn, FakeModelApi, RecordedRequest, Script, Usage } from "./fake-anthropic.ts";

/**
 * `tools`: names in `body.tools` (classic) and in `additional_tools` input items (code mode), nested
 * ones as `ns.name`. `instructions`: the text of every developer message, joined with newlines.
 */
export type ResponsesRequest = RecordedRequest & { instructions: string };
type Text<T> = T | ((req: ResponsesRequest) => T);
export type ResponsesTurn =
  | { text: string; usage?: Usage }
  /** `namespace`: an MCP server's tools come as one (codex names loki's `mcp__loki`); the call must name it. */
  | { functionCall: { name: string; namespace?: string; arguments: Text<Record<string, unknown>> }; usage?: Usage }
  | { customToolCall: { name: string; input: Text<string> }; usage?: Usage }
  | ErrorTurn;
export type ResponsesScript = Script<ResponsesRequest, ResponsesTurn>;

export type FakeOpenAI = FakeModelApi<ResponsesRequest>;

/** Classic tools (unknown model such as `-m fake-model`): a shell command through `exec_command`. */
export function execCommand(cmd: Text<string>): ResponsesTurn {
  return {
    functionCall: {
      name: "exec_command",
      arguments: (req) => ({ cmd: typeof cmd === "function" ? cmd(req) : cmd, yield_time_ms: YIELD_MS }),
    },
  };
}

/**
 * How long codex waits for a command before answering "Process running with session ID n" (its
 * default is 10 s, its cap 30 s). A real model passes a long wait for a command it expects to take
 * time, and polls with write_stdin when it is still running; the fake does both (see answer()).
 */
const YIELD_MS = 30_000;

/** Code mode (default model): JavaScript for the freeform `exec` tool that runs one shell command. */
export function codeModeExec(cmd: string): ResponsesTurn {
  return {
    customToolCall: {
      name: "exec",
      input: `const r = await tools.exec_command({ cmd: ${JSON.stringify(cmd)}, yield_time_ms: ${YIELD_MS} });\ntext(JSON.stringify(r));\n`,
    },
  };
}

export async function startFakeOpenAI(script: ResponsesScript): Promise<FakeOpenAI> {
  return serveModelApi({
    modelPath: "/v1/responses",
    record,
    answer(req, call) {
      const { step, running } = conversationOf(req);
      const turn = running ? poll(running) : pickTurn(script, req, step, { text: "" });
      if ("status" in turn) return errorResponse(turn);
      const response = buildResponse(turn, req, call);
      return req.stream ? sseResponse(responseEvents(response)) : Response.json(response);
    },
    other: (req) => errorResponse({ status: 404, message: `fake openai: no route ${req.method} ${req.path}` }),
  });
}

type Running = { session: number; codeMode: boolean };

/**
 * Where the conversation stands: step = 1 + the tool outputs codex has sent back for finished
 * commands; `running` when the last one says the command is still going (it outlived yield_time_ms).
 */
function conversationOf(req: ResponsesRequest): { step: number; running: Running | null } {
  const input = Array.isArray(req.body.input) ? req.body.input.filter(isRecord) : [];
  const outputs = input.filter((item) => item.type === "function_call_output" || item.type === "custom_tool_call_output");
  let finished = 0;
  let running: Running | null = null;
  for (const item of outputs) {
    const text = typeof item.output === "string" ? item.output : JSON.stringify(item.output ?? "");
    const session = /Process running with session ID (\d+)|\\?"session_id\\?":\s*(\d+)/.exec(text);
    running = session ? { session: Number(session[1] ?? session[2]), codeMode: item.type === "custom_tool_call_output" } : null;
    if (!running) finished += 1;
  }
  return { step: finished + 1, running };
}

/** What a model does about a command still running: waits for it again through write_stdin. */
function poll({ session, codeMode }: Running): ResponsesTurn {
  const args = { session_id: session, chars: "", yield_time_ms: YIELD_MS };
  return codeMode
    ? { customToolCall: { name: "exec", input: `const r = await tools.write_stdin(${JSON.stringify(args)});\ntext(JSON.stringify(r));\n` } }
    : { functionCall: { name: "write_stdin", arguments: args } };
}

/** The cwd codex puts in the user item `<environment_context><cwd>…</cwd>`. */
export function cwd(req: ResponsesRequest): string {
  const input = Array.isArray(req.body.input) ? req.body.input.filter(isRecord) : [];
  const texts = input.flatMap((item) =>
    Array.isArray(item.content) ? item.content.filter(isRecord).map((part) => String(part.text ?? "")) : [],
  );
  const match = /<cwd>([^<]+)<\/cwd>/.exec(texts.join("\n"));
  if (!match?.[1]) throw new Error("fake openai: no <cwd> in the request");
  return match[1];
}

async function record(request: Request, url: URL): Promise<ResponsesRequest> {
  const req = await recordRequest(request, url);
  const input = Array.isArray(req.body.input) ? req.body.input.filter(isRecord) : [];
  const extra = input.filter((item) => item.type === "additional_tools").flatMap((item) => (Array.isArray(item.tools) ? item.tools : []));
  const developer = input
    .filter((item) => item.role === "developer" && Array.isArray(item.content))
    .flatMap((item) => item.content as unknown[]);
  return {
    ...req,
    tools: [...toolNames(req.body.tools, ""), ...toolNames(extra, "")],
    instructions: developer
      .filter(isRecord)
      .map((part) => String(part.text ?? ""))
      .join("\n"),
  };
}

function toolNames(tools: unknown, prefix: string): string[] {
  if (!Array.isArray(tools)) return [];
  return tools.filter(isRecord).flatMap((tool) => {
    const name = `${prefix}${String(tool.name)}`;
    return tool.type === "namespace" && Array.isArray(tool.tools) ? toolNames(tool.tools, `${name}.`) : [name];
  });
}

type Item = Record<string, unknown> & { type: string };
type ResponseBody = {
  id: string;
  object: "response";
  created_at: number;
  status: string;
  model: string;
  output: Item[];
  usage: Record<string, unknown> | null;
};

function buildResponse(turn: Exclude<ResponsesTurn, { status: number }>, req: ResponsesRequest, call: number): ResponseBody {
  const callId = `call_fake_${call}`;
  let item: Item;
  if ("functionCall" in turn) {
    const args = turn.functionCall.arguments;
    item = {
      type: "function_call",
      id: `fc_fake_${call}`,
      call_id: callId,
      name: turn.functionCall.name,
      ...(turn.functionCall.namespace ? { namespace: turn.functionCall.namespace } : {}),
      arguments: JSON.stringify(typeof args === "function" ? args(req) : args),
      status: "completed",
    };
  } else if ("customToolCall" in turn) {
    const input = turn.customToolCall.input;
    item = {
      type: "custom_tool_call",
      id: `ctc_fake_${call}`,
      call_id: callId,
      name: turn.customToolCall.name,
      input: typeof input === "function" ? input(req) : input,
      status: "completed",
    };
  } else {
    item = {
      type: "message",
      id: `msg_fake_${call}`,
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: turn.text, annotations: [] }],
    };
  }
  const usage = turn.usage ?? DEFAULT_USAGE;
  return {
    id: `resp_fake_${call}`,
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status: "completed",
    model: req.model ?? "unknown",
    output: [item],
    usage: {
      input_tokens: usage.input,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: usage.output,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: usage.input + usage.output,
    },
  };
}

/** created → in_progress → per item: added, (text delta/done), done → completed (with usage). */
function responseEvents(response: ResponseBody): Record<string, unknown>[] {
  const pending = { ...response, status: "in_progress", output: [], usage: null };
  const events: Record<string, unknown>[] = [
    { type: "response.created", response: pending },
    { type: "response.in_progress", response: pending },
  ];
  response.output.forEach((item, output_index) => {
    const open = item.type === "message" ? { ...item, status: "in_progress", content: [] } : { ...item, status: "in_progress" };
    events.push({ type: "response.output_item.added", output_index, item: open });
    if (item.type === "message" && Array.isArray(item.content)) {
      const text = String((item.content[0] as { text?: unknown } | undefined)?.text ?? "");
      const at = { item_id: item.id, output_index, content_index: 0 };
      events.push({ type: "response.content_part.added", ...at, part: { type: "output_text", text: "", annotations: [] } });
      events.push({ type: "response.output_text.delta", ...at, delta: text });
      events.push({ type: "response.output_text.done", ...at, text });
      events.push({ type: "response.content_part.done", ...at, part: { type: "output_text", text, annotations: [] } });
    }
    events.push({ type: "response.output_item.done", output_index, item });
  });
  events.push({ type: "response.completed", response });
  return events.map((event, sequence_number) => ({ ...event, sequence_number }));
}

function errorResponse(turn: ErrorTurn): Response {
  const type = turn.status === 429 ? "rate_limit_exceeded" : turn.status === 401 ? "invalid_api_key" : "server_error";
  const body = { error: { message: turn.message ?? `fake error ${turn.status}`, type, code: type, param: null } };
  return Response.json(body, { status: turn.status, headers: turn.headers });
}
