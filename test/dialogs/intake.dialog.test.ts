import { actionData, DialogHarness, inputIds, inputValues, lastCard, visibleText } from '../helpers/dialogHarness';

const YEAR = new Date().getUTCFullYear();

/** Fills a form card: keeps what the card shows, overrides with the given values, submits with the card's data. */
function fill(card: any, verb: string, values: Record<string, string>) {
  return { ...inputValues(card), ...values, ...actionData(card, verb) };
}

describe('access intake (French first)', () => {
  let h: DialogHarness;
  beforeEach(async () => {
    h = await DialogHarness.create({ locale: 'fr-CA' });
  });
  afterEach(async () => h.dispose());

  test('when a physician with a RAMQ code types their wish, then triage, form, summary and confirmation file one request with a reference', async () => {
    let replies = await h.say('je veux accéder au registre des DMA');
    expect(visibleText(replies)).toMatch(/Registre provincial des DMA/); // welcome first
    const triage = lastCard(replies);
    expect(inputIds(triage).sort()).toEqual(['hasRamqCode', 'requesterRole']);
    expect(visibleText(replies)).toMatch(/effacés après 365 jours/); // the privacy notice says how long it is kept

    replies = await h.submit(fill(triage, 'intake.triage', { requesterRole: 'physician', hasRamqCode: 'yes' }));
    const form = lastCard(replies);
    expect(inputIds(form).sort()).toEqual(['email', 'firstName', 'lastName', 'practiceLocation', 'ramqUserCode']);

    replies = await h.submit(
      fill(form, 'intake.submit', {
        lastName: 'Côté',
        firstName: 'Hélène',
        practiceLocation: 'Hôpital de l’Enfant-Jésus',
        email: 'Helene.Cote@ssss.gouv.qc.ca',
        ramqUserCode: 'hcote01',
      }),
    );
    const summary = lastCard(replies);
    expect(visibleText(replies)).toContain('Hélène');
    expect(visibleText(replies)).toContain('helene.cote@ssss.gouv.qc.ca');

    replies = await h.submit(actionData(summary, 'intake.confirm'));
    const text = visibleText(replies);
    expect(text).toMatch(new RegExp(`DMA-${YEAR}-00001`));
    expect(text).toMatch(/418/);
    const [request] = await h.requests.listMine(h.userId);
    expect(request).toMatchObject({ reference: `DMA-${YEAR}-00001`, kind: 'access_with_code', status: 'submitted', requesterRole: 'physician', lastName: 'Côté', ramqUserCode: 'hcote01', email: 'helene.cote@ssss.gouv.qc.ca' });
  });

  test('when a manager asks for a professional without a RAMQ code, then the supervisor authorization is required and recorded', async () => {
    await h.say('Bonjour');
    let replies = await h.submit({ verb: 'menu.access', cardId: 'menu' });
    replies = await h.submit(fill(lastCard(replies), 'intake.triage', { requesterRole: 'manager', hasRamqCode: 'no' }));
    const form = lastCard(replies);
    expect(inputIds(form).sort()).toEqual(['email', 'employeeNumber', 'firstName', 'jobTitle', 'lastName', 'practiceLocation', 'supervisorAuthorized']);

    const values = { lastName: 'Tremblay', firstName: 'Marc-André', employeeNumber: 'A12345', jobTitle: 'Infirmier clinicien', practiceLocation: 'CLSC Limoilou', email: 'marc-andre.tremblay@ssss.gouv.qc.ca' };
    replies = await h.submit(fill(form, 'intake.submit', { ...values, supervisorAuthorized: 'false' }));
    const again = lastCard(replies);
    expect(inputValues(again)).toMatchObject(values); // nothing lost
    expect(visibleText(replies)).toMatch(/autoris/i);

    replies = await h.submit(fill(again, 'intake.submit', { supervisorAuthorized: 'true' }));
    replies = await h.submit(actionData(lastCard(replies), 'intake.confirm'));
    expect(visibleText(replies)).toMatch(/DMA-\d{4}-\d{5}/);
    const [request] = await h.requests.listMine(h.userId);
    expect(request).toMatchObject({ kind: 'access_without_code', requesterRole: 'manager', supervisorAuthorized: true, authorizedBy: h.userId, employeeNumber: 'A12345' });
  });

  test('when the summary is edited, then the form comes back with every value kept', async () => {
    await h.say('Bonjour');
    let replies = await h.submit({ verb: 'menu.access', cardId: 'm' });
    replies = await h.submit(fill(lastCard(replies), 'intake.triage', { requesterRole: 'physician', hasRamqCode: 'yes' }));
    const values = { lastName: 'Roy', firstName: 'Anne', practiceLocation: 'CHUL', email: 'anne.roy@example.org', ramqUserCode: 'aroy1234' };
    replies = await h.submit(fill(lastCard(replies), 'intake.submit', values));
    replies = await h.submit(actionData(lastCard(replies), 'intake.edit'));
    expect(inputValues(lastCard(replies))).toMatchObject(values);
  });

  test('when the user cancels with a button or with « annuler », then nothing is filed', async () => {
    await h.say('Bonjour');
    let replies = await h.submit({ verb: 'menu.access', cardId: 'm' });
    replies = await h.submit(actionData(lastCard(replies), 'intake.cancel'));
    expect(visibleText(replies)).toMatch(/annulé/);
    replies = await h.submit({ verb: 'menu.access', cardId: 'm2' });
    replies = await h.say('annuler');
    expect(visibleText(replies)).toMatch(/annulé/);
    expect(await h.requests.listMine(h.userId)).toHaveLength(0);
  });

  test('when the same confirmation is submitted twice, then one request is filed and the second answer says « déjà soumise » with the same reference', async () => {
    await h.say('Bonjour');
    let replies = await h.submit({ verb: 'menu.access', cardId: 'm' });
    replies = await h.submit(fill(lastCard(replies), 'intake.triage', { requesterRole: 'physician', hasRamqCode: 'yes' }));
    replies = await h.submit(fill(lastCard(replies), 'intake.submit', { lastName: 'Roy', firstName: 'Anne', practiceLocation: 'CHUL', email: 'anne.roy@example.org', ramqUserCode: 'aroy1234' }));
    const confirm = actionData(lastCard(replies), 'intake.confirm');
    const first = await h.submit(confirm);
    const second = await h.submit(confirm);
    const reference = visibleText(first).match(/DMA-\d{4}-\d{5}/)![0];
    expect(visibleText(second)).toMatch(/déjà soumise/);
    expect(visibleText(second)).toContain(reference);
    expect(await h.requests.listMine(h.userId)).toHaveLength(1);
  });

  test('when cards arrive as Action.Execute invokes, then the intake works the same', async () => {
    await h.say('Bonjour');
    let replies = await h.execute('menu.access', { cardId: 'm' });
    let card = lastCard(replies);
    replies = await h.execute('intake.triage', fill(card, 'intake.triage', { requesterRole: 'physician', hasRamqCode: 'no' }));
    card = lastCard(replies);
    replies = await h.execute('intake.submit', fill(card, 'intake.submit', { lastName: 'Roy', firstName: 'Anne', employeeNumber: '123456', jobTitle: 'Médecin', practiceLocation: 'CHUL', email: 'anne.roy@example.org' }));
    replies = await h.execute('intake.confirm', actionData(lastCard(replies), 'intake.confirm'));
    expect(visibleText(replies)).toMatch(/DMA-\d{4}-\d{5}/);
    expect(visibleText(replies)).toMatch(/5 jours/);
  });
});

describe('withdrawal (supervisor)', () => {
  test('when a supervisor uses the menu, then the withdrawal form files a withdrawal request', async () => {
    const h = await DialogHarness.create({ locale: 'fr-CA' });
    try {
      await h.say('Bonjour');
      let replies = await h.submit({ verb: 'menu.withdraw', cardId: 'm' });
      const form = lastCard(replies);
      expect(inputIds(form).sort()).toEqual(['email', 'employeeNumber', 'firstName', 'jobTitle', 'lastName']);
      expect(visibleText(replies)).toMatch(/professionnels de la santé/);
      replies = await h.submit(fill(form, 'withdraw.submit', { lastName: 'Gagnon', firstName: 'Julie', employeeNumber: '998877', jobTitle: 'Travailleuse sociale', email: 'julie.gagnon@ssss.gouv.qc.ca' }));
      replies = await h.submit(actionData(lastCard(replies), 'intake.confirm'));
      expect(visibleText(replies)).toMatch(/DMA-\d{4}-\d{5}/);
      const [request] = await h.requests.listMine(h.userId);
      expect(request).toMatchObject({ kind: 'withdrawal', requesterRole: 'supervisor', status: 'submitted' });
    } finally {
      await h.dispose();
    }
  });
});

describe('access intake in English', () => {
  test('when the Teams locale is English, then every step speaks English and the request is filed', async () => {
    const h = await DialogHarness.create({ locale: 'en-US' });
    try {
      let replies = await h.say('I need access to the DMA registry');
      expect(visibleText(replies)).toMatch(/Hello/);
      replies = await h.submit(fill(lastCard(replies), 'intake.triage', { requesterRole: 'physician', hasRamqCode: 'yes' }));
      expect(visibleText(replies)).toMatch(/Last name|last name/);
      replies = await h.submit(fill(lastCard(replies), 'intake.submit', { lastName: 'Smith', firstName: 'Jane', practiceLocation: 'Jeffery Hale', email: 'jane.smith@example.org', ramqUserCode: 'jsmith99' }));
      replies = await h.submit(actionData(lastCard(replies), 'intake.confirm'));
      expect(visibleText(replies)).toMatch(/DMA-\d{4}-\d{5}/);
      expect(visibleText(replies)).not.toMatch(/Votre demande/);
    } finally {
      await h.dispose();
    }
  });
});

describe('restart in the middle of an intake', () => {
  test('when the bot restarts on the same database, then the intake resumes at the same step with the values kept', async () => {
    const first = await DialogHarness.create({ locale: 'fr-CA', userId: 'u-restart', conversationId: 'c-restart' });
    await first.say('Bonjour');
    let replies = await first.submit({ verb: 'menu.access', cardId: 'm' });
    replies = await first.submit(fill(lastCard(replies), 'intake.triage', { requesterRole: 'physician', hasRamqCode: 'yes' }));
    replies = await first.submit(fill(lastCard(replies), 'intake.submit', { lastName: 'Roy', firstName: '', practiceLocation: 'CHUL', email: 'anne.roy@example.org', ramqUserCode: 'aroy1234' }));
    const formWithError = lastCard(replies);

    // A new bot process: new handler, new adapter, same database, same conversation.
    const second = await DialogHarness.create({ locale: 'fr-CA', userId: 'u-restart', conversationId: 'c-restart', db: first.db });
    replies = await second.submit(fill(formWithError, 'intake.submit', { firstName: 'Anne' }));
    replies = await second.submit(actionData(lastCard(replies), 'intake.confirm'));
    expect(visibleText(replies)).toMatch(/DMA-\d{4}-\d{5}/);
    const [request] = await second.requests.listMine('u-restart');
    expect(request).toMatchObject({ lastName: 'Roy', firstName: 'Anne', practiceLocation: 'CHUL' });
    await first.dispose();
  });
});
