import type { Translate } from '../domain/i18n';
import { errorMessages, LIMITS, type FieldErrors } from '../domain/intake/fields';
import { KIND_FIELDS, type AccessKind, type AccessRole, type IntakeField } from '../domain/intake/kinds';
import { renderCard, type AdaptiveCardJson } from './render';

/** Values to prefill a form with: raw strings from a failed submission, or normalized values going back for an edit. */
export type FormValues = Partial<Record<string, unknown>>;

/** One text input of a request form, as the templates expect it. */
export interface FormFieldData {
  id: string;
  label: string;
  value: string;
  placeholder: string;
  style: 'text' | 'email';
  maxLength: number;
  requiredMessage: string;
  error: string;
  hint: string;
}

type TextField = Exclude<IntakeField, 'supervisorAuthorized'>;

const MAX_LENGTH: Record<TextField, number> = {
  lastName: LIMITS.name.max,
  firstName: LIMITS.name.max,
  practiceLocation: LIMITS.practiceLocation.max,
  email: LIMITS.email.max,
  ramqUserCode: LIMITS.ramqUserCode.max,
  employeeNumber: LIMITS.employeeNumber.max,
  jobTitle: LIMITS.jobTitle.max,
};

/** A value as the text an input shows: strings as they are, booleans and numbers printed, anything else empty. */
export function formValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return '';
}

/** Builds the text inputs of a form with their labels, prefilled values, error texts and hints. */
export function formFields(
  t: Translate,
  fields: readonly TextField[],
  values: FormValues = {},
  errors: FieldErrors = {},
  hints: Partial<Record<TextField, string>> = {},
): FormFieldData[] {
  const messages = errorMessages(errors, t);
  return fields.map((id) => ({
    id,
    label: t(`intake:fields.${id}`),
    value: formValue(values[id]),
    placeholder: t(`intake:placeholders.${id}`),
    style: id === 'email' ? 'email' : 'text',
    maxLength: MAX_LENGTH[id],
    requiredMessage: t('validation:required'),
    error: messages[id] ?? '',
    hint: hints[id] ?? '',
  }));
}

/** What the access form shows. */
export interface IntakeFormOptions {
  cardId: string;
  kind: AccessKind;
  role: AccessRole;
  values?: FormValues;
  errors?: FieldErrors;
}

/** Data the intakeForm template expects. */
export interface IntakeFormCardData {
  cardId: string;
  kind: AccessKind;
  requesterRole: AccessRole;
  title: string;
  intro: string;
  fixErrors: string;
  fields: FormFieldData[];
  authorization: { shown: boolean; rule: string; label: string; toggle: string; value: 'true' | 'false'; error: string };
  submitLabel: string;
  cancelLabel: string;
}

/** Builds the access request form (verb `intake.submit`), prefilled, with each error under its field. */
export function intakeFormCard(t: Translate, options: IntakeFormOptions): AdaptiveCardJson {
  const { cardId, kind, role, values = {}, errors = {} } = options;
  const manager = role === 'manager';
  const messages = errorMessages(errors, t);
  const data: IntakeFormCardData = {
    cardId,
    kind,
    requesterRole: role,
    title: t(manager ? 'intake:form.titleManager' : 'intake:form.titleSelf'),
    intro: t(kind === 'access_with_code' ? 'intake:form.introWithCode' : 'intake:form.introWithoutCode'),
    fixErrors: Object.keys(messages).length > 0 ? t('intake:form.fixErrors') : '',
    fields: formFields(t, KIND_FIELDS[kind], values, errors, manager ? { email: t('intake:form.managerEmailHint') } : {}),
    authorization: {
      shown: manager,
      rule: t('intake:form.authorizationRule'),
      label: t('intake:fields.supervisorAuthorized'),
      toggle: t('intake:form.authorizationToggle'),
      value: formValue(values.supervisorAuthorized) === 'true' ? 'true' : 'false',
      error: messages.supervisorAuthorized ?? '',
    },
    submitLabel: t('intake:actions.review'),
    cancelLabel: t('intake:actions.cancel'),
  };
  return renderCard('intakeForm', data);
}

/** Example access forms: a physician's empty form, and a manager's form coming back with errors. */
export function samples(t: Translate): AdaptiveCardJson[] {
  return [
    intakeFormCard(t, {
      cardId: 'sample-form-1',
      kind: 'access_with_code',
      role: 'physician',
      values: { lastName: 'Tremblay', firstName: 'Marie-Ève', email: 'marie-eve.tremblay@example.org' },
    }),
    intakeFormCard(t, {
      cardId: 'sample-form-2',
      kind: 'access_without_code',
      role: 'manager',
      values: { lastName: 'Gagnon', firstName: 'L3o', employeeNumber: '123456', jobTitle: 'Infirmière clinicienne', practiceLocation: 'CLSC de Limoilou', email: 'info@example.org', supervisorAuthorized: 'false' },
      errors: { firstName: 'nameDigits', email: 'emailSharedMailbox', supervisorAuthorized: 'supervisorAuthorizationRequired' },
    }),
  ];
}
