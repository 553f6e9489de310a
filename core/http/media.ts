import busboy from 'busboy';
import { createReadStream } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from 'koa';
import { KefuError } from '../errors.js';
import { randomToken } from '../model/ids.js';
import type { Attachment } from '../model/message.js';
import type { Store } from '../store/store.js';

const FILE_TYPES: Record<string, string> = {
  pdf: 'application/pdf', txt: 'text/plain', csv: 'text/csv', json: 'application/json', zip: 'application/zip',
  doc: 'application/msword', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', mp3: 'audio/mpeg', mp4: 'video/mp4',
};

/** Magic numbers of the image types we accept; the client's Content-Type is not trusted. */
function sniffImage(b: Buffer): string | undefined {
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47) return 'image/png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 6 && b.toString('latin1', 0, 4) === 'GIF8') return 'image/gif';
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

/** Width/height from PNG/GIF headers (cheap, lets clients reserve space); undefined otherwise. */
function dimensions(b: Buffer, mime: string): { width?: number; height?: number } {
  if (mime === 'image/png' && b.length >= 24) return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  if (mime === 'image/gif' && b.length >= 10) return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
  return {};
}

/**
 * Uploads and serving of media. Ids are 192-bit random capabilities: a URL is only known to
 * the participants of the conversation it was sent in.
 */
export class MediaService {
  constructor(private store: Store, private dir: string, readonly maxBytes: () => number) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  /** Reads one multipart file field (any name) from the request and stores it as an image. */
  async acceptImageUpload(ctx: Context, owner: string): Promise<Attachment> {
    return (await this.acceptImageUploadWithFields(ctx, owner)).attachment;
  }

  /** The same, with the form's other fields (e.g. a clientId to send the image at once). */
  async acceptImageUploadWithFields(ctx: Context, owner: string): Promise<{ attachment: Attachment; fields: Record<string, string> }> {
    const type = ctx.get('content-type');
    if (!type.startsWith('multipart/form-data')) throw new KefuError('unsupported_media_type', 'Send the image as multipart/form-data.');
    const declared = Number(ctx.get('content-length'));
    const limit = this.maxBytes();
    if (declared > limit + 16 * 1024) throw new KefuError('payload_too_large', `Images are limited to ${limit} bytes.`);
    const file = await readFirstFile(ctx, limit);
    if (!sniffImage(file.data)) throw new KefuError('invalid_image');
    return { attachment: await this.storeBuffer(file.data, file.name, owner), fields: file.fields };
  }

  /**
   * Stores bytes as media. Images are recognized by content; anything else is kept as a file
   * (served as a download, never rendered inline) with a type from its name's extension.
   */
  async storeBuffer(data: Buffer, name: string | undefined, owner: string): Promise<Attachment> {
    if (data.length > this.maxBytes()) throw new KefuError('payload_too_large', `Files are limited to ${this.maxBytes()} bytes.`);
    const image = sniffImage(data);
    const mime = image ?? FILE_TYPES[(name ?? '').toLowerCase().split('.').pop() ?? ''] ?? 'application/octet-stream';
    const id = randomToken(24);
    const tmp = join(this.dir, `${id}.part`);
    await writeFile(tmp, data);
    await rename(tmp, join(this.dir, id));
    await this.store.putMedia({ id, mime, size: data.length, name, owner, createdAt: new Date() });
    return { kind: image ? 'image' : 'file', mediaId: id, mime, size: data.length, name, ...(image ? dimensions(data, image) : {}) };
  }

  /** Checks that attachments a client names exist (clients may only reference stored media). */
  async resolveAttachments(items: unknown): Promise<Attachment[]> {
    if (!Array.isArray(items) || items.length === 0 || items.length > 10) throw new KefuError('validation_failed', 'attachments must hold 1 to 10 items');
    const out: Attachment[] = [];
    for (const it of items) {
      const id = (it as { mediaId?: unknown })?.mediaId;
      const rec = typeof id === 'string' ? await this.store.getMedia(id) : undefined;
      if (!rec) throw new KefuError('validation_failed', 'attachments[].mediaId does not name an uploaded file');
      out.push({ kind: rec.mime.startsWith('image/') ? 'image' : 'file', mediaId: rec.id, mime: rec.mime, size: rec.size, name: rec.name });
    }
    return out;
  }

  /** Koa handler body for GET /media/:id. */
  async serve(ctx: Context, id: string): Promise<void> {
    const rec = /^[A-Za-z0-9_-]{32}$/.test(id) ? await this.store.getMedia(id) : undefined;
    if (!rec) throw new KefuError('not_found');
    ctx.set('Content-Type', rec.mime);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Content-Security-Policy', "default-src 'none'; sandbox");
    ctx.set('Cache-Control', 'private, max-age=31536000, immutable');
    if (!rec.mime.startsWith('image/')) ctx.attachment(rec.name ?? rec.id);
    ctx.length = rec.size;
    ctx.body = createReadStream(join(this.dir, rec.id));
  }

}

function readFirstFile(ctx: Context, limit: number): Promise<{ data: Buffer; name?: string; fields: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: ctx.req.headers, limits: { files: 1, fileSize: limit, fields: 10, fieldSize: 1024 } });
    } catch {
      return reject(new KefuError('bad_request', 'Malformed multipart request.'));
    }
    let found: { data: Buffer; name?: string; fields: Record<string, string> } | undefined;
    let failed: KefuError | undefined;
    const fields: Record<string, string> = {};
    bb.on('field', (k, v) => { fields[k] = v; });
    bb.on('file', (_field, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => { failed = new KefuError('payload_too_large', `Images are limited to ${limit} bytes.`); });
      stream.on('end', () => {
        if (!failed) found = { data: Buffer.concat(chunks), name: info.filename?.slice(0, 200), fields };
      });
    });
    bb.on('error', () => reject(new KefuError('bad_request', 'Malformed multipart request.')));
    bb.on('close', () => {
      if (failed) return reject(failed);
      if (!found || found.data.length === 0) return reject(new KefuError('validation_failed', 'No file in the upload.'));
      resolve(found);
    });
    ctx.req.pipe(bb);
  });
}
