import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEvalLines } from '../../domain/routing';
import { loadOrTrain, modelFingerprint, Router, TRAINING_SETS, type TrainingSet } from '../../domain/routing/classifier';
import { LANGS, type Lang } from '../../domain/i18n';

const DEV_SET = path.resolve(__dirname, '../../../shared/eval/routing-dev.jsonl');

/** A model as `npm run build` saves it: through JSON text. */
const saved = (router: Router, sets?: Record<Lang, TrainingSet>) => JSON.parse(JSON.stringify(router.toModel(sets))) as unknown;

describe('router model saved at build time', () => {
  let trained: Router;
  let loaded: Router;

  beforeAll(async () => {
    trained = await Router.train();
    loaded = (await Router.fromModel(saved(trained)))!;
  });

  it('when the saved model is loaded, then it answers every message exactly as the router trained at start-up would', async () => {
    const messages: [string, Lang | undefined][] = parseEvalLines(fs.readFileSync(DEV_SET, 'utf8')).map((l) => [l.text, l.locale.startsWith('en') ? 'en' : 'fr']);
    for (const lang of LANGS) {
      for (const utterances of Object.values(TRAINING_SETS[lang])) for (const u of utterances ?? []) messages.push([u, lang], [u.toUpperCase(), undefined]);
    }
    messages.push(['', 'fr'], ['🙂🙂', 'en'], ['mot de pass oubliee pour le registr', 'fr'], ['x'.repeat(900), undefined], ['Hello, j’ai besoin d’aide with my RAMQ code', 'en']);
    expect(loaded).toBeInstanceOf(Router);
    const differences: string[] = [];
    for (const [text, lang] of messages) {
      const [a, b] = [await trained.classify(text, lang), await loaded.classify(text, lang)];
      if (JSON.stringify(a) !== JSON.stringify(b)) differences.push(`${text}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`);
    }
    expect(messages.length).toBeGreaterThan(200);
    expect(differences).toEqual([]);
  });

  it('when a training utterance changed since the model was saved, then the model is refused (the router trains again)', async () => {
    const changed: Record<Lang, TrainingSet> = { ...TRAINING_SETS, fr: { ...TRAINING_SETS.fr, 'info.hours': [...(TRAINING_SETS.fr['info.hours'] ?? []), 'à quelle heure ouvre la ligne'] } };
    expect(modelFingerprint(changed)).not.toBe(modelFingerprint(TRAINING_SETS));
    expect(await Router.fromModel(saved(trained), changed)).toBeUndefined();
    expect(await Router.fromModel(saved(trained, changed), changed)).toBeInstanceOf(Router);
  });

  it.each([[null], ['not a model'], [{}], [{ fingerprint: 'f00', nlp: {} }]])('when the saved file holds %p, then it is refused', async (content) => {
    expect(await Router.fromModel(content)).toBeUndefined();
  });

  describe('loadOrTrain', () => {
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'router-model-'));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    afterEach(() => jest.restoreAllMocks());

    it('when the build saved a matching model, then start-up loads it and does not train', async () => {
      const file = path.join(dir, 'ok.json');
      fs.writeFileSync(file, JSON.stringify(trained.toModel()));
      const train = jest.spyOn(Router, 'train');
      const router = await loadOrTrain(file);
      expect(train).not.toHaveBeenCalled();
      expect(await router.classify('Quel est le numéro du soutien technique de la RAMQ?', 'fr')).toEqual(await trained.classify('Quel est le numéro du soutien technique de la RAMQ?', 'fr'));
    });

    it.each([
      ['missing', undefined],
      ['unreadable', '{ not json'],
      ['stale', JSON.stringify({ fingerprint: 'an older training set', nlp: {} })],
    ])('when the model file is %s, then the router trains', async (name, content) => {
      const file = path.join(dir, `${name}.json`);
      if (content !== undefined) fs.writeFileSync(file, content);
      const train = jest.spyOn(Router, 'train');
      const router = await loadOrTrain(file);
      expect(train).toHaveBeenCalledTimes(1);
      expect(router).toBeInstanceOf(Router);
    });
  });
});
