import { request } from 'node:http';

export interface RawReply { status: number; headers: Record<string, string | string[] | undefined>; text: string; body: any }

/**
 * One HTTP request with exactly these bytes (fetch adds and fixes headers; hostile-input tests
 * must not be helped). `cutAfter` ends the connection after that many body bytes, as a client
 * that dies mid-upload would; the reply is then whatever came back, or status 0. `stallAfter`
 * sends that many body bytes and then nothing more, keeping the connection open.
 */
export function rawRequest(url: string, o: { method?: string; headers?: Record<string, string>; body?: Buffer | string; cutAfter?: number; stallAfter?: number } = {}): Promise<RawReply> {
  return new Promise((resolve) => {
    const body = typeof o.body === 'string' ? Buffer.from(o.body, 'latin1') : o.body;
    const req = request(url, { method: o.method ?? 'POST', headers: o.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: '', body: undefined }));
      res.on('end', () => {
        if (o.stallAfter !== undefined) req.destroy();
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: any;
        try { parsed = JSON.parse(text); } catch { parsed = text; }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
      });
    });
    req.on('error', () => resolve({ status: 0, headers: {}, text: '', body: undefined }));
    if (body && o.stallAfter !== undefined) {
      req.write(body.subarray(0, o.stallAfter)); // and never the rest: the answer must come without it
    } else if (body && o.cutAfter !== undefined) {
      req.write(body.subarray(0, o.cutAfter), () => setImmediate(() => req.destroy()));
    } else {
      req.end(body);
    }
  });
}
