import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { HttpHeaders, PipelinePolicy, PipelineRequest, PipelineResponse, RestError as RestErrorType } from '@azure/core-rest-pipeline';
import type { ConnectorClient } from 'botframework-connector';
import { compileSerializer, type MapperLike, type SerializeFn } from './mapperSerializer';

/*
 * The modules botbuilder itself runs (resolved from botbuilder, as bot/adapter.ts does): the fast path's errors are
 * instances of the same RestError class, and its requests and responses the same types, as the real client's.
 */
const connectorMain = require.resolve('botframework-connector', { paths: [require.resolve('botbuilder')] });
const stdlibMain = require.resolve('botbuilder-stdlib', { paths: [connectorMain] });
const coreClient = require(require.resolve('@azure/core-client', { paths: [stdlibMain] })) as typeof import('@azure/core-client');
const corePipeline = require(require.resolve('@azure/core-rest-pipeline', { paths: [stdlibMain] })) as typeof import('@azure/core-rest-pipeline');
/** The model mappers botframework-connector's Conversations operations serialize with (its own `createSerializer(Mappers)`). */
const conversationsMappers = require(path.join(path.dirname(connectorMain), 'connectorApi/models/conversationsMappers')) as Record<string, MapperLike>;
const { AppCredentials } = require(connectorMain) as typeof import('botframework-connector');
/** AppCredentials' own signRequest: a bearer token from `getToken()` when `shouldSetToken()`, nothing otherwise. */
const appCredentialsSignRequest = AppCredentials.prototype.signRequest;

const { createHttpHeaders, createPipelineRequest, RestError } = corePipeline;

/** How the real pipeline names the policies the fast path reproduces. */
const RETRY_POLICY = 'defaultRetryPolicy';
const USER_AGENT_POLICY = 'userAgentPolicy';
const SIGN_POLICY = 'ServiceClientContext_Credentials_SignRequest';
/** The real retry policy's settings (`@typespec/ts-http-runtime`: defaultRetryPolicy, exponential and throttling strategies). */
const MAX_RETRIES = 3;
const RETRY_DELAY_MS = 1000;
const MAX_RETRY_DELAY_MS = 64_000;
const SYSTEM_ERROR_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'ENOTFOUND']);
const JSON_CONTENT_TYPES = ['application/json', 'text/json'];
const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy'];

/** What one Bot Connector operation sends and expects back (from botframework-connector's operation specs). */
interface Operation {
  method: 'POST' | 'PUT' | 'GET';
  /** Statuses the spec lists as success. */
  success: ReadonlySet<number>;
  response: MapperLike;
  /** replyToActivity also sends the conversation id as `x-ms-conversation-id`. */
  conversationHeader?: boolean;
  /** The request body (an Activity unless told). */
  body?: SerializeFn;
}

const RESOURCE = new Set([200, 201, 202]);
const SEND: Operation = { method: 'POST', success: RESOURCE, response: conversationsMappers.ResourceResponse! };
const REPLY: Operation = { method: 'POST', success: RESOURCE, response: conversationsMappers.ResourceResponse!, conversationHeader: true };
const UPDATE: Operation = { method: 'PUT', success: RESOURCE, response: conversationsMappers.ResourceResponse! };
const MEMBER: Operation = { method: 'GET', success: new Set([200]), response: conversationsMappers.ChannelAccount! };
/** The ConversationParameters as a request body (`{ ...Mappers.ConversationParameters, required: true }`), specialised once. */
const serializeConversationParameters: SerializeFn = compileSerializer({ ...conversationsMappers.ConversationParameters!, required: true }, conversationsMappers);
const CREATE: Operation = { method: 'POST', success: RESOURCE, response: conversationsMappers.ConversationResourceResponse!, body: serializeConversationParameters };
const ERROR_MAPPER = conversationsMappers.ErrorResponse!;
const RESOURCE_MAPPER = conversationsMappers.ResourceResponse!;

/** `{ "id": "…" }`, which the real deserializer turns into `{ id }` (the usual answer to a send). */
function isIdOnly(body: unknown): body is { id: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  let keys = 0;
  for (const key in body) {
    if (key !== 'id' || ++keys > 1) return false;
  }
  return keys === 1 && typeof (body as { id?: unknown }).id === 'string';
}

/** The real serializer, for responses and errors (rare, or small: ids and members). */
const serializer = coreClient.createSerializer(conversationsMappers as never);
/** The Activity as a request body (`{ ...Mappers.Activity, required: true }`), specialised once. */
const serializeActivity: SerializeFn = compileSerializer({ ...conversationsMappers.Activity!, required: true }, conversationsMappers);
const DESERIALIZE_OPTIONS = { xml: { rootName: '', includeRoot: false, xmlCharKey: '_' } };

/** One keep-alive agent per protocol for every connector, as the real client's default HTTP client keeps. */
const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

export interface LeanConnectorOptions {
  /** Abandon a call after this long when the pipeline sets no timeout of its own (the real client would wait forever). */
  defaultTimeoutMs?: number;
  /** Waits between retries (tests shorten them). */
  sleep?: (ms: number) => Promise<void>;
  /** Random source in [0, 1) for the retry jitter. */
  random?: () => number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

class AbortError extends Error {
  override name = 'AbortError';
}

/** The real client's insides the fast path reads (all of them public at run time, private in the typings). */
interface ClientInsides {
  baseUri?: string;
  credentials: { signRequest(webResource: unknown): Promise<unknown> };
  options?: { httpClient?: unknown; proxySettings?: unknown };
  client?: { pipeline?: { getOrderedPolicies(): PipelinePolicy[] } };
}

type Step = { kind: 'retry' } | { kind: 'policy'; policy: PipelinePolicy };

/** Where a connector's calls go: protocol, host, port and the service URL's path (ending with `/`). */
interface Endpoint {
  secure: boolean;
  hostname: string;
  port: string;
  /** `https://host[:port]/base/` */
  prefix: string;
  /** `/base/` */
  basePath: string;
}

/** Reads the service URL as the real client would join it with an operation's path; undefined when unusual. */
function endpointOf(baseUri: string | undefined): Endpoint | undefined {
  if (!baseUri || baseUri.includes('{')) return undefined;
  let url: URL;
  try {
    url = new URL(baseUri);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash || url.username || url.password) return undefined;
  const basePath = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  return { secure: url.protocol === 'https:', hostname: url.hostname, port: url.port, prefix: `${url.protocol}//${url.host}${basePath}`, basePath };
}

/** A URL path segment as the real client writes it (`encodeURIComponent`); undefined when the real client must decide. */
function segment(value: unknown): string | undefined {
  // Not a string: the real serializer throws its own error. '.' and '..' are resolved away by the URL parser.
  if (typeof value !== 'string' || value === '.' || value === '..') return undefined;
  return encodeURIComponent(value);
}

/**
 * The hot Bot Connector calls of a ConnectorClient, sent with node's own HTTP client instead of the client's
 * `@azure/core-client` pipeline; every other call, and any call the fast path cannot reproduce exactly, goes to the
 * real client.
 * @remarks Same wire format (URL, JSON body byte for byte, headers), same authentication (the client's own
 * credentials sign the request), same retries (the pipeline's default retry policy: 429/503 after Retry-After,
 * 408/5xx and network errors with exponential backoff, 3 retries), same results and same errors (`RestError` with
 * `statusCode`, `code`, `details`, `response.headers`). Policies added to the client's pipeline after it was built
 * (ProactiveSender's request timeout) run around the fast path, and removing the retry policy removes the retries.
 * Differences: no redirects are followed (the Bot Connector sends none), no compressed responses are asked for, and a
 * call with no timeout set by the pipeline is abandoned after `defaultTimeoutMs` (the real client waits forever).
 */
export class LeanConversations {
  private readonly endpoint: Endpoint | undefined;
  private readonly stock: Set<PipelinePolicy>;
  private userAgent?: Promise<string | undefined>;
  private userAgentValue?: string;
  private ordered?: PipelinePolicy[];
  private steps: Step[] = [];
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly defaultTimeoutMs: number;

  constructor(
    private readonly connector: ConnectorClient,
    /** The client's own Conversations operations: the fallback. */
    readonly real: ConnectorClient['conversations'],
    options: LeanConnectorOptions = {},
  ) {
    const insides = connector as unknown as ClientInsides;
    const pipeline = insides.client?.pipeline;
    const policies = pipeline?.getOrderedPolicies() ?? [];
    const usable =
      !insides.options?.httpClient &&
      !insides.options?.proxySettings &&
      !PROXY_VARIABLES.some((name) => process.env[name]) &&
      policies.some((p) => p.name === SIGN_POLICY) &&
      typeof insides.credentials?.signRequest === 'function';
    this.endpoint = usable ? endpointOf(insides.baseUri) : undefined;
    this.stock = new Set(policies);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Whether calls take the fast path (false: everything goes to the real client). */
  get enabled(): boolean {
    return this.endpoint !== undefined;
  }

  sendToConversation(conversationId: string, activity: unknown, ...rest: unknown[]): Promise<unknown> {
    const real = () => (this.real.sendToConversation as (...a: unknown[]) => Promise<unknown>).call(this.real, conversationId, activity, ...rest);
    if (rest.length) return real();
    const id = segment(conversationId);
    return this.call(SEND, id && `v3/conversations/${id}/activities`, conversationId, activity, real);
  }

  replyToActivity(conversationId: string, activityId: string, activity: unknown, ...rest: unknown[]): Promise<unknown> {
    const real = () => (this.real.replyToActivity as (...a: unknown[]) => Promise<unknown>).call(this.real, conversationId, activityId, activity, ...rest);
    if (rest.length) return real();
    const id = segment(conversationId);
    const reply = segment(activityId);
    return this.call(REPLY, id && reply && `v3/conversations/${id}/activities/${reply}`, conversationId, activity, real);
  }

  updateActivity(conversationId: string, activityId: string, activity: unknown, ...rest: unknown[]): Promise<unknown> {
    const real = () => (this.real.updateActivity as (...a: unknown[]) => Promise<unknown>).call(this.real, conversationId, activityId, activity, ...rest);
    if (rest.length) return real();
    const id = segment(conversationId);
    const target = segment(activityId);
    return this.call(UPDATE, id && target && `v3/conversations/${id}/activities/${target}`, conversationId, activity, real);
  }

  /** POST v3/conversations: a new conversation (a channel thread with its first message, or a 1:1 chat). */
  createConversation(parameters: unknown, ...rest: unknown[]): Promise<unknown> {
    const real = () => (this.real.createConversation as (...a: unknown[]) => Promise<unknown>).call(this.real, parameters, ...rest);
    if (rest.length) return real();
    return this.call(CREATE, 'v3/conversations', '', parameters, real);
  }

  getConversationMember(conversationId: string, memberId: string, ...rest: unknown[]): Promise<unknown> {
    const real = () => (this.real.getConversationMember as (...a: unknown[]) => Promise<unknown>).call(this.real, conversationId, memberId, ...rest);
    if (rest.length) return real();
    const id = segment(conversationId);
    const member = segment(memberId);
    return this.call(MEMBER, id && member && `v3/conversations/${id}/members/${member}`, conversationId, undefined, real);
  }

  private async call(op: Operation, route: string | undefined, conversationId: string, payload: unknown, real: () => Promise<unknown>): Promise<unknown> {
    const endpoint = this.endpoint;
    if (!endpoint || !route) return real();
    let body: string | undefined;
    if (op.method !== 'GET') {
      try {
        // Anything the real serializer would refuse, or JSON.stringify would choke on: the real client throws its own error.
        body = JSON.stringify((op.body ?? serializeActivity)(payload));
      } catch {
        return real();
      }
    }
    const request = createPipelineRequest({ url: endpoint.prefix + route, method: op.method, allowInsecureConnection: !endpoint.secure });
    const headers = request.headers;
    if (body !== undefined) headers.set('Content-Type', 'application/json; charset=utf-8');
    if (op.conversationHeader) headers.set('x-ms-conversation-id', conversationId);
    headers.set('accept', '*/*');
    const userAgent = this.userAgentValue ?? (await (this.userAgent ??= this.captureUserAgent()));
    this.userAgentValue = userAgent;
    if (userAgent) headers.set('User-Agent', userAgent);
    headers.set('x-ms-client-request-id', request.requestId);
    request.body = body;
    await this.sign(request);
    const response = await this.run(this.plan(), 0, request);
    return this.result(op, response);
  }

  /** The client's credentials sign the request, as the pipeline's signing policy has them do (a bearer token from `getToken()`; nothing when anonymous). */
  private async sign(request: PipelineRequest): Promise<void> {
    const credentials = (this.connector as unknown as ClientInsides).credentials as ClientInsides['credentials'] & { shouldSetToken?: () => unknown; getToken?: () => Promise<string> };
    const headers = request.headers;
    if (credentials.signRequest === appCredentialsSignRequest && typeof credentials.shouldSetToken === 'function') {
      // What AppCredentials.signRequest does (TokenCredentials' scheme and header), without building a WebResource.
      if (credentials.shouldSetToken()) headers.set('authorization', `Bearer ${await credentials.getToken!()}`);
      return;
    }
    const webResource = {
      url: request.url,
      method: request.method,
      body: request.body,
      headers: {
        set: (name: string, value: string | number) => headers.set(name, value),
        get: (name: string) => headers.get(name),
        contains: (name: string) => headers.has(name),
        remove: (name: string) => {
          const had = headers.has(name);
          headers.delete(name);
          return had;
        },
      },
    };
    await credentials.signRequest(webResource);
  }

  /** The steps between the request and node's HTTP client: the retry policy if still there, and policies added after the client was built, in pipeline order. */
  private plan(): Step[] {
    const ordered = (this.connector as unknown as ClientInsides).client!.pipeline!.getOrderedPolicies();
    if (ordered !== this.ordered) {
      this.ordered = ordered;
      this.steps = ordered.flatMap((policy): Step[] => {
        if (!this.stock.has(policy)) return [{ kind: 'policy', policy }];
        return policy.name === RETRY_POLICY ? [{ kind: 'retry' }] : [];
      });
    }
    return this.steps;
  }

  private run(steps: Step[], index: number, request: PipelineRequest): Promise<PipelineResponse> {
    const step = steps[index];
    if (!step) return this.send(request);
    const next = (r: PipelineRequest) => this.run(steps, index + 1, r);
    return step.kind === 'retry' ? this.retrying(request, next) : step.policy.sendRequest(request, next);
  }

  /** The real pipeline's default retry policy: throttling (429/503 with Retry-After) first, then exponential backoff. */
  private async retrying(request: PipelineRequest, next: (r: PipelineRequest) => Promise<PipelineResponse>): Promise<PipelineResponse> {
    for (let retryCount = 0; ; retryCount++) {
      let response: PipelineResponse | undefined;
      let error: RestErrorType | undefined;
      try {
        response = await next(request);
      } catch (e) {
        if (!corePipeline.isRestError(e)) throw e;
        error = e;
        response = e.response;
      }
      if (request.abortSignal?.aborted) throw new AbortError('The operation was aborted.');
      if (retryCount >= MAX_RETRIES) {
        if (error) throw error;
        return response!;
      }
      const throttle = retryAfterMs(response);
      if (throttle !== undefined) {
        await this.sleep(throttle);
        continue;
      }
      const status = response?.status;
      const exponential = status !== undefined && (status >= 500 || status === 408) && status !== 501 && status !== 505;
      const systemError = error !== undefined && SYSTEM_ERROR_CODES.has(error.code ?? '');
      if (response && !exponential) {
        if (error) throw error;
        return response;
      }
      if (error && !systemError && !exponential) throw error;
      const clamped = Math.min(MAX_RETRY_DELAY_MS, RETRY_DELAY_MS * 2 ** retryCount);
      await this.sleep(clamped / 2 + Math.floor(this.random() * (Math.floor(clamped / 2) + 1)));
    }
  }

  /** One HTTP exchange with node's client, settled as the real client's node HTTP client settles it. */
  private send(request: PipelineRequest): Promise<PipelineResponse> {
    const endpoint = this.endpoint!;
    // The URL the call was built with (a policy may have changed it: then it is parsed).
    const target = request.url.startsWith(endpoint.prefix)
      ? { secure: endpoint.secure, hostname: endpoint.hostname, port: endpoint.port, path: endpoint.basePath + request.url.slice(endpoint.prefix.length) }
      : urlParts(request.url);
    return new Promise<PipelineResponse>((resolve, reject) => {
      // Our own bodies are strings; a policy could have put bytes there.
      const raw = request.body;
      const body = typeof raw === 'string' ? raw || undefined : raw instanceof Uint8Array ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
      if (body && !request.headers.has('Content-Length')) request.headers.set('Content-Length', Buffer.byteLength(body));
      const secure = target.secure;
      const options: http.RequestOptions = {
        agent: secure ? agents.https : agents.http,
        hostname: target.hostname,
        port: target.port,
        path: target.path,
        method: request.method,
        headers: request.headers.toJSON({ preserveCase: true }),
      };
      let timer: NodeJS.Timeout | undefined;
      const req = (secure ? https : http).request(options, (res) => {
        if (timer) clearTimeout(timer);
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve(new LeanResponse(request, res, chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'))),
        );
        res.on('error', (e) => reject(e?.name === 'AbortError' ? e : new RestError(`Error reading response as text: ${e.message}`, { code: RestError.PARSE_ERROR })));
      });
      req.once('error', (err: NodeJS.ErrnoException) => {
        if (timer) clearTimeout(timer);
        reject(err.name === 'AbortError' ? err : new RestError(err.message, { code: err.code ?? RestError.REQUEST_SEND_ERROR, request }));
      });
      const timeoutMs = request.timeout > 0 ? request.timeout : this.defaultTimeoutMs;
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          const abort = new AbortError('The operation was aborted. Rejecting from abort signal callback while making request.');
          req.destroy(abort);
          reject(abort);
        }, timeoutMs);
      }
      if (body) req.end(body);
      else req.end();
    });
  }

  /** The operation's value, or its error, as the real client's deserialization policy and ServiceClient make them. */
  private result(op: Operation, response: PipelineResponse): unknown {
    const parsed = parseBody(response);
    if (op.success.has(response.status)) {
      let value: unknown;
      try {
        value = op.response === RESOURCE_MAPPER && isIdOnly(parsed.parsedBody) ? { id: parsed.parsedBody.id } : serializer.deserialize(op.response as never, parsed.parsedBody, 'operationRes.parsedBody', DESERIALIZE_OPTIONS);
      } catch (deserializeError) {
        const error = new RestError(`Error ${deserializeError} occurred in deserializing the responseBody - ${parsed.bodyAsText}`, { statusCode: parsed.status, request: parsed.request, response: parsed });
        throw withDetails(error, parsed);
      }
      parsed.parsedBody = value;
      const flat = { ...(value as object) };
      Object.defineProperty(flat, '_response', { value: parsed });
      return flat;
    }
    const error = new RestError(parsed.bodyAsText ?? '', { statusCode: parsed.status, request: parsed.request, response: parsed });
    try {
      if (parsed.parsedBody) {
        const body = parsed.parsedBody as { error?: { code?: string; message?: string } };
        const deserialized = serializer.deserialize(ERROR_MAPPER as never, body, 'error.response.parsedBody', DESERIALIZE_OPTIONS) as { code?: string; message?: string } | undefined;
        const inner = body.error || deserialized || body;
        error.code = (inner as { code?: string }).code;
        if ((inner as { message?: string }).message) error.message = (inner as { message: string }).message;
        parsed.parsedBody = deserialized;
      }
    } catch (defaultError) {
      error.message = `Error "${(defaultError as Error).message}" occurred in deserializing the responseBody - "${parsed.bodyAsText}" for the default response.`;
    }
    throw withDetails(error, parsed);
  }

  /** The User-Agent the real pipeline's user-agent policy sends (asked once, from the policy itself). */
  private async captureUserAgent(): Promise<string | undefined> {
    const policy = [...this.stock].find((p) => p.name === USER_AGENT_POLICY);
    if (!policy) return undefined;
    let value: string | undefined;
    const probe = createPipelineRequest({ url: this.endpoint!.prefix });
    await policy.sendRequest(probe, async (r) => {
      value = r.headers.get('User-Agent');
      return { request: r, status: 200, headers: createHttpHeaders() };
    });
    return value;
  }
}

/** A response as the real node HTTP client makes it; its headers (the first value of a repeated header) are built when read. */
class LeanResponse implements PipelineResponse {
  readonly status: number;
  parsedBody?: unknown;
  readonly #raw: http.IncomingHttpHeaders;
  #built?: HttpHeaders;

  constructor(
    readonly request: PipelineRequest,
    res: http.IncomingMessage,
    readonly bodyAsText: string,
  ) {
    this.status = res.statusCode ?? 0;
    this.#raw = res.headers;
  }

  get headers(): HttpHeaders {
    if (!this.#built) {
      const headers = createHttpHeaders();
      for (const name of Object.keys(this.#raw)) {
        const value = this.#raw[name];
        if (Array.isArray(value)) {
          if (value.length > 0) headers.set(name, value[0]!);
        } else if (value) {
          headers.set(name, value);
        }
      }
      this.#built = headers;
    }
    return this.#built;
  }

  set headers(headers: HttpHeaders) {
    this.#built = headers;
  }

  /** One header (lower-case name) without building them all. */
  header(name: string): string | undefined {
    if (this.#built) return this.#built.get(name);
    const value = this.#raw[name];
    return Array.isArray(value) ? value[0] : value || undefined;
  }
}

/** Protocol, host, port and path of an absolute URL. */
function urlParts(raw: string): { secure: boolean; hostname: string; port: string; path: string } {
  const url = new URL(raw);
  return { secure: url.protocol === 'https:', hostname: url.hostname, port: url.port, path: url.pathname + url.search };
}

/** Parses a JSON body as the real deserialization policy does (no content type, or a JSON one); a broken body is a PARSE_ERROR. */
function parseBody(response: PipelineResponse & { parsedBody?: unknown }): PipelineResponse & { parsedBody?: unknown } {
  const text = response.bodyAsText;
  if (!text) return response;
  const contentType = (response instanceof LeanResponse ? response.header('content-type') : response.headers.get('Content-Type')) || '';
  const components = contentType ? contentType.split(';').map((c) => c.toLowerCase()) : [];
  if (components.length === 0 || components.some((c) => JSON_CONTENT_TYPES.includes(c))) {
    try {
      response.parsedBody = JSON.parse(text);
    } catch (err) {
      const error = new RestError(`Error "${err}" occurred while parsing the response body - ${text}.`, {
        code: (err as { code?: string }).code || RestError.PARSE_ERROR,
        statusCode: response.status,
        request: response.request,
        response,
      });
      throw withDetails(error, response);
    }
  }
  return response;
}

/** The ServiceClient adds the flattened error body as `details` to an error that has a response. */
function withDetails(error: RestErrorType, response: PipelineResponse & { parsedBody?: unknown }): RestErrorType {
  error.details = { ...(response.parsedBody as object) };
  return error;
}

/** Retry-After of a 429 or 503 in milliseconds (`retry-after-ms`, `x-ms-retry-after-ms`, then `Retry-After` in seconds or as a date). */
function retryAfterMs(response: PipelineResponse | undefined): number | undefined {
  if (!response || (response.status !== 429 && response.status !== 503)) return undefined;
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms', 'Retry-After']) {
    const raw = response.headers.get(name);
    if (!raw) continue;
    const value = Number(raw);
    if (Number.isNaN(value)) continue;
    return name === 'Retry-After' ? value * 1000 : value;
  }
  const header = response.headers.get('Retry-After');
  if (!header) return undefined;
  const diff = Date.parse(header) - Date.now();
  return Number.isFinite(diff) ? Math.max(0, diff) : undefined;
}

/**
 * Gives a connector client the fast path for its hot calls (`replyToActivity`, `sendToConversation`,
 * `updateActivity`, `getConversationMember`, `createConversation`); its other operations stay the client's own. Returns the same client.
 */
export function withLeanConversations<T extends ConnectorClient>(connector: T, options: LeanConnectorOptions = {}): T {
  const real = connector.conversations;
  if (facades.has(real)) return connector;
  const lean = new LeanConversations(connector, real, options);
  if (!lean.enabled) return connector;
  (connector as { conversations: ConnectorClient['conversations'] }).conversations = facade(real, lean);
  return connector;
}

/** The objects that stand in for a client's Conversations (a client is never wrapped twice). */
const facades = new WeakSet<object>();

/** The lean calls of a client's Conversations, when it has them. */
export function leanConversationsOf(connector: ConnectorClient): LeanConversations | undefined {
  return (connector.conversations as { lean?: LeanConversations }).lean;
}

/** The real Conversations object with the five hot operations replaced (everything else resolves to the real one). */
function facade(real: ConnectorClient['conversations'], lean: LeanConversations): ConnectorClient['conversations'] {
  const stand = Object.create(real) as ConnectorClient['conversations'];
  Object.defineProperties(stand, {
    lean: { value: lean },
    sendToConversation: { value: lean.sendToConversation.bind(lean), writable: true, configurable: true },
    replyToActivity: { value: lean.replyToActivity.bind(lean), writable: true, configurable: true },
    updateActivity: { value: lean.updateActivity.bind(lean), writable: true, configurable: true },
    getConversationMember: { value: lean.getConversationMember.bind(lean), writable: true, configurable: true },
    createConversation: { value: lean.createConversation.bind(lean), writable: true, configurable: true },
  });
  facades.add(stand);
  return stand;
}
