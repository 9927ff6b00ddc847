import { StatementBatcher } from '../../data/statementBatcher';

interface Item {
  id: string;
  keys: string[];
}

/** A runner that records its batches and answers each item with its id, resolving when told to (or at once). */
function recorder(options: { hold?: boolean; fail?: (items: readonly Item[]) => Error | undefined } = {}) {
  const batches: string[][] = [];
  const held: (() => void)[] = [];
  const run = async (items: readonly Item[]): Promise<string[]> => {
    batches.push(items.map((i) => i.id));
    if (options.hold) await new Promise<void>((resolve) => held.push(resolve));
    const error = options.fail?.(items);
    if (error) throw error;
    return items.map((i) => `done ${i.id}`);
  };
  const releaseAll = async () => {
    while (held.length > 0) {
      held.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { batches, run, releaseAll, held };
}

const item = (id: string, ...keys: string[]): Item => ({ id, keys: keys.length > 0 ? keys : [id] });

describe('StatementBatcher', () => {
  test('what one tick adds goes as one batch, each caller getting its own outcome', async () => {
    const r = recorder();
    const batcher = new StatementBatcher(r.run, { keysOf: (i: Item) => i.keys, maxBatch: 10, retryAlone: false });
    const outcomes = await Promise.all([batcher.add(item('a')), batcher.add(item('b')), batcher.add(item('c'))]);
    expect(outcomes).toEqual(['done a', 'done b', 'done c']);
    expect(r.batches).toEqual([['a', 'b', 'c']]);
  });

  test('a quiet batcher sends at once; what comes while a batch is under way waits and goes together in the next', async () => {
    const r = recorder({ hold: true });
    const batcher = new StatementBatcher(r.run, { keysOf: (i: Item) => i.keys, maxBatch: 10, retryAlone: false });
    const first = batcher.add(item('a'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.batches).toEqual([['a']]);
    const later = [batcher.add(item('b')), batcher.add(item('c'))];
    await new Promise((resolve) => setImmediate(resolve));
    const more = batcher.add(item('d'));
    await new Promise((resolve) => setImmediate(resolve));
    // Nothing else is sent while the first batch is under way.
    expect(r.batches).toEqual([['a']]);
    await r.releaseAll();
    expect(await first).toBe('done a');
    expect(await Promise.all([...later, more])).toEqual(['done b', 'done c', 'done d']);
    expect(r.batches).toEqual([['a'], ['b', 'c', 'd']]);
  });

  test('items of a key already in the batch wait for the next one, and no later item of that key overtakes them', async () => {
    const r = recorder();
    const batcher = new StatementBatcher(r.run, { keysOf: (i: Item) => i.keys, maxBatch: 10, retryAlone: false });
    await Promise.all([
      batcher.add(item('a1', 'a')),
      batcher.add(item('b1', 'b')),
      batcher.add(item('a2', 'a', 'c')),
      batcher.add(item('c1', 'c')),
      batcher.add(item('d1', 'd')),
      batcher.add(item('a3', 'a')),
    ]);
    expect(r.batches).toEqual([
      ['a1', 'b1', 'd1'],
      ['a2'],
      ['c1', 'a3'],
    ]);
  });

  test('a batch carries at most maxBatch items, in the order they came', async () => {
    const r = recorder();
    const batcher = new StatementBatcher(r.run, { keysOf: (i: Item) => i.keys, maxBatch: 2, retryAlone: false });
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => batcher.add(item(id))));
    expect(r.batches).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  test('an item that does not fit the batch as it stands waits for the next one, and later items of its keys with it', async () => {
    const r = recorder();
    // At most one "big" item per batch.
    const batcher = new StatementBatcher(r.run, {
      keysOf: (i: Item) => i.keys,
      maxBatch: 10,
      fits: (batch, i) => !i.id.startsWith('big') || !batch.some((b) => b.id.startsWith('big')),
      retryAlone: false,
    });
    await Promise.all([batcher.add(item('big1')), batcher.add(item('big2', 'x')), batcher.add(item('a')), batcher.add(item('x1', 'x'))]);
    expect(r.batches).toEqual([
      ['big1', 'a'],
      ['big2'],
      ['x1'],
    ]);
  });

  test('a batch under way for longer than stallMs no longer holds up the others, but items of its keys still wait for it', async () => {
    // The stall timer runs on a fake clock (a loaded machine would otherwise stretch the test's own waits past it);
    // nextTick and setImmediate stay real, so the batcher's scheduling and the promises run as they do.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    try {
      const r = recorder({ hold: true });
      const batcher = new StatementBatcher(r.run, { keysOf: (i: Item) => i.keys, maxBatch: 10, retryAlone: false, stallMs: 30 });
      const slow = batcher.add(item('slow', 'k'));
      await settle();
      const sameKey = batcher.add(item('same', 'k'));
      const other = batcher.add(item('other'));
      jest.advanceTimersByTime(29);
      await settle();
      // Not stalled yet: nothing else went.
      expect(r.batches).toEqual([['slow']]);
      jest.advanceTimersByTime(1);
      await settle();
      // Stalled: the next batch went without the item of the slow batch's key.
      expect(r.batches).toEqual([['slow'], ['other']]);
      r.held[1]!();
      expect(await other).toBe('done other');
      expect(r.batches).toEqual([['slow'], ['other']]);
      r.held[0]!();
      expect(await slow).toBe('done slow');
      await settle();
      expect(r.batches).toEqual([['slow'], ['other'], ['same']]);
      r.held[2]!();
      expect(await sameKey).toBe('done same');
    } finally {
      jest.useRealTimers();
    }
  });

  test('an item run alone goes at once in a statement of its own, while a batch is under way, and gets its own outcome', async () => {
    const r = recorder({ hold: true });
    const batcher = new StatementBatcher(r.run, { keysOf: (i: Item) => i.keys, maxBatch: 10, retryAlone: false });
    const first = batcher.add(item('first', 'k'));
    await new Promise((resolve) => setImmediate(resolve));
    const waiting = batcher.add(item('waiting'));
    const alone = batcher.alone(item('alone', 'k'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.batches).toEqual([['first'], ['alone']]);
    r.held[1]!();
    expect(await alone).toBe('done alone');
    await r.releaseAll();
    expect(await first).toBe('done first');
    expect(await waiting).toBe('done waiting');
    expect(r.batches).toEqual([['first'], ['alone'], ['waiting']]);
  });

  test('without retryAlone, a failed batch fails every caller in it with its error, and the next batch still goes', async () => {
    const boom = new Error('boom');
    const r = recorder({ fail: (items) => (items.some((i) => i.id === 'bad') ? boom : undefined) });
    const batcher = new StatementBatcher(r.run, { keysOf: (i: Item) => i.keys, maxBatch: 10, retryAlone: false });
    const results = await Promise.allSettled([batcher.add(item('a')), batcher.add(item('bad'))]);
    expect(results).toEqual([
      { status: 'rejected', reason: boom },
      { status: 'rejected', reason: boom },
    ]);
    expect(await batcher.add(item('c'))).toBe('done c');
    expect(r.batches).toEqual([['a', 'bad'], ['c']]);
  });

  test('with retryAlone, a failed batch runs again one item at a time: only the bad item fails', async () => {
    const r = recorder({ fail: (items) => (items.some((i) => i.id === 'bad') ? new Error(`failed ${items.length}`) : undefined) });
    const batcher = new StatementBatcher(r.run, { keysOf: (i: Item) => i.keys, maxBatch: 10, retryAlone: true });
    const results = await Promise.allSettled([batcher.add(item('a')), batcher.add(item('bad')), batcher.add(item('b'))]);
    expect(results.map((x) => (x.status === 'fulfilled' ? x.value : (x.reason as Error).message))).toEqual(['done a', 'failed 1', 'done b']);
    expect(r.batches).toEqual([['a', 'bad', 'b'], ['a'], ['bad'], ['b']]);
  });

  test('a runner that returns the wrong number of outcomes fails its batch instead of mixing outcomes up', async () => {
    const batcher = new StatementBatcher(async (items: readonly Item[]) => items.slice(1).map((i) => i.id), {
      keysOf: (i: Item) => i.keys,
      maxBatch: 10,
      retryAlone: false,
    });
    await expect(Promise.all([batcher.add(item('a')), batcher.add(item('b'))])).rejects.toThrow('a batch of 2 returned 1 outcomes');
  });

  test('maxBatch below 1 is refused', () => {
    expect(() => new StatementBatcher(async () => [], { keysOf: () => [], maxBatch: 0, retryAlone: false })).toThrow(RangeError);
  });
});
