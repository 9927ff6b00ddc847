#!/usr/bin/env node
/**
 * Generates one Prisma client per provider from the single source schema prisma/schema.prisma.
 * The PostgreSQL schema is derived (only provider and output differ) into generated/schema.postgresql.prisma.
 * Prisma's CLI tries to download a schema engine it does not need for `generate`; pointing
 * PRISMA_SCHEMA_ENGINE_BINARY at an existing file stops that (see shared stack notes).
 */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const source = path.join(root, 'prisma', 'schema.prisma');
const generatedDir = path.join(root, 'generated');
fs.mkdirSync(generatedDir, { recursive: true });

const sqliteSchema = path.join(generatedDir, 'schema.sqlite.prisma');
const pgSchema = path.join(generatedDir, 'schema.postgresql.prisma');
const text = fs.readFileSync(source, 'utf8');
const fixOutput = (t, dir) => t.replace(/output\s*=\s*"[^"]*"/, `output              = "./${dir}"`);
fs.writeFileSync(sqliteSchema, fixOutput(text, 'prisma-sqlite'));
fs.writeFileSync(
  pgSchema,
  fixOutput(text, 'prisma-postgresql').replace(/provider\s*=\s*"sqlite"/, 'provider = "postgresql"'),
);

// Skip when the generated clients are newer than the source schema (keeps `npm start` quick).
const stamp = path.join(generatedDir, '.stamp');
const upToDate =
  fs.existsSync(stamp) &&
  fs.readFileSync(stamp, 'utf8') === text &&
  fs.existsSync(path.join(generatedDir, 'prisma-sqlite', 'client.ts')) &&
  fs.existsSync(path.join(generatedDir, 'prisma-postgresql', 'client.ts'));
if (upToDate && !process.argv.includes('--force')) process.exit(0);

const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY || !fs.existsSync(env.PRISMA_SCHEMA_ENGINE_BINARY)) {
  env.PRISMA_SCHEMA_ENGINE_BINARY = source; // any existing file will do for `generate`
}
const cli = require.resolve('prisma/build/index.js', { paths: [root] });
for (const schema of [sqliteSchema, pgSchema]) {
  execFileSync(process.execPath, [cli, 'generate', '--schema', schema], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
}
fs.writeFileSync(stamp, text);
