'use strict';
/**
 * Preloaded (`node --require`) into tools the tests start, such as the Microsoft 365 Agents Playground:
 * every outbound TCP connection to a host that is not the loopback is refused (and reported on stderr
 * as `[loopback-only] blocked <host>:<port>`), and a server asked to listen on all interfaces listens
 * on 127.0.0.1 instead. Unix sockets are left alone.
 */
const net = require('node:net');

const isLoopback = (host) =>
  host === undefined || host === null || host === '' || host === 'localhost' || host === '::1' || /^127\./.test(host) || host === '::ffff:127.0.0.1';

/** Reads host/port/path from the shapes `Socket#connect` is called with (including Node's normalized array). */
function target(args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (first && typeof first === 'object') return { host: first.host, port: first.port, path: first.path };
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return { host: typeof args[1] === 'string' ? args[1] : 'localhost', port: first };
  }
  return { path: first };
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function loopbackOnlyConnect(...args) {
  const { host, port, path } = target(args);
  if (path || isLoopback(host)) return connect.apply(this, args);
  process.stderr.write(`[loopback-only] blocked ${host}:${port}\n`);
  const error = Object.assign(new Error(`connect ECONNREFUSED ${host}:${port} (loopback only)`), { code: 'ECONNREFUSED' });
  process.nextTick(() => this.destroy(error));
  return this;
};

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function loopbackOnlyListen(...args) {
  const first = args[0];
  if (args.length === 0 || typeof first === 'function') {
    args.unshift(0, '127.0.0.1');
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
  } else if (first && typeof first === 'object' && first.path === undefined && first.fd === undefined && first._handle === undefined && !first.host) {
    args[0] = { ...first, host: '127.0.0.1' };
  }
  return listen.apply(this, args);
};
