import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from 'koa';
import { KefuError } from '../errors.js';
import { randomToken } from '../model/ids.js';
import type { Attachment } from '../model/message.js';
import type { Store } from '../store/store.js';
import { imageInfo, sniffImage } from './image-info.js';
import { readMultipart } from './multipart.js';

const FILE_TYPES: Record<string, string> = {
  pdf: 'application/pdf', txt: 'text/plain', csv: 'text/csv', json: 'application/json', zip: 'application/zip',
  doc: 'application/msword', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', mp3: 'audio/mpeg', mp4: 'video/mp4',
};

/**
 * Uploads and serving of media. Ids are 192-bit random capabilities: a URL is only known to
 * the participants of the conversation it was sent in.
 */
export class MediaService {
  constructor(private store: Store, private dir: string, readonly maxBytes: () => number, private maxPixels: () => number = () => 50_000_000) {}

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
    if (declared > limit + 256 * 1024) throw new KefuError('payload_too_large', `Images are limited to ${limit} bytes.`);
    const { file, fields } = await readMultipart(ctx.req, { fileBytes: limit, fieldBytes: 16 * 1024, fields: 10 });
    if (!file || file.data.length === 0) throw new KefuError('validation_failed', 'No file in the upload.');
    if (!sniffImage(file.data)) throw new KefuError('invalid_image');
    return { attachment: await this.storeBuffer(file.data, file.name, owner), fields };
  }

  /**
   * Stores bytes as media. Images are recognized by content; anything else is kept as a file
   * (served as a download, never rendered inline) with a type from its name's extension.
   */
  async storeBuffer(data: Buffer, name: string | undefined, owner: string): Promise<Attachment> {
    if (data.length > this.maxBytes()) throw new KefuError('payload_too_large', `Files are limited to ${this.maxBytes()} bytes.`);
    const image = sniffImage(data) ? this.checkedImage(data) : undefined;
    const mime = image?.mime ?? FILE_TYPES[(name ?? '').toLowerCase().split('.').pop() ?? ''] ?? 'application/octet-stream';
    const id = randomToken(24);
    const tmp = join(this.dir, `${id}.part`);
    await writeFile(tmp, data);
    await rename(tmp, join(this.dir, id));
    await this.store.putMedia({ id, mime, size: data.length, name, owner, createdAt: new Date(), width: image?.width, height: image?.height });
    return { kind: image ? 'image' : 'file', mediaId: id, mime, size: data.length, name, ...(image ? { width: image.width, height: image.height } : {}) };
  }

  /** An image's type and size from its header, refused when unreadable or over `max_image_pixels`. */
  private checkedImage(data: Buffer) {
    const info = imageInfo(data);
    if (!info) throw new KefuError('invalid_image', 'The image header is damaged or unreadable.');
    const max = this.maxPixels();
    if (info.width * info.height > max) {
      throw new KefuError('image_too_large', `The image is ${info.width}×${info.height} pixels; at most ${max} pixels are accepted.`);
    }
    return info;
  }

  /** Checks that attachments a client names exist (clients may only reference stored media). */
  async resolveAttachments(items: unknown): Promise<Attachment[]> {
    if (!Array.isArray(items) || items.length === 0 || items.length > 10) throw new KefuError('validation_failed', 'attachments must hold 1 to 10 items');
    const out: Attachment[] = [];
    for (const it of items) {
      const id = (it as { mediaId?: unknown })?.mediaId;
      const rec = typeof id === 'string' ? await this.store.getMedia(id) : undefined;
      if (!rec) throw new KefuError('validation_failed', 'attachments[].mediaId does not name an uploaded file');
      out.push({ kind: rec.mime.startsWith('image/') ? 'image' : 'file', mediaId: rec.id, mime: rec.mime, size: rec.size, name: rec.name,
        ...(rec.width ? { width: rec.width, height: rec.height } : {}) });
    }
    return out;
  }

  /** A stored file's bytes and type, for a channel that uploads it to its vendor; undefined when unknown. */
  async read(id: string): Promise<{ data: Buffer; mime: string; name?: string } | undefined> {
    const rec = /^[A-Za-z0-9_-]{32}$/.test(id) ? await this.store.getMedia(id) : undefined;
    return rec ? { data: await readFile(join(this.dir, rec.id)), mime: rec.mime, name: rec.name } : undefined;
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
