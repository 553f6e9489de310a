/**
 * Recognizes the voice recordings clients upload by their first bytes, not by the name or the
 * declared type (both are the sender's word). The formats are what phones record: mp3 and AAC
 * (WeChat's RecorderManager and the WechatSI plugin), m4a, wav, and WeChat's own SILK.
 */
export function sniffAudio(b: Buffer): string | undefined {
  if (b.length < 4) return undefined;
  if (b.toString('latin1', 0, 3) === 'ID3') return 'audio/mpeg';
  if (b.length >= 12 && b.toString('latin1', 4, 8) === 'ftyp') return 'audio/mp4';
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WAVE') return 'audio/wav';
  if (b.toString('latin1', 0, 9) === '#!SILK_V3' || b.toString('latin1', 1, 10) === '#!SILK_V3') return 'audio/silk';
  if (b[0] === 0xff) {
    // Both start with an 11/12-bit sync word; ADTS (AAC) has layer bits 00, which MPEG audio reserves.
    if ((b[1] & 0xf6) === 0xf0) return 'audio/aac';
    if ((b[1] & 0xe0) === 0xe0 && (b[1] & 0x06) !== 0) return 'audio/mpeg';
  }
  return undefined;
}

/** The file extension kept with a stored recording (its name on download). */
export const AUDIO_EXTENSIONS: Record<string, string> = {
  'audio/mpeg': 'mp3', 'audio/mp4': 'm4a', 'audio/wav': 'wav', 'audio/silk': 'silk', 'audio/aac': 'aac',
};
