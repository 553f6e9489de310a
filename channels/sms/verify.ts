import type { TwilioForm } from './types.js';

type Twilio = typeof import('twilio');

/**
 * Twilio's `X-Twilio-Signature` over the URL it called and the form fields, checked with
 * twilio's own validateRequest (which also tries the URL with and without the port). `url` is
 * the public URL as configured + path + query string: what Twilio signed, even behind a proxy
 * (Rocket.Chat #33318 rebuilt it from its site URL and lost the query). The SDK is loaded here
 * at first use, so a disabled channel never loads it. Imports nothing of the adapter.
 */
export async function verifyTwilio(authToken: string, signature: string | undefined, url: string, params: TwilioForm,
  signatureSettings?: string): Promise<boolean> {
  if (!signature || !authToken) return false;
  const { default: twilio } = (await import('twilio')) as unknown as { default: Twilio };
  // Twilio names the algorithm (HMAC_SHA256 for SharedKey webhooks); absent means HMAC-SHA1.
  // Both are keyed with the secret, so a forged header cannot help an attacker.
  const algorithm = twilio.getSignatureAlgorithm(signatureSettings);
  if (algorithm !== 'HMAC_SHA1' && algorithm !== 'HMAC_SHA256') return false;
  return twilio.validateRequest(authToken, signature, url, params, algorithm);
}
