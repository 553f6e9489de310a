import type { IncomingMessage, IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { KefuError } from '../errors.js';
import { assertJsonType, parseJsonObject } from './body.js';
import { errorReply } from './error-middleware.js';

export interface JsonRequest { req: IncomingMessage; headers: IncomingHttpHeaders; body: Record<string, unknown> }
export interface JsonReply { status: number; body: unknown }
export type JsonHandler = (req: JsonRequest) => Promise<JsonReply>;
interface Route { handler: JsonHandler; limit: () => number; headers: string[] }

/**
 * Hot JSON POST endpoints served on node:http ahead of Koa. Profiled on the HTTP send path,
 * Koa's context, its router and the middleware chain were ~20 of ~100 µs of main-thread CPU per
 * message. The contract is the Koa routes' one: the same body rules and error catalogue
 * (`{ ok: false, error }`, Retry-After on rate limits), the same headers.
 */
export class JsonRoutes {
  private routes = new Map<string, Route>();

  constructor(private logger: Logger, private headers: (path: string) => Record<string, string>) {}

  post(path: string, limit: () => number, handler: JsonHandler): void {
    if (this.routes.has(path)) throw new Error(`POST ${path} is registered twice`);
    // writeHead takes a flat [name, value, …] list as is; an object is copied and walked per response.
    this.routes.set(path, { handler, limit, headers: [...Object.entries(this.headers(path)).flat(), 'Content-Type', 'application/json; charset=utf-8'] });
  }

  /** Serves the request if it is one of these routes; false leaves it to the next handler. */
  serve(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST' || this.routes.size === 0) return false;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const route = this.routes.get(path);
    if (!route) return false;
    void this.run(route, path, req, res);
    return true;
  }

  private async run(route: Route, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reply: JsonReply & { headers?: Record<string, string> };
    try {
      reply = await route.handler({ req, headers: req.headers, body: await readBody(req, route.limit()) });
    } catch (err) {
      reply = errorReply(err, this.logger, path);
    }
    const text = JSON.stringify(reply.body);
    const headers = [...route.headers, 'Content-Length', String(Buffer.byteLength(text))];
    if (reply.headers) headers.push(...Object.entries(reply.headers).flat());
    res.writeHead(reply.status, headers);
    res.end(text);
  }
}

/** The body as a JSON object within `limit` bytes. A body over the limit is drained, not read into memory. */
function readBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  try { assertJsonType(req.headers['content-type']); } catch (err) { req.resume(); return Promise.reject(err); }
  const tooLarge = () => new KefuError('payload_too_large', `The body is limited to ${limit} bytes.`);
  if (Number(req.headers['content-length'] ?? 0) > limit) { req.resume(); return Promise.reject(tooLarge()); }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0, done = false;
    const fail = (err: KefuError) => { if (!done) { done = true; reject(err); } };
    req.on('data', (chunk: Buffer) => {
      if (done) return; // draining what is left of a rejected body
      size += chunk.length;
      if (size > limit) fail(tooLarge()); else chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      try { resolve(parseJsonObject(Buffer.concat(chunks).toString('utf8'))); } catch (err) { reject(err); }
    });
    req.on('error', () => fail(new KefuError('bad_request', 'Could not read the body.')));
  });
}
