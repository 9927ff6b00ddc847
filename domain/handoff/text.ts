/**
 * Text rules of the agents' relay: what shows on the agents' card, how agents are named to users, and the
 * words that end a handoff. Plain functions, no framework.
 */

const EMAIL = /[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}.-]+\.\p{L}{2,}/gu;
/** Any run of 3+ characters with a digit in it (codes, employee numbers, phone numbers, RAMQ user codes). */
const NUMBERISH = /(?<![\p{L}\p{N}])(?=[\p{L}\p{N}._-]*\d)[\p{L}\p{N}][\p{L}\p{N}._-]{2,}(?![\p{L}\p{N}])/gu;
/** Phone numbers written with spaces or dashes (`418 821-1743`). */
const PHONE = /(?<!\d)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\d)/g;

/** Longest preview line on the agents' card. */
export const PREVIEW_MAX_LENGTH = 280;

/**
 * What the agents' card shows of a user's message: emails, codes and numbers masked, one line, shortened.
 * @remarks The card is a summary in a shared channel; the full text is in the thread once an agent takes the conversation.
 */
export function previewText(text: string): string {
  const masked = text
    .replace(EMAIL, '[…@…]')
    .replace(PHONE, '[###]')
    .replace(NUMBERISH, '[###]')
    .replace(/\s+/g, ' ')
    .trim();
  return masked.length > PREVIEW_MAX_LENGTH ? `${masked.slice(0, PREVIEW_MAX_LENGTH - 1)}…` : masked;
}

/**
 * The first name of a Teams display name: « Marie Tremblay » → « Marie », « Tremblay, Marie » → « Marie ».
 * @returns undefined when there is nothing usable.
 */
export function firstNameOf(displayName: string | null | undefined): string | undefined {
  const name = (displayName ?? '').replace(/\([^)]*\)/g, ' ').trim();
  if (!name) return undefined;
  const given = name.includes(',') ? name.slice(name.indexOf(',') + 1).trim() : name;
  const first = given.split(/\s+/)[0];
  return first || undefined;
}

function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s'/-]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Whole messages by which a user leaves the queue or ends the chat with the agent. */
const USER_LEAVE = new Set([
  'annuler', 'annule', 'terminer', 'termine', 'fin', 'quitter', 'arreter', 'stop', 'cancel', 'end', 'quit', 'exit',
  'terminer la conversation', 'fin de la conversation', 'quitter la file', 'annuler la demande', 'end chat', 'end the chat',
  'end conversation', 'leave the queue', 'leave queue',
]);

/** True when the whole message asks to leave the queue or end the chat (« annuler », « terminer »…). */
export function isUserLeaveCommand(text: string): boolean {
  return USER_LEAVE.has(fold(text));
}

/** True when an agent's message in the thread hands the conversation back to the bot (« /fin », « /end »). */
export function isAgentEndCommand(text: string): boolean {
  return /^\/(fin|end|terminer)$/i.test(text.trim());
}

/** Removes Teams' `<at>…</at>` mention tags (keeping the mentioned name) and collapses blanks. */
export function plainMentions(text: string): string {
  return text.replace(/<at[^>]*>(.*?)<\/at>/gi, '$1').replace(/[ \t]+/g, ' ').trim();
}
