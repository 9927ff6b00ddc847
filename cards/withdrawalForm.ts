import type { Translate } from '../domain/i18n';
import { errorMessages, type FieldErrors } from '../domain/intake/fields';
import { KIND_FIELDS } from '../domain/intake/kinds';
import { formFields, type FormFieldData, type FormValues } from './intakeForm';
import { renderCard, type AdaptiveCardJson } from './render';

/** What the withdrawal form shows. */
export interface WithdrawalFormOptions {
  cardId: string;
  values?: FormValues;
  errors?: FieldErrors;
  /** Days after closing before the request's personal fields are erased: shown in the privacy notice. */
  retentionDays?: number;
}

/** Data the withdrawalForm template expects. */
export interface WithdrawalFormCardData {
  cardId: string;
  title: string;
  intro: string;
  notice: string;
  fixErrors: string;
  fieldsIntro: string;
  fields: FormFieldData[];
  submitLabel: string;
  cancelLabel: string;
}

/** Builds the withdrawal form (verb `withdraw.submit`) a supervisor fills for a professional of their team. */
export function withdrawalFormCard(t: Translate, options: WithdrawalFormOptions): AdaptiveCardJson {
  const { cardId, values = {}, errors = {}, retentionDays } = options;
  const data: WithdrawalFormCardData = {
    cardId,
    title: t('intake:withdrawal.title'),
    intro: t('intake:withdrawal.intro'),
    notice: retentionDays ? t('security:withdrawalNotice', { count: retentionDays }) : '',
    fixErrors: Object.keys(errorMessages(errors, t)).length > 0 ? t('intake:form.fixErrors') : '',
    fieldsIntro: t('intake:withdrawal.fieldsIntro'),
    fields: formFields(t, KIND_FIELDS.withdrawal, values, errors),
    submitLabel: t('intake:actions.review'),
    cancelLabel: t('intake:actions.cancel'),
  };
  return renderCard('withdrawalForm', data);
}

/** Example withdrawal forms: empty, and back with an error. */
export function samples(t: Translate): AdaptiveCardJson[] {
  return [
    withdrawalFormCard(t, { cardId: 'sample-withdrawal-1', retentionDays: 365 }),
    withdrawalFormCard(t, {
      cardId: 'sample-withdrawal-2',
      values: { lastName: 'Roy', firstName: 'Jacques', employeeNumber: 'ABCDEF', jobTitle: 'Travailleur social', email: 'jacques.roy@example.org' },
      errors: { employeeNumber: 'employeeNumberNoDigit' },
    }),
  ];
}
