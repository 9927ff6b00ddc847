import { ConversationState, UserState, type Storage } from 'botbuilder';
import { AccessLogRepository } from '../data/accessLogRepository';
import { ConversationRefRepository } from '../data/conversationRefRepository';
import { databaseAnswers, openDatabase, type Database } from '../data/db';
import { migrate } from '../data/migrate';
import { ProcessedActivityRepository } from '../data/processedActivityRepository';
import { RequestRepository } from '../data/requestRepository';
import { AuditLog } from '../domain/privacy/auditLog';
import { RequestService } from '../domain/requests/requestService';
import { warmUpRouter } from '../domain/routing';
import { teamsProfileOf } from './services/teamsProfile';
import { createAdapter, type AdapterAuthOverrides } from './adapter';
import type { Config } from './config';
import { HelpdeskBot } from './helpdeskBot';
import { chatPageHtml, startLocalDirectLine, webChatBundlePath, type LocalDirectLine } from './localChat';
import { createLogger, type Logger } from './logger';
import { DuplicateDeliveryMiddleware } from './middleware/duplicateDelivery';
import { installSecurity, type Security } from './security';
import { createServer, listen, type RunningServer } from './server';
import { DatabaseStorage } from './services/databaseStorage';

export interface AppOptions {
  logger?: Logger;
  adapterOverrides?: AdapterAuthOverrides;
  /** Host to bind (default: all interfaces). */
  host?: string;
  /** Injectable clock (tests). */
  clock?: () => Date;
}

export interface RunningApp {
  port: number;
  directLinePort?: number;
  db: Database;
  logger: Logger;
  /** The retention schedule (erasure of closed requests' personal fields, purges); `runNow()` sweeps at once. */
  retention: Security['retention'];
  /** Graceful stop: stop accepting, finish in-flight turns, close the database. */
  stop(): Promise<void>;
}

/** Wires the activity handler and its services on an open database (used by the server and by dialog tests). */
export function buildBot(config: Config, db: Database, logger: Logger, clockOption?: () => Date, storageOverride?: Storage): { bot: HelpdeskBot; requests: RequestService } {
  const storage: Storage = storageOverride ?? new DatabaseStorage(db.prisma);
  const conversationState = new ConversationState(storage);
  const userState = new UserState(storage);
  const clock = clockOption ?? (() => new Date());
  const requests = new RequestService(new RequestRepository(db.prisma), clock);
  const bot = new HelpdeskBot({
    config,
    logger,
    conversationState,
    userState,
    conversationRefs: new ConversationRefRepository(db.prisma),
    clock,
    services: {
      requests,
      audit: new AuditLog(new AccessLogRepository(db.prisma), clock),
      profileOf: (context) => teamsProfileOf(context, logger),
      retentionDays: config.RETENTION_DAYS,
      sharedMailboxLocalParts: config.SHARED_MAILBOX_LOCAL_PARTS,
    },
  });
  return { bot, requests };
}

/** Composition root: opens and migrates the database, wires the bot and starts the HTTP server. */
export async function startApp(config: Config, options: AppOptions = {}): Promise<RunningApp> {
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const db = await openDatabase(config.DATABASE_URL);
  const applied = await migrate(db);
  if (applied.length) logger.info({ migrations: applied }, 'database migrated');

  const adapter = createAdapter(config, logger, options.adapterOverrides);
  adapter.use(new DuplicateDeliveryMiddleware(new ProcessedActivityRepository(db.prisma)));
  const security = installSecurity({ adapter, db, config, logger, clock: options.clock });
  const { bot } = buildBot(config, db, logger, options.clock);
  await warmUpRouter();

  let directLine: LocalDirectLine | undefined;
  const server = createServer({
    adapter,
    logic: (context) => bot.run(context),
    logger,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    databaseAnswers: () => databaseAnswers(db),
    localChat: config.localChat
      ? { html: () => chatPageHtml(directLine?.port ?? 0, config.DEFAULT_LOCALE), webChatBundle: webChatBundlePath() }
      : undefined,
  });

  let running: RunningServer;
  try {
    running = await listen(server, config.PORT, options.host);
    if (config.localChat) {
      const dlPort = config.DIRECTLINE_PORT ?? (config.PORT === 0 ? 0 : config.PORT + 1);
      directLine = await startLocalDirectLine(dlPort, running.port);
    }
  } catch (err) {
    await security.stop();
    await db.close();
    throw err;
  }
  logger.info({ port: running.port, provider: db.provider, localChat: config.localChat, directLinePort: directLine?.port }, 'bot listening');

  let stopping: Promise<void> | undefined;
  return {
    port: running.port,
    directLinePort: directLine?.port,
    db,
    logger,
    retention: security.retention,
    stop: () => {
      stopping ??= (async () => {
        await directLine?.close();
        await running.drain();
        await security.stop();
        await db.close();
        logger.info('bot stopped');
      })();
      return stopping;
    },
  };
}
