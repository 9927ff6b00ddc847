import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

/** An RSA signing key with the id (`kid`) a token names it by. */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function newSigningKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, publicKey };
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs a JWT with RS256 (node's crypto; no JWT library involved, so the bot's verification is what is tested). */
export function signToken(payload: Record<string, unknown>, key: { privateKey: KeyObject }, header: Record<string, unknown>): string {
  const input = `${b64url({ typ: 'JWT', alg: 'RS256', ...header })}.${b64url(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
}

/** A token whose header says `alg` but carries an HMAC made with `secret` (the algorithm-confusion attack). */
export function hmacToken(payload: Record<string, unknown>, secret: string, header: Record<string, unknown>): string {
  const input = `${b64url({ typ: 'JWT', alg: 'HS256', ...header })}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** An unsigned token (`alg: none`). */
export function unsignedToken(payload: Record<string, unknown>, header: Record<string, unknown>): string {
  return `${b64url({ typ: 'JWT', alg: 'none', ...header })}.${b64url(payload)}.`;
}

/**
 * A local OpenID metadata server on 127.0.0.1 playing login.botframework.com: it serves the metadata document
 * and a JWKS with the keys it was given (each with the channels that endorse it), and, under /emulator, the
 * same for the emulator issuer with no key at all.
 */
export class OpenIdMetadataServer {
  private server?: http.Server;
  port = 0;
  /** Every path requested (to show the bot fetched our keys, not Microsoft's). */
  readonly requests: string[] = [];

  constructor(private readonly keys: { key: SigningKey; endorsements: string[] }[]) {}

  get channelMetadataUrl(): string {
    return `http://127.0.0.1:${this.port}/v1/.well-known/openidconfiguration`;
  }

  get emulatorMetadataUrl(): string {
    return `http://127.0.0.1:${this.port}/emulator/.well-known/openid-configuration`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      this.requests.push(req.url ?? '');
      const base = `http://127.0.0.1:${this.port}`;
      let body: unknown;
      if (req.url === '/v1/.well-known/openidconfiguration') {
        body = { issuer: 'https://api.botframework.com', jwks_uri: `${base}/v1/keys`, id_token_signing_alg_values_supported: ['RS256'] };
      } else if (req.url === '/v1/keys') {
        body = {
          keys: this.keys.map(({ key, endorsements }) => ({ ...key.publicKey.export({ format: 'jwk' }), kid: key.kid, use: 'sig', endorsements })),
        };
      } else if (req.url === '/emulator/.well-known/openid-configuration') {
        body = { issuer: 'https://login.microsoftonline.com/common/v2.0', jwks_uri: `${base}/emulator/keys` };
      } else if (req.url === '/emulator/keys') {
        body = { keys: [] };
      }
      res.writeHead(body ? 200 : 404, { 'Content-Type': 'application/json' });
      res.end(body ? JSON.stringify(body) : '');
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server!.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
