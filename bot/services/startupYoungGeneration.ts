import v8 from 'node:v8';

/** V8's own default for `--semi-space-growth-factor` (V8 11 and 12, Node 20 and 22). */
export const V8_SEMI_SPACE_GROWTH_FACTOR = 2;

const FLAG = /--semi[-_]space[-_]growth[-_]factor/;

let held = false;

/**
 * Keeps V8's young generation at its initial size while the bot loads its modules; {@link releaseYoungGeneration}
 * lets it grow again once start-up is over.
 * @remarks V8 doubles the young generation whenever more of it survives a scavenge than it holds, and module loading
 * is nearly all survivors (compiled functions, module objects, tables): start-up grew it to `--max-semi-space-size`
 * (16 MiB per semi-space under `npm start`), 27–32 MiB of resident memory that V8 gives back only after a quiet
 * stretch of 5 s or more (its allocation rate still counts start-up's). With a growth factor of 1 while the modules
 * load it stays at 1 MiB per semi-space; the turns that follow grow it to 16 MiB within their first seconds, as
 * they would have anyway. V8 reads the factor each time it grows the young generation, so changing it at run time
 * takes effect at once. Left alone when the factor is given on the command line or in NODE_OPTIONS.
 * @returns whether the hold is now on.
 */
export function holdYoungGeneration(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  if (held) return true;
  if (execArgv.some((arg) => FLAG.test(arg)) || FLAG.test(nodeOptions)) return false;
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  held = true;
  return true;
}

/**
 * Lets the young generation grow as V8 would by default, after {@link holdYoungGeneration}.
 * @returns whether a hold was released (false when there was none).
 */
export function releaseYoungGeneration(): boolean {
  if (!held) return false;
  v8.setFlagsFromString(`--semi-space-growth-factor=${V8_SEMI_SPACE_GROWTH_FACTOR}`);
  held = false;
  return true;
}
