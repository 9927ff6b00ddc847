import type { TurnContext } from 'botbuilder';
import type { Lang, Translate } from '../domain/i18n';

/** The per-turn view every dialog uses: the user's language and its translation function. */
export interface TurnScope {
  lang: Lang;
  t: Translate;
}

const SCOPE_KEY = Symbol('turnScope');

/** Stores the turn's language scope (set once by the activity handler). */
export function setTurnScope(context: TurnContext, scope: TurnScope): void {
  context.turnState.set(SCOPE_KEY, scope);
}

/** Reads the turn's language scope. */
export function turnScope(context: TurnContext): TurnScope {
  const scope = context.turnState.get(SCOPE_KEY) as TurnScope | undefined;
  if (!scope) throw new Error('turn scope not set');
  return scope;
}
