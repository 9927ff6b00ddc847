import fs from 'node:fs';
import path from 'node:path';
import { LANGS, LOCALES_DIR, translator, type Lang } from '../../domain/i18n';
import { REQUEST_STATUSES } from '../../domain/intake/kinds';
import * as filed from '../../cards/intakeFiled';
import * as form from '../../cards/intakeForm';
import * as summary from '../../cards/intakeSummary';
import * as triage from '../../cards/intakeTriage';
import * as list from '../../cards/requestList';
import * as withdrawal from '../../cards/withdrawalForm';
import type { AdaptiveCardJson } from '../../cards/render';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const AC = require('adaptivecards/dist/adaptivecards.js');

type Node = Record<string, unknown>;

/** Every element and action of a card, depth first, in display order. */
function nodes(card: AdaptiveCardJson): Node[] {
  const out: Node[] = [];
  const visit = (value: unknown) => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!value || typeof value !== 'object') return;
    const node = value as Node;
    if (typeof node.type === 'string' && node.type !== 'AdaptiveCard') out.push(node);
    for (const key of ['body', 'items', 'columns', 'actions', 'inlines']) if (key in node) visit(node[key]);
  };
  visit(card);
  return out;
}

const inputs = (card: AdaptiveCardJson) => nodes(card).filter((n) => String(n.type).startsWith('Input.'));
const submits = (card: AdaptiveCardJson) => nodes(card).filter((n) => n.type === 'Action.Submit');
const verbs = (card: AdaptiveCardJson) => submits(card).map((a) => (a.data as Node).verb);
const texts = (card: AdaptiveCardJson) => nodes(card).filter((n) => n.type === 'TextBlock' || n.type === 'TextRun').map((n) => String(n.text));
const inputById = (card: AdaptiveCardJson, id: string) => inputs(card).find((n) => n.id === id);

/** The element displayed right after an input (the error line, when there is one). */
function elementAfter(card: AdaptiveCardJson, id: string): Node | undefined {
  const all = nodes(card);
  return all[all.findIndex((n) => n.id === id) + 1];
}

/** Parses a card with the official renderer's object model and returns every problem it reports, plus our own checks. */
function problems(card: AdaptiveCardJson): string[] {
  const found: string[] = [];
  const context = new AC.SerializationContext(AC.Version.parse(card.version));
  const parsed = new AC.AdaptiveCard();
  parsed.parse(card, context);
  for (let i = 0; i < context.eventCount; i++) found.push(context.getEventAt(i).message);
  for (const event of parsed.validateProperties().validationEvents) found.push(event.message);
  if (card.version !== '1.5') found.push(`version ${card.version}`);
  if (JSON.stringify(card).includes('${')) found.push('unexpanded template expression');
  for (const n of nodes(card)) {
    if ((n.type === 'TextBlock' || n.type === 'TextRun') && !String(n.text ?? '').trim()) found.push(`empty ${n.type}`);
    if (String(n.type).startsWith('Input.') && !n.label) found.push(`input ${String(n.id)} has no label`);
  }
  for (const action of submits(card)) {
    const data = action.data as Node;
    if (!data?.verb || !data?.cardId) found.push(`submit ${String(action.title)} lacks verb or cardId`);
  }
  return found;
}

function keyPaths(value: unknown, prefix = ''): string[] {
  if (!value || typeof value !== 'object') return [prefix];
  return Object.entries(value).flatMap(([k, v]) => keyPaths(v, prefix ? `${prefix}.${k}` : k));
}

describe.each(LANGS)('intake cards in %s', (lang: Lang) => {
  const t = translator(lang);

  it('every sample is a valid Adaptive Card 1.5 with verbs and card ids on its submits', () => {
    for (const mod of [triage, form, withdrawal, summary, filed, list]) {
      for (const card of mod.samples(t)) expect(problems(card)).toEqual([]);
    }
  });

  describe('triage', () => {
    it('when first shown, then the privacy notice comes before the two questions', () => {
      const card = triage.triageCard(t, 'card-t1', 365);
      expect(inputs(card).map((n) => n.id)).toEqual(['requesterRole', 'hasRamqCode']);
      expect(verbs(card)).toEqual(['intake.triage', 'intake.cancel']);
      expect(submits(card).every((a) => (a.data as Node).cardId === 'card-t1')).toBe(true);
      const all = nodes(card);
      const noticeAt = all.findIndex((n) => n.type === 'TextBlock' && String(n.text).includes('365'));
      expect(noticeAt).toBeGreaterThan(-1);
      expect(noticeAt).toBeLessThan(all.findIndex((n) => n.id === 'requesterRole'));
      expect(String(all[noticeAt].text)).toContain('CIUSSS de la Capitale-Nationale');
      const role = inputById(card, 'requesterRole')!;
      expect(role.style).toBe('expanded');
      expect((role.choices as Node[]).map((c) => c.value)).toEqual(['physician', 'manager']);
      expect((inputById(card, 'hasRamqCode')!.choices as Node[]).map((c) => c.value)).toEqual(['yes', 'no']);
      expect(submits(card)[1].associatedInputs).toBe('none');
    });

    it('when the retention is one day, then the notice uses the singular', () => {
      const text = texts(triage.triageCard(t, 'c', 1)).join(' ');
      expect(text).toContain(lang === 'fr' ? '1 jour.' : '1 day.');
    });

    it('when shown again with a missing answer, then the kept answer is selected and the error sits under the question', () => {
      const card = triage.triageCard(t, 'card-t2', 365, { values: { requesterRole: 'manager' }, errors: { hasRamqCode: 'choiceRequired' } });
      expect(inputById(card, 'requesterRole')!.value).toBe('manager');
      expect(elementAfter(card, 'hasRamqCode')).toMatchObject({ type: 'TextBlock', color: 'Attention', text: t('validation:choiceRequired') });
      expect(elementAfter(card, 'requesterRole')!.color).not.toBe('Attention');
    });
  });

  describe('access form', () => {
    it('when a physician has a RAMQ code, then the form asks for the code and has no authorization toggle', () => {
      const card = form.intakeFormCard(t, { cardId: 'card-f1', kind: 'access_with_code', role: 'physician' });
      expect(inputs(card).map((n) => n.id)).toEqual(['lastName', 'firstName', 'ramqUserCode', 'practiceLocation', 'email']);
      expect(submits(card).map((a) => a.data)).toEqual([
        { verb: 'intake.submit', cardId: 'card-f1', kind: 'access_with_code', requesterRole: 'physician' },
        { verb: 'intake.cancel', cardId: 'card-f1', kind: 'access_with_code', requesterRole: 'physician' },
      ]);
      expect(inputById(card, 'email')!.style).toBe('email');
      expect(texts(card)).not.toContain(t('intake:form.fixErrors'));
      expect(nodes(card).some((n) => n.color === 'Attention')).toBe(false);
    });

    it('when a manager files without a code, then it asks for employee number, job title and the supervisor’s authorization', () => {
      const card = form.intakeFormCard(t, { cardId: 'card-f2', kind: 'access_without_code', role: 'manager' });
      expect(inputs(card).map((n) => n.id)).toEqual(['lastName', 'firstName', 'employeeNumber', 'jobTitle', 'practiceLocation', 'email', 'supervisorAuthorized']);
      expect(inputById(card, 'supervisorAuthorized')).toMatchObject({ type: 'Input.Toggle', valueOn: 'true', valueOff: 'false', value: 'false' });
      expect(texts(card)).toContain(t('intake:form.authorizationRule'));
      expect(submits(card)[0].data).toEqual({ verb: 'intake.submit', cardId: 'card-f2', kind: 'access_without_code', requesterRole: 'manager' });
    });

    it('when it comes back with errors, then every value is prefilled and each error is right under its field', () => {
      const values = {
        lastName: 'Gagnon',
        firstName: 'L3o',
        employeeNumber: '123456',
        jobTitle: '**Infirmière** ${cardId}',
        practiceLocation: 'CLSC de Limoilou',
        email: 'info@example.org',
        supervisorAuthorized: 'false',
      };
      const errors = { firstName: 'nameDigits', email: 'emailSharedMailbox', supervisorAuthorized: 'supervisorAuthorizationRequired' } as const;
      const card = form.intakeFormCard(t, { cardId: 'card-f3', kind: 'access_without_code', role: 'manager', values, errors });
      for (const [id, value] of Object.entries(values)) expect(inputById(card, id)!.value).toBe(value);
      for (const [id, code] of Object.entries(errors)) {
        expect(elementAfter(card, id)).toMatchObject({ type: 'TextBlock', color: 'Attention', text: t(`validation:${code}`) });
      }
      expect(elementAfter(card, 'lastName')!.color).not.toBe('Attention');
      expect(texts(card)).toContain(t('intake:form.fixErrors'));
      // The user typed a literal `${cardId}`: it must come back as typed, never expanded.
      expect(problems(card).filter((p) => p !== 'unexpanded template expression')).toEqual([]);
    });

    it('when normalized values come back for an edit, then the toggle is on', () => {
      const card = form.intakeFormCard(t, { cardId: 'c', kind: 'access_with_code', role: 'manager', values: { supervisorAuthorized: true, lastName: 'Roy' } });
      expect(inputById(card, 'supervisorAuthorized')!.value).toBe('true');
      expect(inputById(card, 'lastName')!.value).toBe('Roy');
      expect(inputById(card, 'firstName')!.value).toBe('');
    });
  });

  describe('withdrawal form', () => {
    it('when shown, then it explains the rule and asks for the professional’s identity', () => {
      const card = withdrawal.withdrawalFormCard(t, { cardId: 'card-w1', values: { lastName: 'Roy', employeeNumber: 'ABC' }, errors: { employeeNumber: 'employeeNumberNoDigit' } });
      expect(inputs(card).map((n) => n.id)).toEqual(['lastName', 'firstName', 'employeeNumber', 'jobTitle', 'email']);
      expect(verbs(card)).toEqual(['withdraw.submit', 'intake.cancel']);
      expect(submits(card)[0].data).toEqual({ verb: 'withdraw.submit', cardId: 'card-w1', kind: 'withdrawal', requesterRole: 'supervisor' });
      expect(texts(card)).toContain(t('intake:withdrawal.intro'));
      expect(inputById(card, 'lastName')!.value).toBe('Roy');
      expect(elementAfter(card, 'employeeNumber')).toMatchObject({ color: 'Attention', text: t('validation:employeeNumberNoDigit') });
    });
  });

  describe('summary', () => {
    it('when shown, then it lists each value under its label, as plain text runs, with confirm, edit and cancel', () => {
      const values = { lastName: 'Tremblay', firstName: 'Marie', employeeNumber: 'AB1234', jobTitle: '[clic](https://evil.example)', practiceLocation: 'CLSC', email: 'm@example.ca', supervisorAuthorized: true };
      const card = summary.summaryCard(t, { cardId: 'card-s1', kind: 'access_without_code', role: 'manager', values });
      expect(verbs(card)).toEqual(['intake.confirm', 'intake.edit', 'intake.cancel']);
      expect(submits(card).every((a) => (a.data as Node).cardId === 'card-s1' && (a.data as Node).kind === 'access_without_code')).toBe(true);
      const runs = nodes(card).filter((n) => n.type === 'TextRun').map((n) => n.text);
      for (const v of ['Tremblay', 'Marie', 'AB1234', '[clic](https://evil.example)', 'CLSC', 'm@example.ca']) expect(runs).toContain(v);
      expect(runs).toContain(t('intake:summary.authorizedYes'));
      const blocks = nodes(card).filter((n) => n.type === 'TextBlock').map((n) => n.text);
      expect(blocks).not.toContain('[clic](https://evil.example)');
      for (const field of ['lastName', 'jobTitle', 'supervisorAuthorized']) expect(blocks).toContain(t(`intake:fields.${field}`));
      expect(inputs(card)).toEqual([]);
    });

    it('when a withdrawal is summarized, then it shows the kind and no requester line', () => {
      const card = summary.summaryCard(t, { cardId: 'c', kind: 'withdrawal', role: 'supervisor', values: { lastName: 'Roy' } });
      expect(texts(card)).toContain(t('intake:kinds.withdrawal'));
      expect(texts(card)).not.toContain(t('intake:summary.requester'));
      expect(texts(card)).toContain('—');
    });
  });

  describe('filed', () => {
    it.each([
      ['access_with_code', 'physician', 3],
      ['access_without_code', 'manager', 4],
      ['withdrawal', 'supervisor', 1],
    ] as const)('when a %s request by a %s is filed, then it shows the reference, %i next steps and a call button', (kind, role, steps) => {
      const card = filed.filedCard(t, { cardId: 'card-d1', kind, role, reference: 'DMA-2026-00042' });
      const all = texts(card);
      expect(all.some((x) => x.includes('DMA-2026-00042'))).toBe(true);
      expect(all.filter((x) => /^\d\. /.test(x))).toHaveLength(steps);
      expect(all.some((x) => x.includes('418 821-1743'))).toBe(true);
      const call = nodes(card).find((n) => n.type === 'Action.OpenUrl')!;
      expect(call.url).toBe('tel:+14188211743');
      expect(verbs(card)).toEqual(['menu.status']);
      expect(problems(card)).toEqual([]);
    });

    it('states the facts of each kind', () => {
      const withCode = texts(filed.filedCard(t, { cardId: 'c', kind: 'access_with_code', role: 'physician', reference: 'DMA-2026-00001' })).join(' ');
      expect(withCode).toContain('« Registre DMA »');
      const withoutCode = texts(filed.filedCard(t, { cardId: 'c', kind: 'access_without_code', role: 'physician', reference: 'DMA-2026-00002' })).join(' ');
      expect(withoutCode).toMatch(lang === 'fr' ? /5 jours civils.*autre moyen que le courriel/ : /5 calendar days.*other than email/);
      expect(withoutCode).toMatch(lang === 'fr' ? /huit questions secrètes/ : /eight secret questions/);
      const self = filed.nextSteps(t, 'access_without_code', 'physician').join(' ');
      const other = filed.nextSteps(t, 'access_without_code', 'manager').join(' ');
      expect(self).not.toEqual(other);
    });
  });

  describe('request list', () => {
    const requests: list.RequestListItem[] = [
      { id: 7, reference: 'DMA-2026-00044', kind: 'access_without_code', status: 'submitted', createdAt: '2026-03-12T14:05:00Z', subject: 'Léa O’Neil' },
      { id: 'r2', reference: 'DMA-2026-00043', kind: 'withdrawal', status: 'in_progress', createdAt: new Date('2026-03-02T15:30:00Z') },
      { id: 'r1', reference: 'DMA-2026-00042', kind: 'access_with_code', status: 'completed', createdAt: '2026-02-20T13:00:00Z' },
    ];

    it('when the requester has requests, then each shows its reference, kind, status and date; only a submitted one can be cancelled', () => {
      const card = list.requestListCard(t, lang, { cardId: 'card-l1', requests });
      const all = texts(card);
      for (const r of requests) expect(all).toContain(r.reference);
      expect(all).toContain(t('intake:kinds.withdrawal'));
      expect(all.some((x) => x.includes(t('intake:statuses.in_progress')) && x.includes(lang === 'fr' ? '2 mars 2026' : 'March 2, 2026'))).toBe(true);
      expect(all).toContain('Léa O’Neil');
      const cancels = submits(card).filter((a) => (a.data as Node).verb === 'request.cancel');
      expect(cancels.map((a) => a.data)).toEqual([{ verb: 'request.cancel', cardId: 'card-l1', requestId: '7' }]);
      expect(all).not.toContain(t('intake:list.empty'));
    });

    it('when there are none, then it says so and offers to request access', () => {
      const card = list.requestListCard(t, lang, { cardId: 'card-l2', requests: [] });
      expect(texts(card)).toContain(t('intake:list.empty'));
      expect(verbs(card)).toEqual(['menu.access']);
    });

    it('when there are more than the card holds, then it says how many are hidden', () => {
      const many = Array.from({ length: list.MAX_LISTED_REQUESTS + 3 }, (_, i) => ({ ...requests[2], id: `x${i}`, reference: `DMA-2026-${String(i + 1).padStart(5, '0')}` }));
      const card = list.requestListCard(t, lang, { cardId: 'c', requests: many });
      expect(texts(card).filter((x) => x.startsWith('DMA-'))).toHaveLength(list.MAX_LISTED_REQUESTS);
      expect(texts(card)).toContain(t('intake:list.more', { count: 3 }));
    });

    it('has a label for every status', () => {
      for (const status of REQUEST_STATUSES) expect(t(`intake:statuses.${status}`)).not.toContain('statuses.');
    });
  });
});

describe('intake locale files', () => {
  it.each(['intake', 'validation'])('locales/fr/%s.json and locales/en/%s.json have the same keys, none empty', (ns) => {
    const read = (lang: Lang) => JSON.parse(fs.readFileSync(path.join(LOCALES_DIR, lang, `${ns}.json`), 'utf8'));
    const fr = read('fr');
    const en = read('en');
    expect(keyPaths(en).sort()).toEqual(keyPaths(fr).sort());
    for (const key of keyPaths(fr)) {
      const get = (o: unknown) => key.split('.').reduce<unknown>((acc, k) => (acc as Record<string, unknown>)[k], o);
      expect(String(get(fr)).trim()).not.toBe('');
      expect(String(get(en)).trim()).not.toBe('');
    }
  });

  it('renders French and English differently', () => {
    const fr = triage.triageCard(translator('fr'), 'c', 365);
    const en = triage.triageCard(translator('en'), 'c', 365);
    expect(texts(fr)[0]).not.toEqual(texts(en)[0]);
  });
});
