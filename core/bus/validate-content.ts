import { KefuError } from '../errors.js';
import type { Content } from '../model/message.js';

const MAX_ATTACHMENTS = 10;

/** Structural checks on content from any source; throws validation_failed with the field. */
export function validateContent(content: Content, maxTextChars: number): void {
  if (!content || typeof content !== 'object') throw new KefuError('validation_failed', 'content is required');
  switch (content.kind) {
    case 'text':
      if (typeof content.text !== 'string' || content.text.trim() === '') throw new KefuError('validation_failed', 'text must be a non-empty string');
      if (content.text.length > maxTextChars) throw new KefuError('payload_too_large', `text is longer than ${maxTextChars} characters`);
      return;
    case 'media':
      if (!Array.isArray(content.attachments) || content.attachments.length === 0 || content.attachments.length > MAX_ATTACHMENTS) {
        throw new KefuError('validation_failed', `attachments must hold 1 to ${MAX_ATTACHMENTS} items`);
      }
      if (content.caption !== undefined && (typeof content.caption !== 'string' || content.caption.length > maxTextChars)) {
        throw new KefuError('validation_failed', 'caption must be a string within the text limit');
      }
      return;
    case 'event':
      return;
    default:
      throw new KefuError('validation_failed', 'content.kind must be text, media or event');
  }
}
