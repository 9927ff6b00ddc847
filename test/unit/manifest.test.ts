// @microsoft/app-manifest require()s strip-bom 5, an ES module, which jest cannot load on Node 20 (Node itself can).
// We never read manifests through it, so a CommonJS stand-in is enough here.
jest.mock('strip-bom', () => (text: string) => text.replace(/^\uFEFF/, ''));

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import JSZip from 'jszip';
import {
  DEFAULT_URLS,
  LOCALIZATION_FILE,
  PACKAGE_FILES,
  PackageError,
  TEMPLATE_FILE,
  appVersion,
  buildManifest,
  checkIcons,
  escapeLoneBrackets,
  fillTemplate,
  newestBundledSchemaVersion,
  packageApp,
  readJson,
  validateLocalization,
  validateManifest,
  type JsonObject,
} from '../../scripts/package';
import { ICON_FILES, decodePng, drawColorIcon, drawOutlineIcon, encodePng } from '../../scripts/make-icons';

const ROOT = path.join(__dirname, '..', '..');
const APP_ID = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';
const ENV = { MicrosoftAppId: APP_ID, BOT_DOMAIN: 'helpdesk.example.org' };

interface Command {
  title: string;
  description?: string;
}
interface Bot {
  botId: string;
  scopes: string[];
  supportsFiles: boolean;
  commandLists: { scopes: string[]; commands: Command[] }[];
}
const bot = (m: JsonObject): Bot => (m.bots as Bot[])[0];
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'manifest-test-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('manifest template', () => {
  it('uses the newest manifest schema bundled with @microsoft/app-manifest, at least 1.17', () => {
    const template = readJson(TEMPLATE_FILE);
    const newest = newestBundledSchemaVersion();
    expect(template.manifestVersion).toBe(newest);
    expect(template.$schema).toBe(`https://developer.microsoft.com/json-schemas/teams/v${newest}/MicrosoftTeams.schema.json`);
    const [major, minor] = newest.split('.').map(Number);
    expect(major > 1 || minor >= 17).toBe(true);
  });

  it('when filled from a valid environment, then the ids, version and domains come from it and the schema passes', async () => {
    const manifest = buildManifest(ENV);
    expect(manifest.id).toBe(APP_ID);
    expect(bot(manifest).botId).toBe(APP_ID);
    expect((manifest.webApplicationInfo as { id: string }).id).toBe(APP_ID);
    expect(manifest.version).toBe(appVersion());
    expect(manifest.validDomains).toEqual(['helpdesk.example.org']);
    expect(JSON.stringify(manifest)).not.toContain('${{');
    expect(await validateManifest(manifest)).toEqual([]);
  });

  it('when BOT_DOMAIN is unset, then validDomains is empty and the developer URLs fall back to the defaults', async () => {
    const manifest = buildManifest({ MicrosoftAppId: APP_ID });
    expect(manifest.validDomains).toEqual([]);
    expect(manifest.developer).toMatchObject({
      name: 'CIUSSS de la Capitale-Nationale',
      websiteUrl: DEFAULT_URLS.APP_WEBSITE_URL,
      privacyUrl: DEFAULT_URLS.APP_PRIVACY_URL,
      termsOfUseUrl: DEFAULT_URLS.APP_TERMS_URL,
    });
    expect(await validateManifest(manifest)).toEqual([]);
  });

  it('when the URL settings are given, then the developer info uses them', () => {
    const manifest = buildManifest({
      ...ENV,
      APP_WEBSITE_URL: 'https://soutien.example.org/',
      APP_PRIVACY_URL: 'https://soutien.example.org/confidentialite',
      APP_TERMS_URL: 'https://soutien.example.org/conditions',
    });
    expect(manifest.developer).toMatchObject({
      websiteUrl: 'https://soutien.example.org/',
      privacyUrl: 'https://soutien.example.org/confidentialite',
      termsOfUseUrl: 'https://soutien.example.org/conditions',
    });
  });

  it.each([
    ['MicrosoftAppId is missing', {}, /MicrosoftAppId is not set/],
    ['MicrosoftAppId is blank', { MicrosoftAppId: '  ' }, /MicrosoftAppId is not set/],
    ['MicrosoftAppId is not a GUID', { MicrosoftAppId: 'my-bot' }, /MicrosoftAppId "my-bot" is not a GUID/],
    ['BOT_DOMAIN is a URL', { MicrosoftAppId: APP_ID, BOT_DOMAIN: 'https://bot.example.org/api' }, /BOT_DOMAIN .* is not a host name/],
    ['a developer URL is http', { MicrosoftAppId: APP_ID, APP_PRIVACY_URL: 'http://example.org' }, /APP_PRIVACY_URL .* is not an https/],
  ])('when %s, then building fails with a clear message', (_case, env, message) => {
    expect(() => buildManifest(env)).toThrow(PackageError);
    expect(() => buildManifest(env)).toThrow(message);
  });

  it('when the template uses a placeholder with no value, then filling fails and names it', () => {
    expect(() => fillTemplate({ a: 'x ${{NOPE}} y' }, {})).toThrow('${{NOPE}}');
  });

  it('is French by default, with the English file as additional language', () => {
    const manifest = buildManifest(ENV);
    expect(manifest.localizationInfo).toEqual({
      defaultLanguageTag: 'fr-CA',
      additionalLanguages: [{ languageTag: 'en', file: 'en.json' }],
    });
    expect(manifest.accentColor).toMatch(/^#[0-9A-Fa-f]{6}$/);
  });

  it('declares the bot in personal and team scopes, without files, with French commands and « file » in team scope', () => {
    const b = bot(buildManifest(ENV));
    expect(b.scopes).toEqual(['personal', 'team']);
    expect(b.supportsFiles).toBe(false);
    const titles = (scope: string) => b.commandLists.find((l) => l.scopes.includes(scope))?.commands.map((c) => c.title);
    expect(titles('personal')).toEqual(['menu', 'mes demandes', 'agent', 'aide']);
    expect(titles('team')).toEqual(['file', 'menu', 'mes demandes', 'agent', 'aide']);
    for (const list of b.commandLists) for (const c of list.commands) expect(c.description).toBeTruthy();
  });

  it('asks resource-specific consent to read the team’s channel messages (application permission)', () => {
    const manifest = buildManifest(ENV);
    expect(manifest.authorization).toEqual({
      permissions: { resourceSpecific: [{ name: 'ChannelMessage.Read.Group', type: 'Application' }] },
    });
  });

  it('when the short description is too long, then the schema refuses it with its message', async () => {
    const manifest = buildManifest(ENV);
    (manifest.description as { short: string }).short = 'x'.repeat(81);
    const problems = await validateManifest(manifest);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('/description/short must NOT have more than 80 characters');
  });

  it('when the bot id is not a GUID, then the schema refuses it with its message', async () => {
    const manifest = buildManifest(ENV);
    bot(manifest).botId = 'not-a-guid';
    const problems = await validateManifest(manifest);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('/bots/0/botId must match pattern');
  });

  it('when $schema is not a bundled schema, then validation says so instead of fetching it', async () => {
    const manifest = buildManifest(ENV);
    manifest.$schema = 'https://example.org/schema.json';
    expect(await validateManifest(manifest)).toEqual([expect.stringContaining('is not a Teams schema bundled')]);
  });
});

describe('English localization', () => {
  const english = () => readJson(LOCALIZATION_FILE);

  it('passes the bundled localization schema and translates every command of the manifest', async () => {
    expect(await validateLocalization(english(), buildManifest(ENV))).toEqual([]);
  });

  it('names the commands in English', () => {
    const en = english();
    expect(en['bots[0].commandLists[0].commands[1].title']).toBe('my requests');
    expect(en['bots[0].commandLists[0].commands[3].title']).toBe('help');
    expect(en['bots[0].commandLists[1].commands[0].title']).toBe('queue');
  });

  it('keeps both languages’ descriptions within the schema’s limits', () => {
    const manifest = buildManifest(ENV) as { description: { short: string; full: string } };
    const en = english();
    for (const short of [manifest.description.short, en['description.short'] as string]) expect(short.length).toBeLessThanOrEqual(80);
    for (const full of [manifest.description.full, en['description.full'] as string]) expect(full.length).toBeLessThanOrEqual(4000);
  });

  it('when its short description is too long, then the schema refuses it with its message', async () => {
    const en = english();
    en['description.short'] = 'y'.repeat(81);
    const problems = await validateLocalization(en);
    expect(problems).toEqual([expect.stringContaining('/description.short must NOT have more than 80 characters')]);
  });

  it('when a command is missing or unknown, then the cross-check reports it', async () => {
    const manifest = buildManifest(ENV);
    const en = english();
    delete en['bots[0].commandLists[1].commands[0].title'];
    en['bots[0].commandLists[0].commands[7].title'] = 'ghost';
    const problems = await validateLocalization(en, manifest);
    expect(problems).toEqual([
      'bots[0].commandLists[1].commands[0].title is not translated',
      'bots[0].commandLists[0].commands[7].title names a command the manifest does not have',
    ]);
  });

  it('escapes only the lone ] that unicode-mode patterns refuse', () => {
    const broken = '^activities.activityTypes\\[\\b([0-9]|1[0-9])\\b]\\.description$';
    expect(() => new RegExp(broken, 'u')).toThrow();
    const fixed = escapeLoneBrackets(broken);
    expect(fixed).toBe('^activities.activityTypes\\[\\b([0-9]|1[0-9])\\b\\]\\.description$');
    expect(new RegExp(fixed, 'u').test('activities.activityTypes[12].description')).toBe(true);
    expect(escapeLoneBrackets('^[a-z]+\\]$')).toBe('^[a-z]+\\]$');
  });
});

describe('icons', () => {
  const color = () => fs.readFileSync(ICON_FILES.color);
  const outline = () => fs.readFileSync(ICON_FILES.outline);

  it('are 192×192 (colour) and 32×32 (outline)', () => {
    expect(decodePng(color())).toMatchObject({ width: 192, height: 192 });
    expect(decodePng(outline())).toMatchObject({ width: 32, height: 32 });
    expect(checkIcons(color(), outline())).toEqual([]);
  });

  it('outline is white on transparent: visible pixels are pure white, and the corners are transparent', () => {
    const { data, width } = decodePng(outline());
    let visible = 0;
    for (let o = 0; o < data.length; o += 4) {
      if (data[o + 3] > 0) {
        visible++;
        expect([data[o], data[o + 1], data[o + 2]]).toEqual([255, 255, 255]);
      }
    }
    expect(visible).toBeGreaterThan(50);
    for (const [x, y] of [[0, 0], [31, 0], [0, 31], [31, 31], [16, 1]]) expect(data[(y * width + x) * 4 + 3]).toBe(0);
  });

  it('colour icon is opaque in its middle and uses more than one colour', () => {
    const { data } = decodePng(color());
    const colours = new Set<string>();
    for (let o = 0; o < data.length; o += 4) if (data[o + 3] === 255) colours.add(`${data[o]},${data[o + 1]},${data[o + 2]}`);
    expect(colours.size).toBeGreaterThan(3);
    expect(data[(96 * 192 + 96) * 4 + 3]).toBe(255);
  });

  it('committed PNGs are the ones scripts/make-icons.ts draws', () => {
    expect(decodePng(color()).data.equals(drawColorIcon().data)).toBe(true);
    expect(decodePng(outline()).data.equals(drawOutlineIcon().data)).toBe(true);
  });

  it('when an icon has the wrong size or the outline is coloured, then the check reports it', () => {
    const small = encodePng({ width: 32, height: 32, data: Buffer.alloc(32 * 32 * 4) });
    expect(checkIcons(small, outline())).toEqual(['color.png is 32×32; Teams needs 192×192']);
    const tinted = drawOutlineIcon();
    const o = tinted.data.findIndex((_, i) => i % 4 === 3 && tinted.data[i] === 255) - 3;
    tinted.data[o + 2] = 0; // one visible pixel turns yellow
    expect(checkIcons(color(), encodePng(tinted))).toEqual(['outline.png has 1 visible pixel(s) that are not pure white']);
    const opaque = encodePng({ width: 32, height: 32, data: Buffer.alloc(32 * 32 * 4, 255) });
    expect(checkIcons(color(), opaque)).toEqual(['outline.png has no transparent pixel: it must be white on a transparent background']);
  });
});

describe('app package', () => {
  it('contains exactly manifest.json, en.json, color.png and outline.png, with the filled manifest', async () => {
    const outFile = path.join(tmp, 'direct', 'appPackage.zip');
    const { manifest } = await packageApp({ env: ENV, outFile });
    const zip = await JSZip.loadAsync(fs.readFileSync(outFile));
    const names = Object.values(zip.files).filter((f) => !f.dir).map((f) => f.name);
    expect(names.sort()).toEqual([...PACKAGE_FILES].sort());
    expect(JSON.parse(await zip.file('manifest.json')!.async('string'))).toEqual(manifest);
    expect(JSON.parse(await zip.file('en.json')!.async('string'))).toEqual(readJson(LOCALIZATION_FILE));
    expect((await zip.file('color.png')!.async('nodebuffer')).equals(fs.readFileSync(ICON_FILES.color))).toBe(true);
    expect((await zip.file('outline.png')!.async('nodebuffer')).equals(fs.readFileSync(ICON_FILES.outline))).toBe(true);
  });

  it('when the manifest is invalid, then nothing is written and every schema message is listed', async () => {
    const broken = clone(readJson(TEMPLATE_FILE));
    (broken.description as { short: string }).short = 'z'.repeat(90);
    (broken.bots as Bot[])[0].botId = 'not-a-guid';
    const manifestFile = path.join(tmp, 'broken-direct.json');
    fs.writeFileSync(manifestFile, JSON.stringify(broken));
    const outFile = path.join(tmp, 'never', 'appPackage.zip');
    const failure = packageApp({ env: ENV, manifestFile, outFile });
    await expect(failure).rejects.toThrow(PackageError);
    await expect(packageApp({ env: ENV, manifestFile, outFile })).rejects.toMatchObject({
      problems: expect.arrayContaining([
        expect.stringContaining('manifest.json: /description/short must NOT have more than 80 characters'),
        expect.stringContaining('manifest.json: /bots/0/botId must match pattern'),
      ]),
    });
    expect(fs.existsSync(outFile)).toBe(false);
  });
});

describe('npm run package (CLI through a child process)', () => {
  const run = (args: string[], env: Record<string, string>) => {
    const baseEnv = { ...process.env };
    for (const name of ['MicrosoftAppId', 'BOT_DOMAIN', 'APP_WEBSITE_URL', 'APP_PRIVACY_URL', 'APP_TERMS_URL']) delete baseEnv[name];
    return spawnSync('npx', ['tsx', 'scripts/package.ts', ...args], { cwd: ROOT, env: { ...baseEnv, ...env }, encoding: 'utf8' });
  };

  it('when the environment is valid, then it exits 0 and writes the zip', () => {
    const outFile = path.join(tmp, 'cli', 'appPackage.zip');
    const result = run(['--out', outFile], ENV);
    expect(result.stderr).not.toMatch(/not valid|failed/i);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('manifest.json, en.json, color.png, outline.png');
    expect(fs.existsSync(outFile)).toBe(true);
  }, 60_000);

  it('when fed a broken manifest, then it exits non-zero printing the schema’s message', () => {
    const broken = clone(readJson(TEMPLATE_FILE));
    (broken.description as { short: string }).short = 'z'.repeat(81);
    const manifestFile = path.join(tmp, 'broken-cli.json');
    fs.writeFileSync(manifestFile, JSON.stringify(broken));
    const outFile = path.join(tmp, 'cli-broken', 'appPackage.zip');
    const result = run(['--manifest', manifestFile, '--out', outFile], ENV);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('/description/short must NOT have more than 80 characters');
    expect(fs.existsSync(outFile)).toBe(false);
  }, 60_000);

  it('when MicrosoftAppId is not a GUID, then it exits non-zero with a clear message', () => {
    const result = run(['--out', path.join(tmp, 'cli-bad-id', 'appPackage.zip')], { MicrosoftAppId: 'not-a-guid' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('MicrosoftAppId "not-a-guid" is not a GUID');
  }, 60_000);
});
