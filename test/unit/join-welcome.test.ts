import type { Activity, Attachment } from 'botbuilder';
import { joinWelcome } from '../../bot/helpdeskBot';

const welcome: Attachment = { contentType: 'application/vnd.microsoft.card.adaptive', content: { title: 'welcome' } };
const card = (title: string): Attachment => ({ contentType: 'application/vnd.microsoft.card.adaptive', content: { title } });

describe('joinWelcome: the welcome card rides with the first reply', () => {
  test('when the first message shows cards only, then the welcome goes at the head of its cards, in a list', () => {
    const batch: Partial<Activity>[] = [{ type: 'typing' }, { type: 'message', attachments: [card('triage')] }, { type: 'message', attachments: [card('later')] }];
    expect(joinWelcome(batch, welcome)).toBe('joined');
    expect(batch[1]!.attachments!.map((a) => a.content.title)).toEqual(['welcome', 'triage']);
    expect(batch[1]!.attachmentLayout).toBe('list');
    // Only the first message carries it.
    expect(batch[2]!.attachments!.map((a) => a.content.title)).toEqual(['later']);
    expect(batch).toHaveLength(3);
  });

  test('when an activity has no type, then it counts as a message (botbuilder sends it as one)', () => {
    const batch: Partial<Activity>[] = [{ attachments: [card('answer')] }];
    expect(joinWelcome(batch, welcome)).toBe('joined');
    expect(batch[0]!.attachments).toHaveLength(2);
  });

  test.each<[string, Partial<Activity>]>([
    ['text', { type: 'message', text: 'Rien à annuler.' }],
    ['text and a card', { type: 'message', text: 'Voici :', attachments: [card('answer')] }],
    ['spoken text', { type: 'message', speak: 'Bonjour', attachments: [card('answer')] }],
    ['a carousel', { type: 'message', attachmentLayout: 'carousel', attachments: [card('a'), card('b')] }],
  ])('when the first message holds %s, then it is left as is and the welcome goes before it', (_label, message) => {
    const batch: Partial<Activity>[] = [{ ...message }];
    expect(joinWelcome(batch, welcome)).toBe('before');
    expect(batch[0]).toEqual(message);
  });

  test('when the batch holds no message, then nothing is joined', () => {
    const batch: Partial<Activity>[] = [{ type: 'typing' }, { type: 'invokeResponse', value: { status: 200 } }];
    expect(joinWelcome(batch, welcome)).toBe('no message');
    expect(batch).toEqual([{ type: 'typing' }, { type: 'invokeResponse', value: { status: 200 } }]);
  });
});
