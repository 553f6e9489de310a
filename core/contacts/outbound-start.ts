import type { ConversationBus } from '../bus/conversation-bus.js';
import { KefuError } from '../errors.js';
import type { Conversation, Message, Participant } from '../model/message.js';
import type { ContactService } from './contact-service.js';

/** The channel side (channels/registry.ts), kept as two functions so core does not import the registry. */
export interface Starters {
  /** Running channels that can write first, with the identity kinds (`email`, `phone`) each writes to. */
  list(): { channel: string; kinds: readonly string[] }[];
  target(channel: string, t: { kind: string; value: string; name?: string; subject?: string; key: string }):
    Promise<{ ref: Conversation['ref']; externalId: string; meta?: Record<string, string> }>;
}

export interface StartDeps {
  contacts: ContactService;
  bus: ConversationBus;
  starters: Starters;
  /** The assigner's claim: capacity counts as for a conversation taken from the queue. */
  claim(conv: Conversation, agentId: string): Promise<void>;
  /** Checked first, so an agent at capacity does not leave an empty conversation behind (claim still decides). */
  hasRoom?(agentId: string): boolean;
}

export interface StartRequest {
  contactId: string;
  /** One of the contact's identity keys: `email:li@example.com`, `phone:+8613800138000`. */
  identity: string;
  /** Which channel; absent: the first running one that writes to this kind of identity. */
  channel?: string;
  text: string;
  subject?: string;
  /** The client's id of the first message: a retried start returns what the first one made. */
  clientId: string;
  agent: Participant;
}

/**
 * An agent writes to a contact on a channel they have no conversation on yet (the side panel's
 * "Write by e-mail / SMS"): the identity must be the contact's, the channel must be running and
 * able to write first. The new conversation's address joins the contact before the conversation
 * exists, the conversation is assigned to the agent (through the assigner, so capacity holds),
 * and the first message is an ordinary send: stored and put in the durable outbox in one commit.
 */
export async function startConversation(d: StartDeps, r: StartRequest): Promise<{ conversation: Conversation; message: Message; created: boolean }> {
  const view = await d.contacts.view(r.contactId);
  const identity = view.identities.find((i) => i.key === r.identity);
  if (!identity) throw new KefuError('identity_not_of_contact', `${r.identity} is not an identity of this contact.`);
  const colon = r.identity.indexOf(':');
  const kind = r.identity.slice(0, colon);
  const value = r.identity.slice(colon + 1);
  const channel = r.channel ?? d.starters.list().find((s) => s.kinds.includes(kind))?.channel;
  if (!channel) throw new KefuError('channel_cannot_start', `No running channel can start a conversation with a ${kind} identity.`);
  const key = `${view.contact.id}:${r.clientId}`;
  const target = await d.starters.target(channel, { kind, value, name: view.contact.name, subject: r.subject, key });
  // A retry of a start that already made its conversation is let through: it is counted already.
  if (d.hasRoom && !d.hasRoom(r.agent.id) && !(await d.bus.store.findConversationByRef(target.ref))) throw new KefuError('agent_at_capacity');
  const address = `${target.ref.channel}:${target.externalId}`;
  // An e-mail address is never a verified address (kefu cannot know who reads it); a number is as verified as the identity was.
  await d.contacts.claimAddress(view.contact.id, address, identity.verified && target.ref.channel !== 'email', r.agent, r.identity);
  const { conversation, created } = await d.bus.openConversation({ ref: target.ref, customer: { externalId: target.externalId, name: view.contact.name },
    meta: { ...target.meta, started: key } });
  if (!created) {
    const sent = await d.bus.store.findMessageBySource(conversation.id, r.clientId);
    if (sent) return { conversation, message: sent, created: false };
    // Ours from an attempt that stopped halfway (e.g. the agent was at capacity): carry on. Anyone else's: reply there.
    if (conversation.meta?.started !== key) {
      throw new KefuError('conversation_exists', 'The contact already has a conversation there: reply in it.', { conversationId: conversation.id });
    }
  }
  if (conversation.status !== 'assigned' || conversation.assigneeId !== r.agent.id) await d.claim(conversation, r.agent.id);
  const res = await d.bus.send({ conversationId: conversation.id, clientId: r.clientId, from: r.agent, content: { kind: 'text', text: r.text } });
  return { conversation: (await d.bus.store.getConversation(conversation.id)) ?? conversation, message: res.message, created: res.status === 'accepted' };
}
