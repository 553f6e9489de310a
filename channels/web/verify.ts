import type { VisitorTokens } from '../../core/auth/visitor-token.js';
import { KefuError } from '../../core/errors.js';

/**
 * Who is calling: the visitor named by a signed visitor token in `Authorization: Bearer …`
 * (HMAC-checked in constant time by VisitorTokens). Imports nothing of the adapter.
 */
export function visitorFromAuthorization(tokens: VisitorTokens, auth: string | undefined): string {
  const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
  if (!token) throw new KefuError('unauthorized', 'Send the visitor token as "Authorization: Bearer …".');
  const id = tokens.verify(token);
  if (!id) throw new KefuError('invalid_token');
  return id;
}
