import crypto from 'node:crypto';
import zlib from 'node:zlib';
import type { Next, Request, Response } from './restify';

/** restify's own errors (its dependency), so that the server's `restifyError` handler and status codes see the same classes. */
const errors = require(require.resolve('restify-errors', { paths: [require.resolve('restify')] })) as {
  PayloadTooLargeError: new (message: string) => Error;
  UnsupportedMediaTypeError: new (options: { info: Record<string, unknown> }, message: string) => Error;
  BadDigestError: new (format: string, ...args: unknown[]) => Error;
  InvalidContentError: new (format: string, ...args: unknown[]) => Error;
};

/** Content types restify reads as text (the body becomes a string). */
const TEXT_TYPES = new Set(['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data']);

type BodyRequest = Request & { _readBody?: boolean; body?: unknown };

/**
 * Reads the request body as restify's `plugins.bodyReader` does (same skips, same limit and errors, gzip, Content-MD5),
 * without its `new Buffer(0)`: that deprecated call costs a stack capture (node checks whether the caller is inside
 * node_modules) on each of the first 10,000 requests, ~1 % of the CPU of a busy bot (docs/PERFORMANCE.md).
 * Two differences, both about gzip bodies, which Teams does not send: one that does not inflate is answered 400
 * (restify's reader leaves the inflater's error unhandled, which ends the process: any client could stop the bot
 * with one request, before authentication), and one that inflates past the size limit is answered 413 (restify's
 * reader limits the compressed size only, so a small request could fill the memory).
 * @remarks `test/unit/body-reader.test.ts` sends the same requests to a server with each reader and compares the answers.
 */
export function bodyReader(options: { maxBodySize?: number } = {}) {
  const maxBodySize = options.maxBodySize || 0;
  return function readBody(req: BodyRequest, res: Response, originalNext: Next): void {
    let called = false;
    const next = (err?: unknown) => {
      if (called) return;
      called = true;
      (originalNext as (e?: unknown) => void)(err);
    };
    // Read once, even when two readers are chained.
    if (req._readBody) {
      next();
      return;
    }
    req._readBody = true;
    const contentType = req.contentType();
    if ((req.getContentLength() === 0 && !req.isChunked()) || contentType === 'multipart/form-data' || contentType === 'application/octet-stream') {
      next();
      return;
    }
    const isText = !contentType || TEXT_TYPES.has(contentType) || contentType.substr(0, 5) === 'text/';
    const chunks: Buffer[] = [];
    req.body = Buffer.alloc(0);
    let bytesReceived = 0;
    const md5 = req.headers['content-md5'];
    const hash = md5 ? crypto.createHash('md5') : undefined;
    let gz: zlib.Gunzip | undefined;
    let gzFailed = false;
    let unsupportedContentEncoding: string | string[] | undefined;

    const done = () => {
      const body = Buffer.concat(chunks);
      req.body = isText ? body.toString('utf8') : body;
      if (unsupportedContentEncoding) {
        next(new errors.UnsupportedMediaTypeError({ info: { contentEncoding: unsupportedContentEncoding } }, 'content encoding not supported'));
        return;
      }
      if (maxBodySize && bytesReceived > maxBodySize) {
        next(new errors.PayloadTooLargeError(`Request body size exceeds ${maxBodySize}`));
        return;
      }
      if (!(req.body as string | Buffer).length) {
        next();
        return;
      }
      let digest: string;
      if (hash && md5 !== (digest = hash.digest('base64'))) {
        next(new errors.BadDigestError("Content-MD5 '%s' didn't match '%s'", md5, digest));
        return;
      }
      next();
    };

    const encoding = req.headers['content-encoding'];
    if (encoding === undefined) {
      req.once('end', done);
    } else if (encoding === 'gzip') {
      gz = zlib.createGunzip();
      let inflated = 0;
      gz.on('data', (chunk: Buffer) => {
        if (gzFailed) return;
        inflated += chunk.length;
        if (maxBodySize && inflated > maxBodySize) {
          gzFailed = true;
          chunks.length = 0;
          gz!.destroy();
          next(new errors.PayloadTooLargeError(`Request body size exceeds ${maxBodySize}`));
          return;
        }
        chunks.push(chunk);
      });
      gz.once('end', done);
      gz.on('error', () => {
        if (gzFailed) return;
        gzFailed = true;
        next(new errors.InvalidContentError('%s', 'Invalid gzip body'));
      });
      req.once('end', () => {
        if (!gzFailed) gz!.end();
      });
    } else {
      unsupportedContentEncoding = encoding;
      res.setHeader('Accept-Encoding', 'gzip');
      req.once('end', done);
    }

    req.on('data', (chunk: Buffer) => {
      if (maxBodySize) {
        bytesReceived += chunk.length;
        if (bytesReceived > maxBodySize) return;
      }
      if (hash) hash.update(chunk);
      if (gz) {
        if (!gzFailed) gz.write(chunk);
      } else chunks.push(chunk);
    });
    req.once('error', next);
    // A client that stops half way: nothing leaks.
    res.once('close', () => next());
    req.once('aborted', () => next());
    req.resume();
  };
}
