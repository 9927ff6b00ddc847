/**
 * Builds the Teams app package: fills manifest/manifest.template.json from the environment, validates it and
 * its localization against the schemas bundled with @microsoft/app-manifest (offline), checks the icons, and
 * writes build/appPackage.zip.
 *
 * Usage: `npm run package` (env: MicrosoftAppId required; BOT_DOMAIN, APP_WEBSITE_URL, APP_PRIVACY_URL,
 * APP_TERMS_URL optional), or `npx tsx scripts/package.ts [--manifest FILE] [--localization FILE] [--out FILE]`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import JSZip from 'jszip';
import isFQDN from 'validator/lib/isFQDN';
import isURL from 'validator/lib/isURL';
import { AppManifestUtils, type AppManifest } from '@microsoft/app-manifest';
import { decodePng, type RgbaImage } from './make-icons';

/** A parsed JSON object (manifest, localization file). */
export type JsonObject = { [key: string]: unknown };

const ROOT = path.join(__dirname, '..');
/** The folder holding the template, the localization file and the icons. */
export const MANIFEST_DIR = path.join(ROOT, 'manifest');
/** The manifest template whose `${{NAME}}` placeholders are filled from the environment. */
export const TEMPLATE_FILE = path.join(MANIFEST_DIR, 'manifest.template.json');
/** The English localization of the (French) manifest. */
export const LOCALIZATION_FILE = path.join(MANIFEST_DIR, 'en.json');
/** Where `npm run package` writes the zip by default. */
export const DEFAULT_OUT_FILE = path.join(ROOT, 'build', 'appPackage.zip');
/** The files of the app package, in the order they are zipped. */
export const PACKAGE_FILES = ['manifest.json', 'en.json', 'color.png', 'outline.png'] as const;
/** Required icon sizes, in pixels (square). */
export const ICON_SIZES = { color: 192, outline: 32 } as const;

/** Used when the matching environment variable is not set: real, valid https pages of the CIUSSS. */
export const DEFAULT_URLS = {
  APP_WEBSITE_URL: 'https://www.ciussscn.ca/',
  APP_PRIVACY_URL: 'https://www.ciussscn.ca/',
  APP_TERMS_URL: 'https://www.ciussscn.ca/',
} as const;

const GUID = /^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/;
const PLACEHOLDER = /\$\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}/g;
const WHOLE_PLACEHOLDER = /^\$\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}$/;

/** A packaging failure; `problems` holds one readable line per cause (schema messages included). */
export class PackageError extends Error {
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(problems.length ? `${message}\n  - ${problems.join('\n  - ')}` : message);
    this.name = 'PackageError';
  }
}

/** The version in package.json, which becomes the app's version. */
export function appVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Reads and checks the values the template's placeholders take from the environment.
 * @throws PackageError listing every missing or malformed setting.
 */
export function manifestValues(env: NodeJS.ProcessEnv): Record<string, string> {
  const problems: string[] = [];
  const appId = env.MicrosoftAppId?.trim() ?? '';
  if (appId === '') {
    problems.push('MicrosoftAppId is not set: give the bot\'s Microsoft App ID (a GUID such as 00000000-0000-0000-0000-000000000000).');
  } else if (!GUID.test(appId)) {
    problems.push(`MicrosoftAppId "${appId}" is not a GUID (expected the form 00000000-0000-0000-0000-000000000000).`);
  }
  const domain = env.BOT_DOMAIN?.trim() ?? '';
  if (domain !== '' && !isFQDN(domain, { allow_wildcard: true })) {
    problems.push(`BOT_DOMAIN "${domain}" is not a host name: give it without https:// or a path, e.g. helpdesk.example.org.`);
  }
  const urls = {} as Record<keyof typeof DEFAULT_URLS, string>;
  for (const name of Object.keys(DEFAULT_URLS) as (keyof typeof DEFAULT_URLS)[]) {
    const value = env[name]?.trim() || DEFAULT_URLS[name];
    if (!isURL(value, { protocols: ['https'], require_protocol: true })) {
      problems.push(`${name} "${value}" is not an https:// address.`);
    }
    urls[name] = value;
  }
  if (problems.length) throw new PackageError('The environment does not give what the manifest needs:', problems);
  return { MicrosoftAppId: appId, APP_VERSION: appVersion(), BOT_DOMAIN: domain, ...urls };
}

/** The URL settings left unset, for which {@link DEFAULT_URLS} is used (worth a warning before a real upload). */
export function defaultedSettings(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(DEFAULT_URLS).filter((name) => !env[name]?.trim());
}

/**
 * Replaces every `${{NAME}}` in the template's strings by `values[NAME]`.
 * @remarks An array entry that is exactly one placeholder with an empty value is dropped (e.g. an unset BOT_DOMAIN
 * leaves `validDomains` empty).
 * @throws PackageError when the template uses a placeholder that has no value.
 */
export function fillTemplate<T>(template: T, values: Record<string, string>): T {
  const unknown = new Set<string>();
  const fill = (node: unknown): unknown => {
    if (typeof node === 'string') {
      return node.replace(PLACEHOLDER, (whole, name: string) => {
        if (!(name in values)) unknown.add(name);
        return values[name] ?? whole;
      });
    }
    if (Array.isArray(node)) {
      return node
        .filter((item) => {
          const m = typeof item === 'string' ? WHOLE_PLACEHOLDER.exec(item) : null;
          return !(m && values[m[1]] === '');
        })
        .map(fill);
    }
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, fill(v)]));
    }
    return node;
  };
  const filled = fill(template) as T;
  if (unknown.size) {
    throw new PackageError('The manifest template uses placeholders that have no value:', [...unknown].map((n) => `\${{${n}}}`));
  }
  return filled;
}

/** Reads a JSON file, turning a syntax error into a readable {@link PackageError}. */
export function readJson(file: string): JsonObject {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as JsonObject;
  } catch (err) {
    throw new PackageError(`Cannot read ${file}: ${(err as Error).message}`);
  }
}

/** Fills the manifest template (by default manifest/manifest.template.json) from the environment. */
export function buildManifest(env: NodeJS.ProcessEnv, template: JsonObject = readJson(TEMPLATE_FILE)): JsonObject {
  return fillTemplate(template, manifestValues(env));
}

/** The local file of a Teams schema URL bundled with @microsoft/app-manifest, or undefined if it is not bundled. */
export function bundledSchemaFile(schemaUrl: unknown): string | undefined {
  if (typeof schemaUrl !== 'string') return undefined;
  const m = /^https:\/\/developer\.microsoft\.com\/(?:[a-z]{2}(?:-[a-z]{2})?\/)?(json-schemas\/teams\/v[\w.]+\/[\w.]+\.schema\.json)$/i.exec(
    schemaUrl,
  );
  if (!m) return undefined;
  const file = path.join(path.dirname(require.resolve('@microsoft/app-manifest')), m[1]);
  return fs.existsSync(file) ? file : undefined;
}

/** The newest Teams manifest schema version bundled with @microsoft/app-manifest (e.g. "1.30"). */
export function newestBundledSchemaVersion(): string {
  const dir = path.join(path.dirname(require.resolve('@microsoft/app-manifest')), 'json-schemas', 'teams');
  const versions = fs
    .readdirSync(dir)
    .filter((d) => /^v\d+\.\d+$/.test(d))
    .map((d) => d.slice(1).split('.').map(Number) as [number, number])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return versions[versions.length - 1].join('.');
}

/**
 * Validates a document against the bundled schema its `$schema` names, with `AppManifestUtils.validateAgainstSchema`.
 * @returns the schema's messages; empty when valid. Never goes to the network: an unbundled `$schema` is a problem.
 */
export async function validateAgainstBundledSchema(doc: JsonObject): Promise<string[]> {
  const file = bundledSchemaFile(doc.$schema);
  if (!file) {
    return [`$schema ${JSON.stringify(doc.$schema)} is not a Teams schema bundled with @microsoft/app-manifest`];
  }
  // Same clean-up as AppManifestUtils.fetchSchema: `\a` and `\v` are not valid JSON escapes.
  const raw = fs.readFileSync(file, 'utf8').replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b');
  const schema = repairUnicodePatterns(JSON.parse(raw)) as Parameters<typeof AppManifestUtils.validateAgainstSchema>[1];
  try {
    return await AppManifestUtils.validateAgainstSchema(doc as unknown as AppManifest, schema);
  } catch (err) {
    return [`the bundled schema ${path.basename(file)} cannot be compiled: ${(err as Error).message}`];
  }
}

/** Escapes each `]` that closes no character class (a literal `]`, which unicode-mode regular expressions refuse). */
export function escapeLoneBrackets(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      out += c + (pattern[i + 1] ?? '');
      i++;
    } else if (c === '[' && !inClass) {
      inClass = true;
      out += c;
    } else if (c === ']') {
      out += inClass ? c : '\\]';
      inClass = false;
    } else {
      out += c;
    }
  }
  return out;
}

function compilesAsUnicode(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns a copy of a schema whose regular expressions (`pattern` values, `patternProperties` keys) compile in
 * unicode mode, as ajv requires.
 * @remarks The Teams localization schemas (v1.8 and later) contain `…\b]\.description$`, a literal `]` left
 * unescaped (MicrosoftDocs/msteams-docs#8858); ajv then refuses to compile the whole schema. Escaping it keeps
 * the meaning the pattern has in non-unicode mode. Patterns that already compile are left untouched.
 */
export function repairUnicodePatterns(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(repairUnicodePatterns);
  if (node === null || typeof node !== 'object') return node;
  const fix = (p: string) => (compilesAsUnicode(p) ? p : escapeLoneBrackets(p));
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => {
      if (key === 'pattern' && typeof value === 'string') return [key, fix(value)];
      if (key === 'patternProperties' && value !== null && typeof value === 'object') {
        return [key, Object.fromEntries(Object.entries(value).map(([p, sub]) => [fix(p), repairUnicodePatterns(sub)]))];
      }
      return [key, repairUnicodePatterns(value)];
    }),
  );
}

/** Validates a filled manifest against its bundled schema; returns the schema's messages (empty when valid). */
export async function validateManifest(manifest: JsonObject): Promise<string[]> {
  return validateAgainstBundledSchema(manifest);
}

interface BotCommands {
  bots?: { commandLists?: { commands?: { title?: string }[] }[] }[];
}

/**
 * Validates a localization file against its bundled schema and, given the manifest, checks that it translates
 * every bot command and names no command the manifest lacks.
 */
export async function validateLocalization(localization: JsonObject, manifest?: JsonObject): Promise<string[]> {
  const problems = await validateAgainstBundledSchema(localization);
  if (!manifest) return problems;
  const commandKeys = new Set<string>();
  ((manifest as BotCommands).bots?.[0]?.commandLists ?? []).forEach((list, i) =>
    (list.commands ?? []).forEach((_, j) => commandKeys.add(`bots[0].commandLists[${i}].commands[${j}].title`)),
  );
  for (const key of commandKeys) {
    if (!(key in localization)) problems.push(`${key} is not translated`);
  }
  for (const key of Object.keys(localization)) {
    const m = /^(bots\[0\]\.commandLists\[\d+\]\.commands\[\d+\])\./.exec(key);
    if (m && !commandKeys.has(`${m[1]}.title`)) problems.push(`${key} names a command the manifest does not have`);
  }
  return problems;
}

function iconProblems(name: string, bytes: Buffer, size: number): { image?: RgbaImage; problems: string[] } {
  let image: RgbaImage;
  try {
    image = decodePng(bytes);
  } catch (err) {
    return { problems: [`${name} is not a readable PNG (${(err as Error).message})`] };
  }
  if (image.width !== size || image.height !== size) {
    return { image, problems: [`${name} is ${image.width}×${image.height}; Teams needs ${size}×${size}`] };
  }
  return { image, problems: [] };
}

/**
 * Checks the icons Teams requires: color 192×192; outline 32×32, white on transparent (every pixel is either fully
 * transparent or pure white at some opacity).
 */
export function checkIcons(color: Buffer, outline: Buffer): string[] {
  const colorCheck = iconProblems('color.png', color, ICON_SIZES.color);
  const outlineCheck = iconProblems('outline.png', outline, ICON_SIZES.outline);
  const problems = [...colorCheck.problems, ...outlineCheck.problems];
  const img = outlineCheck.image;
  if (img && !outlineCheck.problems.length) {
    let coloured = 0;
    let transparent = 0;
    for (let o = 0; o < img.data.length; o += 4) {
      if (img.data[o + 3] === 0) transparent++;
      else if (img.data[o] !== 255 || img.data[o + 1] !== 255 || img.data[o + 2] !== 255) coloured++;
    }
    if (coloured) problems.push(`outline.png has ${coloured} visible pixel(s) that are not pure white`);
    if (!transparent) problems.push('outline.png has no transparent pixel: it must be white on a transparent background');
    if (transparent === img.width * img.height) problems.push('outline.png is fully transparent');
  }
  return problems;
}

/** The contents of the app package, by file name. */
export type PackageContents = Record<(typeof PACKAGE_FILES)[number], Buffer>;

/** Writes the package zip (creating its folder); entries carry a fixed date so equal inputs give equal bytes. */
export async function writePackage(outFile: string, contents: PackageContents): Promise<void> {
  const zip = new JSZip();
  const date = new Date(Date.UTC(2024, 0, 1));
  for (const name of PACKAGE_FILES) zip.file(name, contents[name], { date });
  const bytes = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, bytes);
}

/** Options of {@link packageApp}; files default to those under manifest/. */
export interface PackageOptions {
  env: NodeJS.ProcessEnv;
  manifestFile?: string;
  localizationFile?: string;
  outFile?: string;
}

/** Files the manifest refers to (icons, language files) that the package does not contain. */
function missingReferences(manifest: JsonObject): string[] {
  const m = manifest as { icons?: Record<string, unknown>; localizationInfo?: { additionalLanguages?: { file?: unknown }[] } };
  const refs = [
    ...Object.entries(m.icons ?? {}).map(([k, v]) => [`icons.${k}`, v] as const),
    ...(m.localizationInfo?.additionalLanguages ?? []).map((l, i) => [`localizationInfo.additionalLanguages[${i}].file`, l.file] as const),
  ];
  return refs
    .filter(([, file]) => !(PACKAGE_FILES as readonly unknown[]).includes(file))
    .map(([where, file]) => `${where} refers to ${JSON.stringify(file)}, which is not in the package (${PACKAGE_FILES.join(', ')})`);
}

/**
 * Fills, validates and zips the app package.
 * @throws PackageError with every problem found (environment, schema messages, icons) — nothing is written then.
 */
export async function packageApp(options: PackageOptions): Promise<{ outFile: string; manifest: JsonObject }> {
  const outFile = options.outFile ?? DEFAULT_OUT_FILE;
  const manifest = buildManifest(options.env, readJson(options.manifestFile ?? TEMPLATE_FILE));
  const localizationFile = options.localizationFile ?? LOCALIZATION_FILE;
  const localization = readJson(localizationFile);
  const color = fs.readFileSync(path.join(MANIFEST_DIR, 'color.png'));
  const outline = fs.readFileSync(path.join(MANIFEST_DIR, 'outline.png'));
  const problems = [
    ...(await validateManifest(manifest)).map((p) => `manifest.json: ${p}`),
    ...missingReferences(manifest).map((p) => `manifest.json: ${p}`),
    ...(await validateLocalization(localization, manifest)).map((p) => `en.json: ${p}`),
    ...checkIcons(color, outline),
  ];
  if (problems.length) throw new PackageError('The app package is not valid:', problems);
  await writePackage(outFile, {
    'manifest.json': Buffer.from(JSON.stringify(manifest, null, 2) + '\n'),
    'en.json': fs.readFileSync(localizationFile),
    'color.png': color,
    'outline.png': outline,
  });
  return { outFile, manifest };
}

/** The command line: returns the exit code (0 when the zip was written, 1 otherwise, with the reasons on stderr). */
export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { manifest: { type: 'string' }, localization: { type: 'string' }, out: { type: 'string' } },
    });
    for (const name of defaultedSettings(env)) {
      console.warn(`warning: ${name} is not set; using ${DEFAULT_URLS[name as keyof typeof DEFAULT_URLS]}`);
    }
    const { outFile, manifest } = await packageApp({
      env,
      manifestFile: values.manifest,
      localizationFile: values.localization,
      outFile: values.out,
    });
    const shown = path.relative(process.cwd(), outFile);
    console.log(
      `Wrote ${shown.startsWith('..') ? outFile : shown} (manifest ${String(manifest.manifestVersion)}, app version ${String(manifest.version)}): ${PACKAGE_FILES.join(', ')}`,
    );
    return 0;
  } catch (err) {
    console.error(err instanceof PackageError ? err.message : `Packaging failed: ${(err as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2), process.env).then((code) => {
    process.exitCode = code;
  });
}
