/** Every route a free-text message can map to (see shared/docs/domain.md, "Routes"). */
export const ROUTE_IDS = [
  'access.request',
  'access.withdraw',
  'request.status',
  'support.registration',
  'support.ramq_technical',
  'info.hours',
  'info.credentials_email',
  'info.password_rules',
  'info.b2b_forms',
  'info.rvsq',
  'agent',
  'help',
  'unknown',
] as const;

/** One of the 13 support-routing route ids. */
export type RouteId = (typeof ROUTE_IDS)[number];

/** Routes the bot answers with facts from domain/knowledge.ts (no dialog to start). */
export const INFO_ROUTES = [
  'support.registration',
  'support.ramq_technical',
  'info.hours',
  'info.credentials_email',
  'info.password_rules',
  'info.b2b_forms',
  'info.rvsq',
] as const satisfies readonly RouteId[];

/** A route answered by a knowledge card. */
export type InfoRouteId = (typeof INFO_ROUTES)[number];

/** Tells whether a string is one of the 13 route ids. */
export function isRouteId(value: string): value is RouteId {
  return (ROUTE_IDS as readonly string[]).includes(value);
}
