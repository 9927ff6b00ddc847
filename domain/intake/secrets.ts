/**
 * Spotting a password or a RAMQ secret code pasted into the chat, so the bot can warn the user and keep
 * it out of logs and hand-offs. Heuristic by nature: tuned to never flag ordinary sentences, emails,
 * employee numbers, references or phone numbers.
 */

/** A standalone token shaped like a generated secret code (`ihv2T7sD`): 6–16 characters, lower case, upper case and a digit. */
const SECRET_TOKEN = /^[A-Za-z0-9!#$%&*+=?^_~]{6,16}$/;

/** « mot de passe », « code secret », « password »… followed by at most three words, then « est », « is », « : » or « = », then the value. */
const DISCLOSURE =
  /(?<![\p{L}\p{N}])(?:mots?\s+de\s+passe|mdp|password|passwd|pwd|passcode|codes?\s+secrets?|secret\s+codes?)(?:\s+[^\s:=]+){0,3}?(?:\s*[:=]\s*|\s+(?:est|is|was|c['’]est|serait|sera)\s+)(?:[«"“‘']\s*)?(\S+)/giu;

/** Words that commonly follow « mon mot de passe est … » without being one (compared lower case, without accents). */
const STATUS_WORDS = new Set([
  'expire', 'bloque', 'barre', 'verrouille', 'invalide', 'incorrect', 'incorrecte', 'errone', 'oublie', 'perdu', 'valide',
  'requis', 'temporaire', 'change', 'modifie', 'refuse', 'mauvais', 'bon', 'correct', 'correcte', 'introuvable',
  'expired', 'locked', 'blocked', 'wrong', 'invalid', 'forgotten', 'lost', 'required', 'temporary', 'changed', 'reset',
  'refused', 'rejected', 'correct', 'valid', 'missing', 'unknown', 'inconnu',
]);

const EDGE_PUNCTUATION = /^[«»"“”‘’'‹›(\[{<]+|[«»"“”‘’'‹›)\]}>.,;:!?]+$/gu;

function stripEdges(token: string): string {
  return token.replace(EDGE_PUNCTUATION, '');
}

function isAddressOrLink(token: string): boolean {
  return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(token) || token.includes('://') || /^www\./i.test(token);
}

function unaccentedLower(word: string): string {
  return word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** Whether a standalone token looks like a generated secret (mixed case and digits, no address). */
function isSecretToken(raw: string): boolean {
  const token = stripEdges(raw);
  return SECRET_TOKEN.test(token) && /[a-z]/.test(token) && /[A-Z]/.test(token) && /\d/.test(token);
}

/** Whether the word given after « mon mot de passe est » is plausibly the password rather than a description of it. */
function isDisclosedValue(raw: string): boolean {
  const token = stripEdges(raw);
  if (token.length < 4 || token.length > 64 || isAddressOrLink(token)) return false;
  if (STATUS_WORDS.has(unaccentedLower(token))) return false;
  const hasDigit = /\p{N}/u.test(token);
  const hasSymbol = /[^\p{L}\p{M}\p{N}'’-]/u.test(token);
  const upperAfterFirst = /\p{Lu}/u.test(token.slice(1));
  return hasDigit || hasSymbol || upperAfterFirst;
}

/**
 * True when a message looks like it shares a password or a RAMQ secret code: a token shaped like
 * `ihv2T7sD`, or a phrase such as « mon mot de passe est … », « code secret : … », « my password is … ».
 */
export function looksLikeSecret(text: string): boolean {
  if (!text) return false;
  for (const match of text.matchAll(DISCLOSURE)) {
    if (isDisclosedValue(match[1])) return true;
  }
  return text.split(/\s+/).some((token) => !isAddressOrLink(token) && isSecretToken(token));
}
