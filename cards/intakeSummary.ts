import type { Translate } from '../domain/i18n';
import { fieldsFor, type RequestKind, type RequesterRole } from '../domain/intake/kinds';
import { formValue, type FormValues } from './intakeForm';
import { renderCard, type AdaptiveCardJson } from './render';

/** What the summary shows: the kind, who filed it, and the values to confirm. */
export interface SummaryCardOptions {
  cardId: string;
  kind: RequestKind;
  role: RequesterRole;
  values: FormValues;
}

/** Data the intakeSummary template expects; `rows[].value` is user text, shown in a TextRun (never read as markdown). */
export interface SummaryCardData {
  cardId: string;
  kind: RequestKind;
  requesterRole: RequesterRole;
  title: string;
  intro: string;
  rows: { label: string; value: string }[];
  confirmLabel: string;
  editLabel: string;
  cancelLabel: string;
}

/** Builds the summary card with verbs `intake.confirm`, `intake.edit` and `intake.cancel`. */
export function summaryCard(t: Translate, options: SummaryCardOptions): AdaptiveCardJson {
  const { cardId, kind, role, values } = options;
  const rows = [{ label: t('intake:summary.kind'), value: t(`intake:kinds.${kind}`) }];
  if (kind !== 'withdrawal') rows.push({ label: t('intake:summary.requester'), value: t(`intake:roles.${role}`) });
  for (const field of fieldsFor(kind, role)) {
    const value =
      field === 'supervisorAuthorized' ? (formValue(values[field]) === 'true' ? t('intake:summary.authorizedYes') : '—') : formValue(values[field]).trim();
    rows.push({ label: t(`intake:fields.${field}`), value: value || '—' });
  }
  const data: SummaryCardData = {
    cardId,
    kind,
    requesterRole: role,
    title: t('intake:summary.title'),
    intro: t('intake:summary.intro'),
    rows,
    confirmLabel: t('intake:actions.confirm'),
    editLabel: t('intake:actions.edit'),
    cancelLabel: t('intake:actions.cancel'),
  };
  return renderCard('intakeSummary', data);
}

/** Example summaries for the three kinds. */
export function samples(t: Translate): AdaptiveCardJson[] {
  return [
    summaryCard(t, {
      cardId: 'sample-summary-1',
      kind: 'access_with_code',
      role: 'physician',
      values: { lastName: 'Tremblay', firstName: 'Marie-Ève', ramqUserCode: 'marie.tremblay@example.org', practiceLocation: 'CLSC de Limoilou', email: 'marie-eve.tremblay@example.org' },
    }),
    summaryCard(t, {
      cardId: 'sample-summary-2',
      kind: 'access_without_code',
      role: 'manager',
      values: { lastName: "O'Neil", firstName: 'Léa', employeeNumber: 'AB1234', jobTitle: 'Inhalothérapeute', practiceLocation: 'Hôpital Jeffery Hale', email: 'lea.oneil@example.org', supervisorAuthorized: true },
    }),
    summaryCard(t, {
      cardId: 'sample-summary-3',
      kind: 'withdrawal',
      role: 'supervisor',
      values: { lastName: 'Roy', firstName: 'Jacques', employeeNumber: '987654', jobTitle: 'Travailleur social', email: 'jacques.roy@example.org' },
    }),
  ];
}
