import { PUPPET_PACKAGE, type WechatyConfig } from './types.js';

/**
 * Wechaty has no webhook and no signature: messages arrive on the puppet's own connection, whose
 * trust is the puppet service token (or the scanned login). What kefu checks at its edge is what
 * it loads and with which credentials, before anything is imported. Imports nothing of the
 * adapter.
 */

/** Puppets that talk to a hosted service and refuse to start without its token. */
const NEEDS_TOKEN = new Set(['wechaty-puppet-service']);

/** Why this config cannot start a puppet, or undefined when it can. Never echoes the token. */
export function puppetProblem(c: Pick<WechatyConfig, 'puppet' | 'token' | 'puppet_options'>, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!PUPPET_PACKAGE.test(c.puppet)) return `puppet "${c.puppet.slice(0, 80)}" is not a wechaty-puppet-… package name`;
  const token = c.token ?? (typeof c.puppet_options.token === 'string' ? c.puppet_options.token : undefined) ?? env.WECHATY_PUPPET_SERVICE_TOKEN;
  if (NEEDS_TOKEN.has(c.puppet) && !token) return `${c.puppet} needs a token: set [channels.wechaty] token (or KEFU_CHANNELS__WECHATY__TOKEN)`;
  // A token is a single printable word: anything else is a paste accident that would only fail later, less clearly.
  if (token !== undefined && !/^[\x21-\x7e]{8,200}$/.test(token)) return 'the puppet token must be 8 to 200 printable characters without spaces';
  return undefined;
}
