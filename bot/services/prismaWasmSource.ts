/** The base64 modules of Prisma's query-compiler wasm, one per provider (`@prisma/client/runtime/query_compiler_*.wasm-base64.js`). */
const WASM_SOURCE = /[\\/]@prisma[\\/]client[\\/]runtime[\\/]query_compiler_[^\\/]*\.wasm-base64\.js$/;

interface CachedModule {
  exports?: unknown;
  children?: CachedModule[];
}

/**
 * Lets the garbage collector have the base64 source of Prisma's query-compiler wasm once Prisma has compiled it.
 * @remarks Prisma's generated client imports `…wasm-base64.js` (a 4.2 MiB string) when the first client of a
 * provider connects, compiles it, and keeps the compiled compiler for that provider for the life of the process: it
 * never reads the module again. Node's module cache (and the importing module's `children`) kept the string alive
 * anyway: 4.2 MiB of old space at idle, about 3 % of the bot's resident memory. Only modules already loaded are
 * dropped; should anything import one again, Node reads the file again.
 * @returns how many modules were dropped from the cache.
 */
export function releasePrismaWasmSource(cache: Record<string, CachedModule | undefined> = require.cache as Record<string, CachedModule | undefined>): number {
  const dropped = new Set<CachedModule>();
  for (const file of Object.keys(cache)) {
    const module = cache[file];
    if (!module || !WASM_SOURCE.test(file)) continue;
    delete cache[file];
    dropped.add(module);
  }
  if (!dropped.size) return 0;
  for (const module of Object.values(cache)) {
    if (module?.children?.some((child) => dropped.has(child))) module.children = module.children.filter((child) => !dropped.has(child));
  }
  return dropped.size;
}
