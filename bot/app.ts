import type { ConversationState, Storage } from 'botbuilder';
import { AccessLogRepository } from '../data/accessLogRepository';
import { ConversationRefRepository } from '../data/conversationRefRepository';
import { databaseAnswers, openDatabase, type Database } from '../data/db';
import { migrate } from '../data/migrate';
import { OutboxRepository } from '../data/outboxRepository';
import { ProcessedActivityRepository } from '../data/processedActivityRepository';
import { TeamInstallationRepository } from '../data/teamInstallationRepository';
import { ManagerRequestRepository } from '../data/managerRequestRepository';
import { RequestRepository } from '../data/requestRepository';
import { ManagerService } from '../domain/requests/managerService';
import { HandoffRepository } from '../data/handoffRepository';
import { HandoffService } from '../domain/handoff/handoffService';
import { resolveLang } from '../domain/i18n';
import { AuditLog } from '../domain/privacy/auditLog';
import { RequestService } from '../domain/requests/requestService';
import { warmUpRouter } from '../domain/routing';
import { teamsProfileOf } from './services/teamsProfile';
import { createAdapter, type AdapterAuthOverrides } from './adapter';
import type { Config } from './config';
import { HelpdeskBot, type ConversationFlags, type TurnInterceptor } from './helpdeskBot';
import type { RouterMemory } from '../dialogs/router';
import { chatPageHtml, startLocalDirectLine, webChatBundlePath, type LocalDirectLine } from './localChat';
import { createLogger, type Logger } from './logger';
import { DuplicateDeliveryMiddleware } from './middleware/duplicateDelivery';
import { TurnPreludeMiddleware } from './middleware/turnPrelude';
import { createUserRateLimiter, RateLimiterSqlStore } from './middleware/userRateLimit';
import { TurnPreludeRepository } from '../data/turnPreludeRepository';
import { installSecurity, type Security } from './security';
import { createServer, listen, type RunningServer } from './server';
import { DeadlineSweep } from './managers/deadlineSweep';
import { OutboxRequestNotifications, queueMissingCards, registerManagerHandlers } from './managers/managerNotifications';
import { ManagersChannel } from './managers/managersChannel';
import { DatabaseStorage } from './services/databaseStorage';
import { releaseYoungGeneration } from './services/startupYoungGeneration';
import { LeanConversationState, LeanUserState } from './services/leanBotState';
import { releasePrismaWasmSource } from './services/prismaWasmSource';
import { OutboxDispatcher, OutboxSignal } from './services/outboxDispatcher';
import { PROACTIVE_ACTIVITY_KIND, ProactiveSender, proactiveActivityHandler } from './services/proactive';
import { TeamChannels, teamInstallationInterceptor } from './services/teamChannels';
import { registerHandoffDelivery } from './handoff/handoffDelivery';
import { handoffRelayInterceptor, type HandoffMarker } from './handoff/handoffRelay';
import { HandoffSweeper } from './handoff/handoffSweeper';
import { exposedCollector, IdleHeapSettler } from './services/idleHeapSettler';

export interface AppOptions {
  logger?: Logger;
  adapterOverrides?: AdapterAuthOverrides;
  /** Host to bind (default: all interfaces). */
  host?: string;
  /** Injectable clock (tests). */
  clock?: () => Date;
  /** Random source for retry jitter (tests). */
  random?: () => number;
  /** Start the outbox dispatcher and deadline sweep timers (default true; tests may drive them with runOnce). */
  startTimers?: boolean;
}

/** The reliable-notification pieces, exposed for other features and for tests. */
export interface OutboxServices {
  repository: OutboxRepository;
  dispatcher: OutboxDispatcher;
  proactive: ProactiveSender;
  teams: TeamChannels;
}

/** The agents' relay, exposed for tests (the sweep is driven by hand when timers are off). */
export interface HandoffServices {
  service: HandoffService;
  sweeper: HandoffSweeper;
}

export interface RunningApp {
  port: number;
  directLinePort?: number;
  db: Database;
  logger: Logger;
  outbox: OutboxServices;
  /** The access managers' use cases and the secret-code deadline sweep. */
  managers: { service: ManagerService; sweep: DeadlineSweep };
  handoff: HandoffServices;
  /** The retention schedule (erasure of closed requests' personal fields, purges); `runNow()` sweeps at once. */
  retention: Security['retention'];
  /** Graceful stop: stop accepting, finish in-flight turns, close the database. */
  stop(): Promise<void>;
}

/** What {@link buildBot} wires: the activity handler and the database-side services the server also needs. */
export interface BuiltBot {
  bot: HelpdeskBot;
  requests: RequestService;
  /** The one request repository of the process: on PostgreSQL its reads of requests with their events are batched. */
  requestRepository: RequestRepository;
  outboxRepository: OutboxRepository;
  /** Notified after a commit that enqueued outbox rows; startApp connects it to the dispatcher. */
  outboxSignal: OutboxSignal;
  teams: TeamChannels;
  managers: ManagerService;
  handoff: HandoffService;
}

/**
 * The relay's hint in conversation state ({@link RouterMemory.handoff}): the router marks a conversation when it
 * hands it to the agents. A conversation never welcomed cannot have been handed off; one from before the mark
 * existed (absent) is looked up once.
 */
function handoffMarker(conversationState: ConversationState): HandoffMarker {
  const router = conversationState.createProperty<RouterMemory>('router');
  const flags = conversationState.createProperty<ConversationFlags>('flags');
  return {
    mayBeOpen: async (context) => {
      const memory = await router.get(context, {});
      if (memory.handoff !== undefined) return memory.handoff;
      if ((await flags.get(context))?.welcomed) return true;
      memory.handoff = false; // a conversation's first turn: nothing was handed off yet
      return false;
    },
    set: async (context, open) => {
      const memory = await router.get(context, {});
      if (memory.handoff !== open) memory.handoff = open;
    },
  };
}

/** Wires the activity handler and its services on an open database (used by the server and by dialog tests). */
export function buildBot(config: Config, db: Database, logger: Logger, clockOption?: () => Date, storageOverride?: Storage): BuiltBot {
  const storage: Storage = storageOverride ?? new DatabaseStorage(db.prisma);
  // botbuilder's states with a cheaper change check (bot/services/leanBotState.ts).
  const conversationState = new LeanConversationState(storage);
  const userState = new LeanUserState(storage);
  const clock = clockOption ?? (() => new Date());
  const outboxRepository = new OutboxRepository(db.prisma);
  const outboxSignal = new OutboxSignal();
  const teams = new TeamChannels(new TeamInstallationRepository(db.prisma), clock);
  const requestRepository = new RequestRepository(db.prisma);
  const notifications = new OutboxRequestNotifications(config, outboxSignal, clock);
  const managers = new ManagerService(requestRepository, new ManagerRequestRepository(db.prisma), notifications, clock, {
    days: config.CODE_REMINDER_DAYS,
    hours: config.REMINDER_BUSINESS_HOURS,
  });
  // Filing and cancelling write the managers' card refresh in their own transaction.
  const requests = new RequestService(requestRepository, clock, notifications.filing(), {
    onCancelled: (tx, request) => notifications.requestChanged(tx, request, { action: 'cancelled', updateCard: true }),
    afterCommit: () => notifications.committed(),
  });
  const handoff = new HandoffService(new HandoffRepository(db.prisma), {
    outbox: outboxRepository,
    agentsTeamId: config.HELPDESK_AGENTS_TEAM_ID,
    agentsChannelId: config.HELPDESK_AGENTS_CHANNEL_ID,
    waitMinutes: config.HANDOFF_WAIT_MINUTES,
    clock,
    onEnqueued: () => outboxSignal.notify(),
    requesterOf: async (requestId) => (await requestRepository.findById(requestId))?.requesterUserId ?? null,
  });
  const audit = new AuditLog(new AccessLogRepository(db.prisma), clock);
  const interceptors: TurnInterceptor[] = [
    teamInstallationInterceptor(teams, logger, async (teamId) => {
      if ((await outboxRepository.requeueTeam(teamId, clock())) > 0) outboxSignal.notify();
    }),
    // The relay first: it takes only handoff verbs and handoff threads when the two teams are the same.
    handoffRelayInterceptor(handoff, {
      marker: handoffMarker(conversationState),
      agentsTeamId: config.HELPDESK_AGENTS_TEAM_ID,
      managersTeamId: config.ACCESS_MANAGERS_TEAM_ID,
      agentsLang: resolveLang(config.DEFAULT_LOCALE),
      logger,
      audit,
    }),
    new ManagersChannel({ config, logger, managers, clock, audit }),
  ];
  const bot = new HelpdeskBot({
    config,
    logger,
    conversationState,
    userState,
    conversationRefs: new ConversationRefRepository(db.prisma),
    clock,
    interceptors,
    services: {
      requests,
      audit,
      profileOf: (context) => teamsProfileOf(context, logger),
      retentionDays: config.RETENTION_DAYS,
      handoff,
      sharedMailboxLocalParts: config.SHARED_MAILBOX_LOCAL_PARTS,
    },
  });
  return { bot, requests, requestRepository, outboxRepository, outboxSignal, teams, managers, handoff };
}

/** Composition root: opens and migrates the database, wires the bot and starts the HTTP server. */
export async function startApp(config: Config, options: AppOptions = {}): Promise<RunningApp> {
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const db = await openDatabase(config.DATABASE_URL, {
    // As `err`: the logger's error serializer scrubs its message (`reason` is a censored key, it would print nothing).
    onCheckpointFailure: (err) => logger.warn({ err }, 'SQLite checkpoint thread stopped: the connection checkpoints by itself from now on'),
  });
  const applied = await migrate(db);
  if (applied.length) logger.info({ migrations: applied }, 'database migrated');

  const storage = new DatabaseStorage(db.prisma);
  const { bot, requests, requestRepository, outboxRepository, outboxSignal, teams, managers, handoff } = buildBot(config, db, logger, options.clock, storage);
  const adapter = createAdapter(config, logger, options.adapterOverrides);
  const limiter = createUserRateLimiter(db.prisma, { points: config.USER_MESSAGES_PER_MINUTE, windowSeconds: 60 });
  // A turn's opening statements go together (one round trip on PostgreSQL, one group-commit entry on SQLite): its
  // middleware comes first and fills in for the duplicate-delivery claim, the rate-limit count and the state read.
  if (db.provider === 'postgresql' || db.sql.together) {
    adapter.use(
      new TurnPreludeMiddleware({
        repository: new TurnPreludeRepository(db.sql),
        storage,
        limiter: limiter instanceof RateLimiterSqlStore ? limiter : undefined,
        stateKeys: (context) => bot.stateKeys(context),
        // Real time, not options.clock: the claim and the rate-limit window are stamped as their own statements stamp
        // them (ProcessedActivityRepository.claim and the limiter's store use the real time).
      }),
    );
  }
  adapter.use(new DuplicateDeliveryMiddleware(new ProcessedActivityRepository(db.prisma)));
  const security = installSecurity({ adapter, db, config, logger, clock: options.clock, limiter });
  const clock = options.clock ?? (() => new Date());
  const proactive = new ProactiveSender(adapter, new ConversationRefRepository(db.prisma), teams, {
    botAppId: config.MicrosoftAppId ?? '',
    requestTimeoutMs: config.OUTBOX_SEND_TIMEOUT_MS,
  });
  const dispatcher = new OutboxDispatcher(outboxRepository, logger, {
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
    maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
    backoffBaseMs: config.OUTBOX_BACKOFF_BASE_MS,
    backoffMaxMs: config.OUTBOX_BACKOFF_MAX_MS,
    sendTimeoutMs: config.OUTBOX_SEND_TIMEOUT_MS,
    concurrency: config.OUTBOX_CONCURRENCY,
    clock,
    random: options.random,
  });
  dispatcher.register(PROACTIVE_ACTIVITY_KIND, proactiveActivityHandler(proactive));
  const managerHandlerDeps = {
    config,
    logger,
    proactive,
    requests: requestRepository,
    queries: new ManagerRequestRepository(db.prisma),
    outbox: outboxRepository,
    signal: outboxSignal,
    clock,
  };
  registerManagerHandlers(dispatcher, managerHandlerDeps);
  const cardsQueued = await queueMissingCards(managerHandlerDeps);
  if (cardsQueued) logger.info({ cardsQueued }, 'managers cards queued at start-up');
  const sweep = new DeadlineSweep(managers, config.DEADLINE_SWEEP_INTERVAL_MS, logger);
  registerHandoffDelivery(dispatcher, {
    service: handoff,
    proactive,
    requestsOf: async (userId) => (await requests.listMine(userId, 5)).map((r) => ({ reference: r.reference, status: r.status })),
    agentsLang: resolveLang(config.DEFAULT_LOCALE),
    clock,
  });
  const handoffSweeper = new HandoffSweeper(handoff, logger, config.DEADLINE_SWEEP_INTERVAL_MS);
  outboxSignal.connect(() => dispatcher.kick());
  const outbox: OutboxServices = { repository: outboxRepository, dispatcher, proactive, teams };
  await warmUpRouter();
  // Prisma has compiled its query compiler by now (migrations and the start-up queries ran): its 4 MiB base64 source can go.
  releasePrismaWasmSource();

  const collect = exposedCollector();
  const heapSettler =
    collect && config.HEAP_SETTLE_IDLE_MS > 0
      ? new IdleHeapSettler({
          collect,
          idleMs: config.HEAP_SETTLE_IDLE_MS,
          onSettled: (rssBeforeMiB, rssAfterMiB) => {
            const { heapTotal, heapUsed, external } = process.memoryUsage();
            const mib = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
            logger.debug({ rssBeforeMiB, rssAfterMiB, heapTotalMiB: mib(heapTotal), heapUsedMiB: mib(heapUsed), externalMiB: mib(external) }, 'heap settled after a quiet stretch');
          },
        })
      : undefined;
  // Start-up's own garbage goes before the first request, rather than at the settler's first quiet checks (~10 s).
  heapSettler?.settleNow();
  // Start-up is over: the young generation may grow again for the turns (see bot/holdYoungGeneration.ts).
  releaseYoungGeneration();

  let directLine: LocalDirectLine | undefined;
  const server = createServer({
    onActivity: heapSettler && (() => heapSettler.noteTurn()),
    adapter,
    logic: (context) => bot.run(context),
    logger,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    databaseAnswers: () => databaseAnswers(db),
    healthDetails: async () => ({ outbox: await outboxRepository.health() }),
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
  if (options.startTimers !== false) {
    dispatcher.start();
    sweep.start();
    handoffSweeper.start();
    heapSettler?.start();
  }
  if (!config.ACCESS_MANAGERS_TEAM_ID) logger.warn('ACCESS_MANAGERS_TEAM_ID is not set: managers cards wait in the outbox until it is');

  let stopping: Promise<void> | undefined;
  return {
    port: running.port,
    directLinePort: directLine?.port,
    db,
    logger,
    outbox,
    managers: { service: managers, sweep },
    handoff: { service: handoff, sweeper: handoffSweeper },
    retention: security.retention,
    stop: () => {
      stopping ??= (async () => {
        heapSettler?.stop();
        await directLine?.close();
        await running.drain();
        await sweep.stop();
        await handoffSweeper.stop();
        await dispatcher.stop();
        await security.stop();
        await db.close();
        logger.info('bot stopped');
      })();
      return stopping;
    },
  };
}
