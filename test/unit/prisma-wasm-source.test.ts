import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { releasePrismaWasmSource } from '../../bot/services/prismaWasmSource';

describe("Prisma's wasm source released after start-up", () => {
  test('when only the wasm base64 modules are dropped, then the cache and the importers keep every other module', () => {
    const wasm = { exports: { wasm: 'AGFzbQ' } };
    const other = { exports: {} };
    const importer = { exports: {}, children: [other, wasm] };
    const cache: Record<string, { exports?: unknown; children?: unknown[] } | undefined> = {
      '/app/node_modules/@prisma/client/runtime/query_compiler_fast_bg.sqlite.wasm-base64.js': wasm,
      '/app/node_modules/@prisma/client/runtime/query_compiler_fast_bg.sqlite.js': other,
      '/app/generated/prisma-sqlite/internal/class.js': importer,
    };
    expect(releasePrismaWasmSource(cache as never)).toBe(1);
    expect(Object.keys(cache)).toEqual(['/app/node_modules/@prisma/client/runtime/query_compiler_fast_bg.sqlite.js', '/app/generated/prisma-sqlite/internal/class.js']);
    expect(importer.children).toEqual([other]);
    expect(releasePrismaWasmSource(cache as never)).toBe(0);
  });

  test('when the module was released after the first queries, then the same client and a new client of the same provider still query', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasm-source-'));
    const script = `
      const { openDatabase } = require('./data/db');
      const { migrate } = require('./data/migrate');
      const { releasePrismaWasmSource } = require('./bot/services/prismaWasmSource');
      const loaded = () => Object.keys(require.cache).some((f) => f.endsWith('.wasm-base64.js'));
      (async () => {
        const first = await openDatabase('file:${path.join(dir, 'a.db')}');
        await migrate(first);
        const before = await first.prisma.accessRequest.count();
        const loadedBefore = loaded();
        const released = releasePrismaWasmSource();
        const loadedAfter = loaded();
        const after = await first.prisma.accessRequest.count();
        const second = await openDatabase('file:${path.join(dir, 'b.db')}');
        await migrate(second);
        const other = await second.prisma.accessRequest.count();
        await first.close();
        await second.close();
        process.stdout.write(JSON.stringify({ loadedBefore, released, loadedAfter, counts: [before, after, other] }));
      })().catch((err) => { process.stderr.write(String(err && err.stack || err)); process.exit(1); });`;
    try {
      const out = execFileSync(process.execPath, ['--no-deprecation', '--import', 'tsx', '-e', script], {
        cwd: path.resolve(__dirname, '..', '..'),
        env: { ...process.env, NODE_ENV: 'test' },
        encoding: 'utf8',
      });
      expect(JSON.parse(out)).toEqual({ loadedBefore: true, released: 1, loadedAfter: false, counts: [0, 0, 0] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
