import { firstNameOf, isAgentEndCommand, isUserLeaveCommand, plainMentions, previewText } from '../../domain/handoff/text';

describe('what the agents’ card previews', () => {
  test.each([
    ['mon courriel est sophie.gagnon@example.org', 'mon courriel est […@…]'],
    ['appelez-moi au 418 555-0101 svp', 'appelez-moi au [###] svp'],
    ['mon numéro d’employé est 123456', 'mon numéro d’employé est [###]'],
    ['mon code usager RAMQ est sgagn042', 'mon code usager RAMQ est [###]'],
    ['ma demande DMA-2026-00012 avance?', 'ma demande [###] avance?'],
    ['je ne reçois pas le courriel de la RAMQ', 'je ne reçois pas le courriel de la RAMQ'],
  ])('when the user wrote « %s », then the card shows « %s »', (text, preview) => {
    expect(previewText(text)).toBe(preview);
  });

  test('when a message is very long, then the preview is one shortened line', () => {
    const preview = previewText(`${'mot '.repeat(200)}\n\nfin`);
    expect(preview.length).toBeLessThanOrEqual(280);
    expect(preview).not.toContain('\n');
    expect(preview.endsWith('…')).toBe(true);
  });
});

describe('how agents and commands are read', () => {
  test.each([
    ['Marie Tremblay', 'Marie'],
    ['Tremblay, Marie', 'Marie'],
    ['Jean-François Roy (CIUSSSCN)', 'Jean-François'],
    ['', undefined],
    [null, undefined],
  ])('when the agent’s display name is %p, then the user sees %p', (name, first) => {
    expect(firstNameOf(name)).toBe(first);
  });

  test.each(['annuler', 'Annuler.', 'terminer', 'Terminer!', 'fin', 'quitter la file', 'cancel', 'END'])('when the user types « %s », then it leaves the handoff', (text) => {
    expect(isUserLeaveCommand(text)).toBe(true);
  });

  test.each(['je veux annuler ma demande', 'terminé mon inscription?', 'fine'])('when the user types « %s », then it is relayed, not a command', (text) => {
    expect(isUserLeaveCommand(text)).toBe(false);
  });

  test.each([['/fin', true], ['/FIN', true], [' /end ', true], ['/fin merci', false], ['fin', false]])('when an agent types « %s », then ending is %p', (text, ends) => {
    expect(isAgentEndCommand(text as string)).toBe(ends);
  });

  test('when a relayed message mentions someone, then only the name is kept', () => {
    expect(plainMentions('Voir avec <at>Luc Roy</at>  demain')).toBe('Voir avec Luc Roy demain');
  });
});
