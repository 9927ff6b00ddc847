import type { Translate } from '../domain/i18n';
import { errorMessages, type FieldErrors } from '../domain/intake/fields';
import { ACCESS_ROLES } from '../domain/intake/kinds';
import { formValue, type FormValues } from './intakeForm';
import { renderCard, type AdaptiveCardJson } from './render';

/** Optional prefilled answers and errors when the triage card is shown again. */
export interface TriageCardOptions {
  values?: FormValues;
  errors?: FieldErrors;
}

/** Data the intakeTriage template expects. */
export interface TriageCardData {
  cardId: string;
  title: string;
  notice: string;
  noSecrets: string;
  roleQuestion: string;
  roleChoices: { title: string; value: string }[];
  requesterRole: string;
  roleError: string;
  codeQuestion: string;
  codeChoices: { title: string; value: string }[];
  hasRamqCode: string;
  codeError: string;
  codeHint: string;
  choiceRequired: string;
  continueLabel: string;
  cancelLabel: string;
}

/**
 * Builds the triage card (verb `intake.triage`): a privacy notice, then who the access is for and whether the person has a RAMQ user code.
 * @param retentionDays days after closing before a request's personal fields are erased (configuration `RETENTION_DAYS`).
 */
export function triageCard(t: Translate, cardId: string, retentionDays: number, options: TriageCardOptions = {}): AdaptiveCardJson {
  const { values = {}, errors = {} } = options;
  const messages = errorMessages(errors, t);
  const data: TriageCardData = {
    cardId,
    title: t('intake:triage.title'),
    notice: t('intake:triage.notice', { count: retentionDays }),
    noSecrets: t('intake:triage.noSecrets'),
    roleQuestion: t('intake:triage.roleQuestion'),
    roleChoices: ACCESS_ROLES.map((value) => ({ value, title: t(`intake:roles.${value}`) })),
    requesterRole: formValue(values.requesterRole),
    roleError: messages.requesterRole ?? '',
    codeQuestion: t('intake:triage.codeQuestion'),
    codeChoices: [
      { value: 'yes', title: t('intake:triage.codeYes') },
      { value: 'no', title: t('intake:triage.codeNo') },
    ],
    hasRamqCode: formValue(values.hasRamqCode),
    codeError: messages.hasRamqCode ?? '',
    codeHint: t('intake:triage.codeHint'),
    choiceRequired: t('validation:choiceRequired'),
    continueLabel: t('intake:actions.continue'),
    cancelLabel: t('intake:actions.cancel'),
  };
  return renderCard('intakeTriage', data);
}

/** Example triage cards: first display, and shown again with a missing answer. */
export function samples(t: Translate): AdaptiveCardJson[] {
  return [
    triageCard(t, 'sample-triage-1', 365),
    triageCard(t, 'sample-triage-2', 30, { values: { requesterRole: 'manager' }, errors: { hasRamqCode: 'choiceRequired' } }),
  ];
}
