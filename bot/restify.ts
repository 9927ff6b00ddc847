import type * as Restify from 'restify';

/** The one warning dropped: Node's deprecation of `process.binding('http_parser')`. */
const HTTP_PARSER_BINDING = 'DEP0111';

/**
 * restify, loaded without the two `DEP0111` warnings its HTTP/2 dependency prints on every start.
 * @remarks restify requires `spdy` when it loads, and spdy's `http-deceiver` reads `process.binding('http_parser')`
 * at require time, which Node reports as deprecated on stderr. We never serve HTTP/2, and the warning tells an
 * operator nothing they can act on (restify 11 is the latest), yet it is the first line of every start's output.
 * Only that code, and only while restify loads: every other warning goes out as before, and DEP0111 raised by
 * anything else later still does.
 */
function loadRestify(): typeof Restify {
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
    const code = typeof rest[0] === 'object' && rest[0] !== null ? (rest[0] as { code?: string }).code : rest[1];
    if (code === HTTP_PARSER_BINDING) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('restify') as typeof Restify;
  } finally {
    process.emitWarning = emitWarning;
  }
}

const restify = loadRestify();
export default restify;
export type { Next, Request, Response, Server, plugins } from 'restify';
