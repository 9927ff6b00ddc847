import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { openDatabase, type Database, type DatabaseProvider } from '../../data/db';
import { migrate } from '../../data/migrate';

/** Providers a test file should cover: SQLite always, PostgreSQL when TEST_POSTGRES_URL is set. */
export function providersUnderTest(): DatabaseProvider[] {
  return process.env.TEST_POSTGRES_URL ? ['sqlite', 'postgresql'] : ['sqlite'];
}

/** The provider the component tests run on in this run: PostgreSQL when TEST_POSTGRES_URL is set, else SQLite. */
export function mainProvider(): DatabaseProvider {
  return process.env.TEST_POSTGRES_URL ? 'postgresql' : 'sqlite';
}

export interface TestDatabaseUrl {
  url: string;
  drop(): Promise<void>;
}

/** Creates a fresh, empty database (a temp SQLite file, or a throwaway PostgreSQL database) and returns its URL. */
export async function createTestDatabaseUrl(provider: DatabaseProvider = mainProvider()): Promise<TestDatabaseUrl> {
  const suffix = `${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  if (provider === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helpdesk-test-'));
    const file = path.join(dir, `test_${suffix}.db`);
    return { url: `file:${file}`, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const adminUrl = process.env.TEST_POSTGRES_URL;
  if (!adminUrl) throw new Error('TEST_POSTGRES_URL is not set');
  const name = `helpdesk_test_${suffix}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A fresh migrated database, open, with a cleanup that closes and drops it. */
export async function createTestDatabase(provider: DatabaseProvider = mainProvider()): Promise<Database & { url: string; dispose(): Promise<void> }> {
  const target = await createTestDatabaseUrl(provider);
  const db = await openDatabase(target.url);
  await migrate(db);
  return {
    ...db,
    url: target.url,
    dispose: async () => {
      await db.close();
      await target.drop();
    },
  };
}
