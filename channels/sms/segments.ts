/**
 * How many SMS segments a text costs, as the agent types (the workspace shows it; the UI part
 * is not wired yet). GSM-7 texts fit 160 characters in one segment and 153 per segment once
 * split (the rest is the concatenation header); anything outside GSM-7 makes the whole text
 * UCS-2: 70 UTF-16 units, 67 when split. Characters of GSM-7's extension table (€, [, ] …)
 * take two septets, and neither an escape pair nor a surrogate pair is split across segments,
 * which is how handsets and Twilio count.
 */
const GSM_BASIC = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '\f^{}\\[~]|€';
const basic = new Set(GSM_BASIC);
const extended = new Set(GSM_EXTENDED);

export interface Segments {
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) the text takes. */
  units: number;
  /** Units left in the last segment before another one starts. */
  remaining: number;
}

export function segmentsOf(text: string): Segments {
  const chars = [...text]; // code points: a surrogate pair stays together
  const gsm = chars.every((c) => basic.has(c) || extended.has(c));
  const sizes = chars.map((c) => (gsm ? (extended.has(c) ? 2 : 1) : c.length));
  const units = sizes.reduce((a, b) => a + b, 0);
  const single = gsm ? 160 : 70;
  const multi = gsm ? 153 : 67;
  if (units <= single) return { encoding: gsm ? 'GSM-7' : 'UCS-2', segments: units === 0 ? 0 : 1, units, remaining: single - units };
  let segments = 1;
  let used = 0;
  for (const size of sizes) {
    if (used + size > multi) { segments++; used = 0; }
    used += size;
  }
  return { encoding: gsm ? 'GSM-7' : 'UCS-2', segments, units, remaining: multi - used };
}
