import type { Activity } from 'botbuilder';

/** What the user did in a turn, independent of how the channel carried it. */
export type TurnInput =
  | { kind: 'text'; text: string }
  | { kind: 'action'; verb: string; data: Record<string, unknown>; viaInvoke: boolean }
  | { kind: 'none' };

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * Reads a message or an Adaptive Card action from an activity.
 * @remarks Accepts `Action.Submit` (message with `value`) and `Action.Execute` (invoke `adaptiveCard/action`);
 * both must carry a string `verb`.
 */
export function readTurnInput(activity: Partial<Activity>): TurnInput {
  if (activity.type === 'invoke' && activity.name === 'adaptiveCard/action') {
    const action = asRecord(asRecord(activity.value)?.action);
    const data = asRecord(action?.data) ?? {};
    const verb = typeof action?.verb === 'string' ? action.verb : typeof data.verb === 'string' ? data.verb : undefined;
    return verb ? { kind: 'action', verb, data: { ...data, verb }, viaInvoke: true } : { kind: 'none' };
  }
  if (activity.type === 'message') {
    const value = asRecord(activity.value);
    if (value && typeof value.verb === 'string') return { kind: 'action', verb: value.verb, data: value, viaInvoke: false };
    const text = typeof activity.text === 'string' ? activity.text.trim() : '';
    return text ? { kind: 'text', text } : { kind: 'none' };
  }
  return { kind: 'none' };
}
