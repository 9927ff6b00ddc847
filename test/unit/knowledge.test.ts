import { createRequire } from 'node:module';
import { translator, type Lang } from '../../domain/i18n';
import { EMAILS, KNOWLEDGE, PHONES, type PhoneId } from '../../domain/knowledge';
import { INFO_ROUTES, type InfoRouteId } from '../../domain/routing';
import { knowledgeAnswerCard, samples as answerSamples } from '../../cards/answer';
import { samples as helpSamples } from '../../cards/help';
import type { AdaptiveCardJson } from '../../cards/render';

const requireCjs = createRequire(__filename);
const AC = requireCjs('adaptivecards/dist/adaptivecards.js');

type Node = Record<string, unknown>;

/** Every object in the card, depth first. */
function nodes(value: unknown): Node[] {
  if (Array.isArray(value)) return value.flatMap(nodes);
  if (value && typeof value === 'object') return [value as Node, ...Object.values(value).flatMap(nodes)];
  return [];
}
const texts = (card: AdaptiveCardJson): string[] => nodes(card.body).filter((n) => n.type === 'TextBlock').map((n) => String(n.text));
const allText = (card: AdaptiveCardJson): string => texts(card).join('\n');
const actionsOf = (card: AdaptiveCardJson, type: string): Node[] => nodes(card).filter((n) => n.type === type);

const WEDNESDAY_0930 = new Date('2025-06-25T09:30:00-04:00');
const WEDNESDAY_1005 = new Date('2025-06-25T10:05:00-04:00');
const card = (route: Parameters<typeof knowledgeAnswerCard>[0], lang: Lang, now = WEDNESDAY_1005): AdaptiveCardJson =>
  knowledgeAnswerCard(route, translator(lang), lang, now, 'card-1');

const EXPECTED_PHONES: Record<InfoRouteId, PhoneId[]> = {
  'support.registration': ['registration'],
  'support.ramq_technical': ['ramqTechnical'],
  'info.hours': ['ramqQuebec', 'ramqMontreal', 'ramqElsewhere'],
  'info.credentials_email': ['ramqQuebec'],
  'info.password_rules': ['ramqTechnical'],
  'info.b2b_forms': ['ramqQuebec'],
  'info.rvsq': [],
};

describe('knowledge data', () => {
  it('when phone numbers are listed, then each has a valid North American E.164 form and tel: URL', () => {
    expect(PHONES.registration).toMatchObject({ display: '418 821-1743', e164: '+14188211743', telUrl: 'tel:+14188211743' });
    expect(PHONES.ramqTechnical.e164).toBe('+14186438210');
    expect(PHONES.ramqElsewhere.e164).toBe('+18883303023');
    for (const phone of Object.values(PHONES)) expect(phone.telUrl).toMatch(/^tel:\+1\d{10}$/);
  });

  it('when an information route is looked up, then it has an entry', () => {
    for (const route of INFO_ROUTES) expect(KNOWLEDGE[route]).toBeDefined();
  });
});

describe.each<Lang>(['fr', 'en'])('knowledge answers in %s', (lang) => {
  const t = translator(lang);

  it.each(INFO_ROUTES.map((r) => [r]))('when the route is %s, then the card has the right numbers, in text and as tel: buttons', (route) => {
    const answer = card(route, lang);
    const urls = actionsOf(answer, 'Action.OpenUrl').map((a) => a.url);
    for (const id of EXPECTED_PHONES[route]) {
      expect(allText(answer)).toContain(PHONES[id].display);
      expect(urls).toContain(`tel:${PHONES[id].e164}`);
    }
    expect(texts(answer)[0]).toBe(t(`knowledge:${KNOWLEDGE[route].section}.title`));
  });

  it('when the route is support.registration, then it explains expired codes and a missing RAMQ email, with the registration email', () => {
    const text = allText(card('support.registration', lang));
    expect(text).toContain(EMAILS.registration);
    expect(text).toContain(t('knowledge:registration.expiredCode', { secretCodeDays: 5 }));
    expect(text).toContain(t('knowledge:registration.missingEmail', { registrationPhone: '418 821-1743' }));
    expect(text).not.toContain('418 643-8210');
  });

  it('when the route is support.ramq_technical, then the registration line is offered only as the alternative', () => {
    const answer = card('support.ramq_technical', lang);
    expect(actionsOf(answer, 'Action.OpenUrl')[0]).toMatchObject({ url: 'tel:+14186438210' });
  });

  it('when the lines are open, then the hours card says so and when they close', () => {
    const text = allText(card('info.hours', lang, WEDNESDAY_1005));
    expect(text).toContain(lang === 'fr' ? 'jusqu’à 12 h'.replace('’', "'") : 'until 12:00 p.m.');
  });

  it('when the lines are closed, then the hours card says when they reopen, in Québec time', () => {
    const text = allText(card('info.hours', lang, WEDNESDAY_0930));
    expect(text).toContain(lang === 'fr' ? "rouvrent aujourd'hui à 10 h" : 'reopen today at 10:00 a.m.');
    const saturday = allText(card('info.hours', lang, new Date('2025-06-21T11:00:00-04:00')));
    expect(saturday).toContain(lang === 'fr' ? 'le lundi 23 juin à 8 h 30' : 'on Monday, June 23 at 8:30 a.m.');
  });

  it('when the route is info.hours, then the schedule lists the Wednesday exception', () => {
    const text = allText(card('info.hours', lang));
    expect(text).toContain(lang === 'fr' ? 'de 8 h 30 à 12 h et de 13 h à 16 h 30' : '8:30 a.m. to 12:00 p.m. and 1:00 p.m. to 4:30 p.m.');
    expect(text).toContain(lang === 'fr' ? 'le mercredi, de 10 h à 12 h' : 'on Wednesday, 10:00 a.m. to 12:00 p.m.');
  });

  it('when the route is info.credentials_email, then it requires two different addresses and refuses shared mailboxes', () => {
    const text = allText(card('info.credentials_email', lang));
    expect(text).toContain(t('knowledge:credentials.twoAddresses'));
    expect(text).toContain('information@');
    expect(text).toContain(lang === 'fr' ? '22 juillet 2021' : 'July 22, 2021');
  });

  it('when the route is info.b2b_forms, then it gives form 4058, where to send it and the steps', () => {
    const answer = card('info.b2b_forms', lang);
    const text = allText(answer);
    expect(text).toContain('4058');
    expect(text).toContain(EMAILS.ramqAccessForms);
    expect(text).toContain('G1K 7T3');
    expect(texts(answer)).toEqual(expect.arrayContaining(['1.', '2.', '3.']));
  });

  it('when the route is info.rvsq, then the three-part procedure is a numbered list that keeps the secret code out of email', () => {
    const answer = card('info.rvsq', lang);
    expect(texts(answer)).toEqual(expect.arrayContaining(['1.', '2.', '3.', '4.', '5.']));
    expect(allText(answer)).toContain(EMAILS.ramqOnlineServicesSender);
    expect(allText(answer)).toContain(t('knowledge:rvsq.passCode'));
  });

  it('when the route is info.password_rules, then the rules are given and the user is never invited to type a password here', () => {
    const answer = card('info.password_rules', lang);
    const text = allText(answer);
    expect(text).toContain(lang === 'fr' ? 'au moins 8 caractères' : 'at least 8 characters');
    expect(text).toContain(lang === 'fr' ? 'commencer par une lettre et se terminer par une lettre' : 'start with a letter and end with a letter');
    expect(text).toContain(t('knowledge:password.neverShare'));
    expect(nodes(answer).filter((n) => String(n.type).startsWith('Input.'))).toEqual([]);
    // Any sentence that talks about typing/sending a password must be a prohibition.
    const action = lang === 'fr' ? /(tape|écri|entre|saisi|envoie|donne|partage|inscri)/i : /(type|write|enter|send|share|give)/i;
    const password = lang === 'fr' ? /mot de passe/i : /password/i;
    const negation = lang === 'fr' ? /\b(ne|n'|jamais|personne)\b/i : /\b(never|don't|do not|no one)\b/i;
    for (const sentence of text.split(/(?<=[.!?])\s+|\n/)) {
      if (password.test(sentence) && action.test(sentence)) expect(sentence).toMatch(negation);
    }
  });

  it('when the route is unknown, then the card says what the bot can do and offers the menu and an agent', () => {
    const answer = card('unknown', lang);
    expect(allText(answer)).toContain(t('knowledge:unknown.text'));
    const verbs = actionsOf(answer, 'Action.Submit').map((a) => (a.data as Node).verb);
    expect(verbs).toEqual(expect.arrayContaining(['menu.help', 'menu.agent', 'menu.access']));
  });

  it('when the route is unknown a second time, then the agent comes first', () => {
    const answer = knowledgeAnswerCard('unknown', t, lang, WEDNESDAY_1005, 'card-2', { repeatedUnknown: true });
    expect((actionsOf(answer, 'Action.Submit')[0]!.data as Node).verb).toBe('menu.agent');
  });

  it('when the route is help, then every information route is a route.ask button carrying its route', () => {
    const answer = card('help', lang);
    const asks = nodes(answer).filter((n) => n.type === 'Action.Submit' && (n.data as Node).verb === 'route.ask');
    expect(asks.map((a) => (a.data as Node).route)).toEqual([...INFO_ROUTES]);
  });

  it('when a flow route is asked, then the card offers the button that starts the flow', () => {
    const verbs = (route: 'access.request' | 'access.withdraw' | 'request.status' | 'agent'): unknown[] =>
      actionsOf(card(route, lang), 'Action.Submit').map((a) => (a.data as Node).verb);
    expect(verbs('access.request')[0]).toBe('menu.access');
    expect(verbs('access.withdraw')[0]).toBe('menu.withdraw');
    expect(verbs('request.status')[0]).toBe('menu.status');
    expect(verbs('agent')[0]).toBe('menu.agent');
  });

  it('when the sample cards are parsed by the Adaptive Cards library, then they are valid 1.5 cards with verb and cardId on every submit', () => {
    for (const sample of [...answerSamples(t), ...helpSamples(t)]) {
      expect(sample.version).toBe('1.5');
      const context = new AC.SerializationContext(AC.Version.parse(sample.version));
      new AC.AdaptiveCard().parse(sample, context);
      const errors = Array.from({ length: context.eventCount }, (_, i) => context.getEventAt(i).message);
      expect(errors).toEqual([]);
      for (const block of nodes(sample).filter((n) => n.type === 'TextBlock')) expect(String(block.text ?? '').trim()).not.toBe('');
      for (const submit of nodes(sample).filter((n) => n.type === 'Action.Submit')) expect(submit.data).toMatchObject({ verb: expect.any(String), cardId: expect.any(String) });
      expect(JSON.stringify(sample)).not.toContain('${');
      expect(actionsOf({ ...sample, body: [] }, 'Action.OpenUrl').length + actionsOf({ ...sample, body: [] }, 'Action.Submit').length).toBeLessThanOrEqual(6);
    }
  });
});

describe('French comes first', () => {
  it('when the same route is answered in French and English, then the texts differ', () => {
    for (const route of INFO_ROUTES) expect(allText(card(route, 'fr'))).not.toBe(allText(card(route, 'en')));
  });
});
