/** The three kinds of request the intake files. */
export const REQUEST_KINDS = ['access_with_code', 'access_without_code', 'withdrawal'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

/** Who files a request: a physician for themself, a manager for a professional of their team, a supervisor for a withdrawal. */
export const REQUESTER_ROLES = ['physician', 'manager', 'supervisor'] as const;
export type RequesterRole = (typeof REQUESTER_ROLES)[number];

/** The roles that may file an access request (the triage card's choices). */
export const ACCESS_ROLES = ['physician', 'manager'] as const;
export type AccessRole = (typeof ACCESS_ROLES)[number];

/** Access kinds only (the withdrawal has its own form). */
export type AccessKind = Exclude<RequestKind, 'withdrawal'>;

/** A request's lifecycle status (see docs/domain.md, « Request lifecycle »). */
export const REQUEST_STATUSES = ['submitted', 'in_progress', 'code_sent', 'completed', 'rejected', 'cancelled', 'expired'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** The form fields of each request kind, in display order. */
export const KIND_FIELDS = {
  access_with_code: ['lastName', 'firstName', 'ramqUserCode', 'practiceLocation', 'email'],
  access_without_code: ['lastName', 'firstName', 'employeeNumber', 'jobTitle', 'practiceLocation', 'email'],
  withdrawal: ['lastName', 'firstName', 'employeeNumber', 'jobTitle', 'email'],
} as const satisfies Record<RequestKind, readonly string[]>;

/** Every field id a request form may carry (the toggle included). */
export type IntakeField =
  | (typeof KIND_FIELDS)[RequestKind][number]
  | 'supervisorAuthorized';

/** The fields a given kind and role must supply: the kind's fields, plus the supervisor's authorization for a manager's access request. */
export function fieldsFor(kind: RequestKind, role: RequesterRole): IntakeField[] {
  const fields: IntakeField[] = [...KIND_FIELDS[kind]];
  if (kind !== 'withdrawal' && role === 'manager') fields.push('supervisorAuthorized');
  return fields;
}

/** Whether a value is one of the request kinds. */
export function isRequestKind(value: unknown): value is RequestKind {
  return typeof value === 'string' && (REQUEST_KINDS as readonly string[]).includes(value);
}

/** Whether a value is one of the requester roles. */
export function isRequesterRole(value: unknown): value is RequesterRole {
  return typeof value === 'string' && (REQUESTER_ROLES as readonly string[]).includes(value);
}
