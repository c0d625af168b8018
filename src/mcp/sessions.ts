// The HTTP server's sessions: one transport and server each, closed when idle for 30 minutes or — when
// 32 are open and a client initializes — the one idle longest. A session is busy (never evicted) while
// any response of it is still being sent: a tool call's stream, or a client's listening GET stream.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";

export const MAX_SESSIONS = 32;
export const IDLE_MS = 30 * 60_000;

export type Session = { transport: WebStandardStreamableHTTPServerTransport; server: McpServer; seen: number; busy: number };

export async function closeSession(session: Pick<Session, "transport" | "server">): Promise<void> {
  await session.transport.close().catch(() => {});
  await session.server.close().catch(() => {});
}

export class Sessions {
  readonly table = new Map<string, Session>();

  /** Closes sessions idle too long, then, at the cap, the idle one seen longest ago; false when all are busy. */
  async makeRoom(now: number): Promise<boolean> {
    for (const [id, session] of this.table) if (session.busy === 0 && now - session.seen > IDLE_MS) await this.close(id, session);
    while (this.table.size >= MAX_SESSIONS) {
      const idle = [...this.table].filter(([, s]) => s.busy === 0);
      if (idle.length === 0) return false;
      const [id, oldest] = idle.reduce((a, b) => (b[1].seen < a[1].seen ? b : a));
      await this.close(id, oldest);
    }
    return true;
  }

  async close(id: string, session: Session): Promise<void> {
    this.table.delete(id);
    await closeSession(session);
  }

  async closeAll(): Promise<void> {
    for (const [id, session] of [...this.table]) await this.close(id, session);
  }

  /** The session's request, answered: busy until its response (a stream too) has been sent or dropped. */
  async serve(session: Session, req: Request): Promise<Response> {
    session.busy++;
    session.seen = Date.now();
    const done = () => {
      session.busy--;
      session.seen = Date.now();
    };
    let response: Response;
    try {
      response = await session.transport.handleRequest(req);
    } catch (error) {
      done();
      throw error;
    }
    if (!response.body) {
      done();
      return response;
    }
    return new Response(counted(response.body, done), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }
}

/** `body`, calling `finish` once when it ends, fails or the client goes away. */
function counted(body: ReadableStream<Uint8Array>, finish: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let finished = false;
  const once = () => {
    if (finished) return;
    finished = true;
    finish();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await reader.read();
        if (done) {
          once();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        once();
        controller.error(error);
      }
    },
    cancel(reason) {
      once();
      return reader.cancel(reason);
    },
  });
}

/** Does this JSON-RPC body (one message or a batch) initialize a session? */
export async function isInitialize(req: Request): Promise<boolean> {
  const body = (await req
    .clone()
    .json()
    .catch(() => null)) as unknown;
  const messages = Array.isArray(body) ? body : [body];
  return messages.some((m) => typeof m === "object" && m !== null && (m as { method?: unknown }).method === "initialize");
}
