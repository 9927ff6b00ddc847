import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

/**
 * The local chat page: Microsoft Web Chat (served from node_modules) talking to the bot through
 * offline-directline, a Direct Line served on loopback. Development only: never started in production.
 */
export interface LocalDirectLine {
  port: number;
  close(): Promise<void>;
}

/** Path of Web Chat's browser bundle inside node_modules. */
export function webChatBundlePath(): string {
  const entry = require.resolve('botframework-webchat'); // resolves only; nothing is loaded
  const marker = `${path.sep}botframework-webchat${path.sep}`;
  const root = entry.slice(0, entry.lastIndexOf(marker) + marker.length);
  return path.join(root, 'dist', 'webchat.js');
}

/** Starts offline-directline on 127.0.0.1:port (0 = any free port), forwarding to the bot's messaging endpoint. */
export async function startLocalDirectLine(port: number, botPort: number): Promise<LocalDirectLine> {
  const bridgeModule = require.resolve('offline-directline');
  // Use the very express that offline-directline was built against.
  const express = require(require.resolve('express', { paths: [path.dirname(bridgeModule)] })) as () => http.RequestListener & {
    use: (h: unknown) => void;
  };
  const { getRouter } = require(bridgeModule) as { getRouter: (serviceUrl: string, botUrl: string, initRequired?: boolean) => unknown };
  const app = express();
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  // restify, loaded in the same process, gives every http.IncomingMessage a query() method, so express believes the
  // query string is parsed already: offline-directline would then read no watermark and resend the whole history
  // on every poll (Web Chat re-mounts the cards, clearing what the user typed). Parse it here.
  app.use((req: http.IncomingMessage & { query?: unknown }, _res: http.ServerResponse, next: () => void) => {
    req.query = Object.fromEntries(new URL(req.url ?? '/', 'http://127.0.0.1').searchParams);
    next();
  });
  app.use(getRouter(`http://127.0.0.1:${actualPort}`, `http://127.0.0.1:${botPort}/api/messages`, false));
  return {
    port: actualPort,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** The chat page's HTML. The Direct Line address is read from the page's own query or the injected port. */
export function chatPageHtml(directLinePort: number, locale: string): string {
  return `<!doctype html>
<html lang="${locale.slice(0, 2)}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Registre des DMA – assistant d'accès (local)</title>
  <style>
    html, body { height: 100%; margin: 0; font-family: "Segoe UI", system-ui, sans-serif; background: #f5f5f5; }
    header { background: #464775; color: #fff; padding: 10px 16px; font-size: 15px; }
    #webchat { height: calc(100% - 40px); max-width: 760px; margin: 0 auto; background: #fff; }
  </style>
</head>
<body>
  <header>Assistant d'accès au Registre provincial des DMA — page de clavardage locale</header>
  <div id="webchat" role="main"></div>
  <script src="/webchat/webchat.js"></script>
  <script>
    (function () {
      var userId = 'local-user-' + Math.random().toString(36).slice(2, 10);
      var directLine = window.WebChat.createDirectLine({
        domain: 'http://127.0.0.1:${directLinePort}/directline',
        token: 'local-development',
        webSocket: false,
        pollingInterval: 500
      });
      window.WebChat.renderWebChat({
        directLine: directLine,
        userID: userId,
        username: 'Vous',
        locale: '${locale}',
        styleOptions: { hideUploadButton: true, bubbleBackground: '#ffffff', bubbleFromUserBackground: '#e8ebfa' }
      }, document.getElementById('webchat'));
    })();
  </script>
</body>
</html>`;
}
