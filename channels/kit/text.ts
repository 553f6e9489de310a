/**
 * A customer's text within kefu's limit: cut, and saying so, rather than refused. A vendor that
 * is refused retries (Feishu for hours, DingTalk every minute, WeChat three times) and the text is
 * never stored; the web widget and the API can tell their sender instead, so they do not use this.
 */
export function withinLimit(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = `\n[… cut: the customer's message had ${text.length} characters]`;
  if (note.length >= max) return text.slice(0, max);
  let kept = text.slice(0, max - note.length);
  if (/[\uD800-\uDBFF]$/.test(kept)) kept = kept.slice(0, -1); // not half a character
  return kept + note;
}
