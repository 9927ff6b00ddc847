import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * What loading the bot pulls into memory. Heavy packages the bot does not need to start stay out: each costs
 * resident memory for as long as the process lives, and start-up time (docs/PERFORMANCE.md).
 */
describe('start-up footprint', () => {
  test('when the app module is loaded, then the unused parts of botbuilder-dialogs, the templating library, the holiday rules and the command line of umzug stay unloaded', () => {
    const script = `
      require('./bot/app');
      const loaded = Object.keys(require.cache);
      const has = (part) => loaded.some((file) => file.includes(part));
      process.stdout.write(JSON.stringify({
        'botbuilder-dialogs index (prompts, recognizers)': has('botbuilder-dialogs/lib/index.js'),
        '@microsoft/recognizers-text': has('@microsoft/recognizers-text'),
        'adaptivecards-templating': has('adaptivecards-templating'),
        'adaptive-expressions': has('adaptive-expressions'),
        'date-holidays': has('date-holidays'),
        "umzug's command line (@rushstack)": has('@rushstack/'),
        'umzug (needed)': has('node_modules/umzug/'),
        'botbuilder (needed)': has('node_modules/botbuilder/'),
      }));`;
    const out = execFileSync(process.execPath, ['--no-deprecation', '--import', 'tsx', '-e', script], {
      cwd: path.resolve(__dirname, '..', '..'),
      env: { ...process.env, NODE_ENV: 'test' },
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({
      'botbuilder-dialogs index (prompts, recognizers)': false,
      '@microsoft/recognizers-text': false,
      'adaptivecards-templating': false,
      'adaptive-expressions': false,
      'date-holidays': false,
      "umzug's command line (@rushstack)": false,
      'umzug (needed)': true,
      'botbuilder (needed)': true,
    });
  });
});
