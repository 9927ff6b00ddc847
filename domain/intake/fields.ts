import { z } from 'zod';
import isEmail from 'validator/lib/isEmail';
import { DEFAULT_SHARED_MAILBOX_LOCAL_PARTS } from './sharedMailboxes';
import type { Translate } from '../i18n';
import { fieldsFor, type AccessKind, type AccessRole, type IntakeField, type RequestKind, type RequesterRole } from './kinds';

/** Every reason a field can be refused; each one is a key of locales/<lang>/validation.json. */
export const VALIDATION_CODES = [
  'required',
  'invalidType',
  'choiceRequired',
  'nameDigits',
  'nameChars',
  'nameTooLong',
  'practiceLocationTooShort',
  'practiceLocationTooLong',
  'emailInvalid',
  'emailSharedMailbox',
  'emailSameAsRequester',
  'ramqUserCodeInvalid',
  'employeeNumberInvalid',
  'employeeNumberNoDigit',
  'jobTitleTooShort',
  'jobTitleTooLong',
  'supervisorAuthorizationRequired',
] as const;
export type ValidationCode = (typeof VALIDATION_CODES)[number];

/** Field id → the reason it was refused. */
export type FieldErrors = Partial<Record<string, ValidationCode>>;

/** The raw values as the user typed them, always strings, so a form can be shown again filled in. */
export type RawValues = Record<string, string>;

/** What the caller knows that the card does not: the requester's own email and the configured shared-mailbox list. */
export interface IntakeContext {
  /** The requester's own email (a manager's); the professional's email must differ from it. */
  requesterEmail?: string;
  /** Local parts that mark a shared mailbox; defaults to the configuration's list. */
  sharedMailboxLocalParts?: readonly string[];
}

/** Normalized values of a valid access request. */
export interface IntakeValues {
  lastName: string;
  firstName: string;
  practiceLocation: string;
  email: string;
  ramqUserCode?: string;
  employeeNumber?: string;
  jobTitle?: string;
  /** Present (and true) on a manager's request: the immediate supervisor authorized it. */
  supervisorAuthorized?: true;
}

/** Normalized values of a valid withdrawal request. */
export interface WithdrawalValues {
  lastName: string;
  firstName: string;
  employeeNumber: string;
  jobTitle: string;
  email: string;
}

/** The outcome of a validation: normalized values, or every raw value plus the reason for each refused field. */
export type ValidationResult<V> = { ok: true; values: V } | { ok: false; values: RawValues; errors: FieldErrors };

/** Normalized answers of the triage card. */
export interface TriageValues {
  requesterRole: AccessRole;
  hasRamqCode: 'yes' | 'no';
  kind: AccessKind;
}

/** Longest raw value echoed back into a form (inputs are capped far below; this only guards against crafted payloads). */
export const MAX_ECHO_LENGTH = 1000;

/** Length limits, shared with the cards' `maxLength`. */
export const LIMITS = {
  name: { min: 1, max: 100 },
  practiceLocation: { min: 2, max: 200 },
  email: { max: 254 },
  ramqUserCode: { max: 254 },
  employeeNumber: { min: 3, max: 12 },
  jobTitle: { min: 2, max: 100 },
} as const;

const NAME_PATTERN = /^\p{L}(?:[\p{L}\p{M}' ’-]*[\p{L}\p{M}])?$/u;
const PLAIN_RAMQ_CODE = /^[A-Za-z0-9]{4,20}$/;
const EMPLOYEE_NUMBER = /^[A-Za-z0-9]{3,12}$/;
const EMAIL_OPTIONS = { allow_display_name: false, require_tld: true, allow_ip_domain: false } as const;

/** Unicode NFC, control characters dropped, runs of white space collapsed to one space, trimmed. */
export function normalizeText(value: string): string {
  return value
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Whether a string is a syntactically valid email (checked by `validator`). */
export function isValidEmail(value: string): boolean {
  return isEmail(value, EMAIL_OPTIONS);
}

function canonicalLocalPart(local: string): string {
  return local
    .split('+')[0]
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[._-]/g, '')
    .replace(/\d+$/, '');
}

/**
 * Whether an email designates a shared mailbox: its local part is on the list.
 * @remarks Compared without a `+tag`, accents, dots, hyphens, underscores or trailing digits, so
 * `Info2@…`, `no.reply@…`, `secrétariat+dma@…` all match; `marie.info@…` does not.
 */
export function isSharedMailbox(email: string, localParts: readonly string[] = DEFAULT_SHARED_MAILBOX_LOCAL_PARTS): boolean {
  const at = email.lastIndexOf('@');
  if (at <= 0) return false;
  return canonicalLocalParts(localParts).has(canonicalLocalPart(email.slice(0, at)));
}

/** The canonical forms of a list of local parts, computed once per list (the list is canonicalized on every check otherwise). */
const canonicalLists = new WeakMap<readonly string[], ReadonlySet<string>>();

function canonicalLocalParts(localParts: readonly string[]): ReadonlySet<string> {
  let set = canonicalLists.get(localParts);
  if (!set) {
    set = new Set(localParts.map(canonicalLocalPart));
    // A frozen list cannot change behind the cache; any other list is canonicalized on each call, as before.
    if (Object.isFrozen(localParts)) canonicalLists.set(localParts, set);
  }
  return set;
}

const text = (missing: ValidationCode = 'required') =>
  z.string({ error: (issue) => (issue.input === undefined || issue.input === null ? missing : 'invalidType') });

const nameSchema = () =>
  text()
    .overwrite(normalizeText)
    .min(LIMITS.name.min, 'required')
    .max(LIMITS.name.max, 'nameTooLong')
    .refine((v) => !/\p{Nd}/u.test(v), 'nameDigits')
    .regex(NAME_PATTERN, 'nameChars');

const practiceLocationSchema = () =>
  text()
    .overwrite(normalizeText)
    .min(1, 'required')
    .min(LIMITS.practiceLocation.min, 'practiceLocationTooShort')
    .max(LIMITS.practiceLocation.max, 'practiceLocationTooLong');

/** Syntax only; the rules that depend on who asks and on the configuration are {@link emailContextError}. */
const emailSchema = () =>
  text()
    .overwrite(normalizeEmail)
    .min(1, 'required')
    .refine(isValidEmail, 'emailInvalid');

function normalizeEmail(value: string): string {
  return normalizeText(value).toLowerCase();
}

/**
 * The email rules that depend on the context: not a shared mailbox (configured list), and for a manager's request
 * not the manager's own address. Checked after the schema, on the normalized address.
 */
function emailContextError(email: string, ctx: IntakeContext, mustDifferFromRequester: boolean): ValidationCode | undefined {
  if (isSharedMailbox(email, ctx.sharedMailboxLocalParts ?? DEFAULT_SHARED_MAILBOX_LOCAL_PARTS)) return 'emailSharedMailbox';
  const ownEmail = ctx.requesterEmail?.trim().toLowerCase();
  if (mustDifferFromRequester && ownEmail && email === ownEmail) return 'emailSameAsRequester';
  return undefined;
}

const ramqUserCodeSchema = () =>
  text()
    .overwrite(normalizeText)
    .min(1, 'required')
    .refine((v) => PLAIN_RAMQ_CODE.test(v) || isValidEmail(v), 'ramqUserCodeInvalid')
    .transform((v) => (v.includes('@') ? v.toLowerCase() : v));

const employeeNumberSchema = () =>
  text()
    .overwrite(normalizeText)
    .min(1, 'required')
    .regex(EMPLOYEE_NUMBER, 'employeeNumberInvalid')
    .regex(/\d/, 'employeeNumberNoDigit');

const jobTitleSchema = () =>
  text()
    .overwrite(normalizeText)
    .min(1, 'required')
    .min(LIMITS.jobTitle.min, 'jobTitleTooShort')
    .max(LIMITS.jobTitle.max, 'jobTitleTooLong');

const supervisorAuthorizedSchema = () =>
  text('supervisorAuthorizationRequired')
    .refine((v) => v.trim() === 'true', 'supervisorAuthorizationRequired')
    .transform((): true => true);

/** Builds each field's schema once; zod compiles a schema on its first use, so rebuilding them per message costs ~0.5 ms. */
let fieldSchemas: Record<IntakeField, z.ZodType> | undefined;
const kindSchemas = new Map<string, z.ZodType>();

/**
 * The zod schema of one request kind as filed by one role (field syntax; see {@link emailContextError} for the rest).
 * @remarks Unknown keys are dropped; each issue's message is a {@link ValidationCode}. Built once per kind and role.
 */
export function intakeSchema(kind: RequestKind, role: RequesterRole): z.ZodType {
  const key = `${kind}|${role}`;
  let schema = kindSchemas.get(key);
  if (!schema) {
    fieldSchemas ??= {
      lastName: nameSchema(),
      firstName: nameSchema(),
      practiceLocation: practiceLocationSchema(),
      email: emailSchema(),
      ramqUserCode: ramqUserCodeSchema(),
      employeeNumber: employeeNumberSchema(),
      jobTitle: jobTitleSchema(),
      supervisorAuthorized: supervisorAuthorizedSchema(),
    };
    const shape: Partial<Record<IntakeField, z.ZodType>> = {};
    for (const field of fieldsFor(kind, role)) shape[field] = fieldSchemas[field];
    schema = z.object(shape);
    kindSchemas.set(key, schema);
  }
  return schema;
}

function asRecord(raw: unknown): Record<string, unknown> {
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
}

/** A raw input as a string for re-display: strings as typed (capped), numbers and booleans printed, anything else empty. */
export function echoValue(value: unknown): string {
  if (typeof value === 'string') return value.slice(0, MAX_ECHO_LENGTH);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

function run<V>(schema: z.ZodType, fields: readonly string[], raw: unknown, emailRule?: (email: string) => ValidationCode | undefined): ValidationResult<V> {
  const input = asRecord(raw);
  const result = schema.safeParse(input);
  const errors: FieldErrors = {};
  if (!result.success) {
    for (const issue of result.error.issues) {
      const field = String(issue.path[0] ?? '');
      if (!field || errors[field]) continue;
      errors[field] = (VALIDATION_CODES as readonly string[]).includes(issue.message) ? (issue.message as ValidationCode) : 'invalidType';
    }
  }
  // The context rules come after the field's own rules: they apply only to an address the schema accepted.
  if (emailRule && fields.includes('email') && !errors.email && typeof input.email === 'string') {
    const email = result.success ? String((result.data as { email: string }).email) : normalizeEmail(input.email);
    const code = emailRule(email);
    if (code) errors.email = code;
  }
  if (result.success && Object.keys(errors).length === 0) return { ok: true, values: result.data as V };
  const values: RawValues = {};
  for (const field of fields) values[field] = echoValue(input[field]);
  return { ok: false, values, errors };
}

/** Validates an access request's card submission (strings from the card; anything else is refused, never thrown on). */
export function validateIntake(
  kind: AccessKind,
  role: AccessRole,
  raw: Record<string, unknown>,
  ctx: IntakeContext = {},
): ValidationResult<IntakeValues> {
  const mustDiffer = role === 'manager';
  return run<IntakeValues>(intakeSchema(kind, role), fieldsFor(kind, role), raw, (email) => emailContextError(email, ctx, mustDiffer));
}

/** Validates a withdrawal request's card submission (the professional's identity). */
export function validateWithdrawal(raw: Record<string, unknown>, ctx: IntakeContext = {}): ValidationResult<WithdrawalValues> {
  return run<WithdrawalValues>(intakeSchema('withdrawal', 'supervisor'), fieldsFor('withdrawal', 'supervisor'), raw, (email) =>
    emailContextError(email, ctx, false),
  );
}

const triageSchema = z.object({
  requesterRole: z.enum(['physician', 'manager'], { error: 'choiceRequired' }),
  hasRamqCode: z.enum(['yes', 'no'], { error: 'choiceRequired' }),
});

/** Validates the triage card: who the request is for, and whether the person already has a RAMQ user code. */
export function validateTriage(raw: Record<string, unknown>): ValidationResult<TriageValues> {
  const result = run<Omit<TriageValues, 'kind'>>(triageSchema, ['requesterRole', 'hasRamqCode'], raw);
  if (!result.ok) return result;
  const kind: AccessKind = result.values.hasRamqCode === 'yes' ? 'access_with_code' : 'access_without_code';
  return { ok: true, values: { ...result.values, kind } };
}

/** Looks up each error's message in the user's language (`validation:<code>`). */
export function errorMessages(errors: FieldErrors, t: Translate): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, code] of Object.entries(errors)) if (code) out[field] = t(`validation:${code}`);
  return out;
}
