import { DialogHarness, inputIds, inputValues, lastCard, actionData, visibleText } from '../helpers/dialogHarness';

/** [what the user types, what the answer must contain] per route, French then English. */
const TABLE: [string, string, string, RegExp][] = [
  ['fr', 'support.registration', 'mon code secret est expiré, je fais quoi?', /418 821-1743/],
  ['fr', 'support.ramq_technical', 'je suis inscrite mais mon compte RAMQ est verrouillé', /418 643-8210/],
  ['fr', 'info.hours', 'est-ce ouvert mercredi à 9 h?', /418 780-4208/],
  ['fr', 'info.credentials_email', 'pourquoi il faut deux adresses courriel différentes?', /partag/],
  ['fr', 'info.password_rules', "c'est quoi les règles du mot de passe", /8 caractères/],
  ['fr', 'info.b2b_forms', 'comment remplir le formulaire 4058 B2B', /4058/],
  ['fr', 'info.rvsq', 'comment ajouter un employé dans RVSQ', /Rendez-vous santé Québec/],
  ['fr', 'agent', 'je veux parler à une personne', /418 821-1743/],
  ['en', 'support.registration', 'my secret code expired, what do I do?', /418 821-1743/],
  ['en', 'support.ramq_technical', 'my RAMQ account is locked after registration', /418 643-8210/],
  ['en', 'info.hours', 'what are the RAMQ phone hours', /418 780-4208/],
  ['en', 'info.credentials_email', 'can I use a shared mailbox for the credentials email?', /shared/],
  ['en', 'info.password_rules', 'what are the password rules', /8 characters/],
  ['en', 'info.b2b_forms', 'where do I send the B2B form 4058', /4058/],
  ['en', 'info.rvsq', 'how do I add an employee to RVSQ', /Rendez-vous santé Québec/],
  ['en', 'agent', 'talk to a human', /418 821-1743/],
];

describe.each(TABLE)('routing in %s: %s', (lang, route, text, expected) => {
  test(`when the user types « ${text} », then the answer carries the right facts`, async () => {
    const h = await DialogHarness.create({ locale: lang === 'fr' ? 'fr-CA' : 'en-CA' });
    try {
      await h.say(lang === 'fr' ? 'Bonjour' : 'Hello');
      const replies = await h.say(text);
      expect(visibleText(replies)).toMatch(expected);
      const card = lastCard(replies);
      const tel = JSON.stringify(card ?? {}).match(/tel:\+1\d{10}/g) ?? [];
      if (route.startsWith('support.') || route === 'info.hours') expect(tel.length).toBeGreaterThan(0);
    } finally {
      await h.dispose();
    }
  });
});

describe('routes that start a flow', () => {
  let h: DialogHarness;
  beforeEach(async () => {
    h = await DialogHarness.create({ locale: 'fr-CA' });
    await h.say('Bonjour');
  });
  afterEach(async () => h.dispose());

  test('when the user asks for access in words, then the triage starts', async () => {
    expect(inputIds(lastCard(await h.say("j'aimerais avoir accès au registre des directives médicales anticipées")))).toContain('requesterRole');
  });
  test('when the user asks to remove a professional’s access, then the withdrawal form starts', async () => {
    expect(inputIds(lastCard(await h.say("je dois retirer l'accès au registre d'une infirmière qui a quitté")))).toContain('employeeNumber');
  });
  test('when the user asks where their request stands, then their requests are shown', async () => {
    expect(visibleText(await h.say('où en est ma demande?'))).toMatch(/demande/i);
  });
  test('when the user greets or asks for help, then the menu of questions is shown', async () => {
    const replies = await h.say('aide');
    expect(JSON.stringify(lastCard(replies))).toMatch(/route\.ask|menu\./);
  });
  test('when the bot fails to understand twice in a row, then it proposes an agent directly', async () => {
    const first = await h.say('quelle est la meilleure poutine en ville');
    const second = await h.say('le chat de ma voisine est orange');
    expect(JSON.stringify(lastCard(first))).toMatch(/menu\.agent/);
    const secondCard = lastCard(second);
    const verbs = (secondCard.actions ?? []).map((a: any) => a.data?.verb);
    expect(verbs[0]).toBe('menu.agent');
  });
});

describe('questions in the middle of an intake', () => {
  test('when a question is asked mid-form, then it is answered and the form comes back with the values kept', async () => {
    const h = await DialogHarness.create({ locale: 'fr-CA' });
    try {
      await h.say('Bonjour');
      let replies = await h.submit({ verb: 'menu.access', cardId: 'm' });
      replies = await h.submit({ ...actionData(lastCard(replies), 'intake.triage'), requesterRole: 'physician', hasRamqCode: 'yes' });
      replies = await h.submit({ ...actionData(lastCard(replies), 'intake.submit'), lastName: 'Roy', firstName: 'Anne', practiceLocation: 'CHUL', email: 'pas-un-courriel', ramqUserCode: 'aroy1234' });
      replies = await h.say('quelles sont les heures de la RAMQ?');
      expect(visibleText(replies)).toMatch(/418 780-4208/);
      const form = lastCard(replies);
      expect(inputValues(form)).toMatchObject({ lastName: 'Roy', firstName: 'Anne', practiceLocation: 'CHUL', ramqUserCode: 'aroy1234' });
      replies = await h.submit({ ...inputValues(form), ...actionData(form, 'intake.submit'), email: 'anne.roy@example.org' });
      replies = await h.submit(actionData(lastCard(replies), 'intake.confirm'));
      expect(visibleText(replies)).toMatch(/DMA-\d{4}-\d{5}/);
    } finally {
      await h.dispose();
    }
  });

  test('when the user types something that looks like a secret code, then the bot warns and the intake is untouched', async () => {
    const h = await DialogHarness.create({ locale: 'fr-CA' });
    try {
      await h.say('Bonjour');
      await h.submit({ verb: 'menu.access', cardId: 'm' });
      const replies = await h.say('mon code secret est ihv2T7sD');
      expect(visibleText(replies)).toMatch(/ne partagez jamais/);
      const state = await h.db.prisma.botStateItem.findMany();
      expect(JSON.stringify(state)).not.toContain('ihv2T7sD');
    } finally {
      await h.dispose();
    }
  });
});

describe('dialog contexts', () => {
  test('when several turns run, then botbuilder-dialogs gathers its memory scopes only once, and the intake still goes on', async () => {
    const { ComponentRegistration } = await import('botbuilder-core');
    const h = await DialogHarness.create({ locale: 'fr-CA' });
    const scans = jest.spyOn(ComponentRegistration, 'components', 'get');
    try {
      await h.say('Bonjour');
      await h.submit({ verb: 'menu.access', cardId: 'menu' });
      const afterFirstContexts = scans.mock.calls.length;
      expect(afterFirstContexts).toBeGreaterThan(0); // the spy sees botbuilder's scan
      const answer = visibleText(await h.say('quelles sont les heures du soutien technique de la RAMQ?'));
      expect(answer).toMatch(/418 643-8210|418-643-8210/);
      const card = lastCard(await h.submit({ verb: 'menu.access', cardId: 'menu' }));
      expect(inputIds(card).length).toBeGreaterThan(0);
      expect(scans.mock.calls.length).toBe(afterFirstContexts);
    } finally {
      scans.mockRestore();
      await h.dispose();
    }
  });
});
