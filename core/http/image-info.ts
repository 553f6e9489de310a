/**
 * What an uploaded image is, from its bytes alone: the type by magic number (a client's
 * Content-Type is not trusted) and the pixel size from the header. The size is checked before
 * any browser decodes the file: a 97 kB PNG can claim 10000×10000 pixels (400 MB decoded).
 */
export interface ImageInfo { mime: string; width: number; height: number }

export function sniffImage(b: Buffer): string | undefined {
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a) return 'image/png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 6 && b.toString('latin1', 0, 4) === 'GIF8') return 'image/gif';
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

/** Type and pixel size, or undefined when the bytes are no image or its header is unreadable. */
export function imageInfo(b: Buffer): ImageInfo | undefined {
  const mime = sniffImage(b);
  const size = mime === 'image/png' ? png(b) : mime === 'image/gif' ? gif(b) : mime === 'image/jpeg' ? jpeg(b) : mime === 'image/webp' ? webp(b) : undefined;
  if (!mime || !size || size.width < 1 || size.height < 1) return undefined;
  return { mime, ...size };
}

type Size = { width: number; height: number } | undefined;

function png(b: Buffer): Size {
  // The first chunk must be IHDR: width and height are its first two fields.
  if (b.length < 24 || b.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

function gif(b: Buffer): Size {
  return b.length >= 10 ? { width: b.readUInt16LE(6), height: b.readUInt16LE(8) } : undefined;
}

function jpeg(b: Buffer): Size {
  // Walk the marker segments to the first start-of-frame (SOF0–SOF15 but DHT C4, JPG C8, DAC CC).
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1];
    if (marker === 0xff) { i++; continue; } // fill byte
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; } // no length
    const len = b.readUInt16BE(i + 2);
    if (len < 2) return undefined;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    }
    if (marker === 0xda || marker === 0xd9) return undefined; // scan data before any frame header
    i += 2 + len;
  }
  return undefined;
}

function webp(b: Buffer): Size {
  if (b.length < 30) return undefined;
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8X') return { width: 1 + b.readUIntLE(24, 3), height: 1 + b.readUIntLE(27, 3) };
  if (chunk === 'VP8 ') return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  if (chunk === 'VP8L' && b[20] === 0x2f) {
    const bits = b.readUInt32LE(21);
    return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff) };
  }
  return undefined;
}
