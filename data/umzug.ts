import Module from 'node:module';

/**
 * umzug without its command-line interface.
 * @remarks umzug's index and its Umzug class load `./cli` eagerly, and with it `@rushstack/ts-command-line` (about 130
 * modules and 15 MiB of resident memory) for the `runAsCLI()` method, which the bot never calls. A stand-in for that
 * one module is put in Node's module cache first; everything else is umzug as published. Calling the CLI throws.
 * test/unit/startup-footprint.test.ts checks that the CLI stays out and test/unit/migrate tests that migrations run.
 */
const cliPath = require.resolve('umzug/lib/cli');
if (!require.cache[cliPath]) {
  const standIn = new Module(cliPath);
  standIn.filename = cliPath;
  standIn.loaded = true;
  standIn.exports = {
    UmzugCLI: class UmzugCLI {
      constructor() {
        throw new Error("umzug's command-line interface is not part of the bot");
      }
    },
  };
  require.cache[cliPath] = standIn;
}

// Required after the stand-in is in place (an import statement would be hoisted above it).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const umzug = require('umzug') as typeof import('umzug');

export const Umzug = umzug.Umzug;
export type { UmzugStorage } from 'umzug';
