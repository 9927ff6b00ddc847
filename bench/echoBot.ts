/**
 * The stock botbuilder echo bot, as in BotBuilder-Samples (02.echo-bot): restify, CloudAdapter,
 * an ActivityHandler that echoes. Nothing else. Run as a child process by bench/run.ts.
 */
import restify from 'restify';
import type { AddressInfo } from 'node:net';
import {
  ActivityHandler,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  ConfigurationServiceClientCredentialFactory,
  MessageFactory,
} from 'botbuilder';
import { answerBenchCommands } from './botControl';

class EchoBot extends ActivityHandler {
  constructor() {
    super();
    this.onMessage(async (context, next) => {
      const replyText = `Echo: ${context.activity.text}`;
      await context.sendActivity(MessageFactory.text(replyText, replyText));
      await next();
    });
  }
}

const auth = new ConfigurationBotFrameworkAuthentication({}, new ConfigurationServiceClientCredentialFactory({}));
const adapter = new CloudAdapter(auth);
adapter.onTurnError = async (context, error) => {
  process.stderr.write(`echo bot turn error: ${error instanceof Error ? error.message : String(error)}\n`);
};
const bot = new EchoBot();

const server = restify.createServer();
server.use(restify.plugins.bodyParser());
server.post('/api/messages', async (req, res) => {
  await adapter.process(req, res, (context) => bot.run(context));
});
server.get('/healthz', async (_req, res) => {
  res.send(200, { status: 'ok' });
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const port = (server.server.address() as AddressInfo).port;
  process.send?.({ type: 'ready', port });
});
answerBenchCommands();
process.on('message', (m: { type?: string }) => {
  if (m?.type === 'stop') server.close(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
