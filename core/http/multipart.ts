import busboy from 'busboy';
import type { IncomingMessage } from 'node:http';
import { KefuError } from '../errors.js';

export interface MultipartLimits {
  /** Largest file accepted, in bytes (a file of exactly this size is accepted). */
  fileBytes: number;
  /** Largest value of one field, in bytes. */
  fieldBytes: number;
  /** Most fields accepted. */
  fields: number;
  /** Most bytes of the whole body (files, fields and framing); unset: file + all fields' worth. */
  totalBytes?: number;
}

export interface MultipartFile { field: string; name?: string; data: Buffer }
export interface MultipartForm { fields: Record<string, string>; file?: MultipartFile }

/**
 * Reads a multipart/form-data body: its fields and at most one file, in memory, within limits.
 * The one multipart reader of the process, because busboy reports a truncated or garbled body
 * as an `error` on the parser AND on the file stream it handed out; a file stream nobody
 * listens to turns one bad request into an uncaught exception that ends the process. Every
 * emitter here has an error handler, the promise settles exactly once, and whatever is left of
 * a refused body is drained so the answer can be sent.
 *
 * Errors: `bad_request` (malformed: no boundary, bad part header, unexpected end), and
 * `payload_too_large` (a file or field over its limit, too many fields or files).
 */
export function readMultipart(req: IncomingMessage, limits: MultipartLimits): Promise<MultipartForm> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let bb: busboy.Busboy;
    const fail = (err: KefuError) => {
      if (settled) return;
      settled = true;
      req.unpipe();
      req.resume();
      bb?.removeAllListeners('file').removeAllListeners('field');
      reject(err);
    };
    const malformed = () => fail(new KefuError('bad_request', 'Malformed multipart request.'));
    const tooLarge = (what: string) => fail(new KefuError('payload_too_large', what));
    try {
      // busboy stops a file when it REACHES fileSize; one byte more lets a file of exactly the limit through.
      bb = busboy({ headers: req.headers, limits: { files: 1, fileSize: limits.fileBytes + 1, fields: limits.fields, fieldSize: limits.fieldBytes, parts: limits.fields + 1 } });
    } catch {
      req.resume();
      return reject(new KefuError('bad_request', 'Malformed multipart request: a boundary is required.'));
    }
    const fields: Record<string, string> = {};
    let file: MultipartFile | undefined;
    bb.on('field', (name, value, info) => {
      if (info.valueTruncated) return tooLarge(`A form field is limited to ${limits.fieldBytes} bytes.`);
      fields[name] = value;
    });
    bb.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('error', malformed);
      stream.on('data', (c: Buffer) => { size += c.length; chunks.push(c); });
      stream.on('limit', () => { stream.resume(); tooLarge(`Files are limited to ${limits.fileBytes} bytes.`); });
      stream.on('end', () => {
        if (size <= limits.fileBytes) file = { field, name: info.filename?.slice(0, 200), data: Buffer.concat(chunks, size) };
      });
    });
    bb.on('filesLimit', () => tooLarge('One file per request.'));
    bb.on('fieldsLimit', () => tooLarge(`At most ${limits.fields} form fields.`));
    bb.on('partsLimit', () => tooLarge(`At most ${limits.fields + 1} form parts.`));
    bb.on('error', malformed);
    bb.on('close', () => {
      if (settled) return;
      settled = true;
      resolve({ fields, file });
    });
    // The parts' own limits do not bound the body: 50 fields of max size, or framing, add up.
    const total = limits.totalBytes ?? limits.fileBytes + limits.fields * limits.fieldBytes + 64 * 1024;
    let seen = 0;
    req.on('data', (c: Buffer) => { seen += c.length; if (seen > total) tooLarge(`The body is limited to ${total} bytes.`); });
    req.on('error', malformed);
    req.on('aborted', malformed);
    req.pipe(bb);
  });
}
