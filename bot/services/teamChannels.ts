import { TurnContext, type Activity } from 'botbuilder';
import type { TeamInstallationRecord, TeamInstallationRepository } from '../../data/teamInstallationRepository';
import type { TurnInterceptor } from '../helpdeskBot';
import type { Logger } from '../logger';

/** Teams' channelData on activities from a team. */
interface TeamsChannelData {
  eventType?: string;
  team?: { id?: string; name?: string };
  channel?: { id?: string; name?: string };
  tenant?: { id?: string };
}

/** The team and channel an activity comes from (undefined outside a team). */
export function teamOf(activity: Partial<Activity>): { teamId: string; channelId?: string } | undefined {
  const data = (activity.channelData ?? {}) as TeamsChannelData;
  const teamId = data.team?.id;
  if (!teamId) return undefined;
  return { teamId, channelId: data.channel?.id };
}

/** What an activity meant for the bot's place in a team. */
export type InstallationChange = 'installed' | 'removed' | 'seen';

/** Thrown when a post targets a team the bot has not been installed in (yet): worth retrying later. */
export class TeamNotInstalledError extends Error {
  override name = 'TeamNotInstalledError';
  readonly retryable = true;
  constructor(readonly teamId: string) {
    super('The bot is not installed in the target team');
  }
}

/**
 * Remembers the teams the bot is installed in, from Teams' conversationUpdate / installationUpdate events
 * (and any later activity from the team), so that cards can be posted to their channels later.
 */
export class TeamChannels {
  /** Installations read lately, by team id, until their `until` (monotonic milliseconds). */
  private readonly recent = new Map<string, { installation: TeamInstallationRecord; until: number }>();

  constructor(
    private readonly repo: TeamInstallationRepository,
    private readonly clock: () => Date = () => new Date(),
    /**
     * How long an installation read is used again (real time, not `clock`), so that a burst of posts to one team
     * reads it once. A team's installation changes when the bot is added, removed, or Teams moves its service URL.
     */
    private readonly reuseMs = 5_000,
  ) {}

  /**
   * Records the team of an activity, if it comes from one.
   * @returns `installed` when the bot was just added (installationUpdate add, or the bot among membersAdded),
   * `removed` when it was removed, `seen` for any other activity from a team, undefined outside teams.
   */
  async recordFromActivity(activity: Partial<Activity>): Promise<InstallationChange | undefined> {
    const team = teamOf(activity);
    if (!team) return undefined;
    // Whatever this activity changes about the team, the next post reads it again.
    this.forget(team.teamId);
    const data = (activity.channelData ?? {}) as TeamsChannelData;
    const botId = activity.recipient?.id;
    const removed =
      (activity.type === 'installationUpdate' && /^remove/.test(String(activity.action ?? ''))) ||
      (activity.type === 'conversationUpdate' && (activity.membersRemoved ?? []).some((m) => m.id === botId));
    if (removed) {
      await this.repo.remove(team.teamId);
      return 'removed';
    }
    const installed =
      (activity.type === 'installationUpdate' && /^add/.test(String(activity.action ?? 'add'))) ||
      (activity.type === 'conversationUpdate' && (activity.membersAdded ?? []).some((m) => m.id === botId));
    if (!activity.serviceUrl) return undefined;
    const reference = TurnContext.getConversationReference(activity);
    // A channel post is addressed to the channel, not to whoever installed the bot.
    delete reference.activityId;
    delete reference.user;
    await this.repo.save(
      {
        teamId: team.teamId,
        // Teams gives the General channel the team's own id.
        channelId: team.teamId,
        serviceUrl: activity.serviceUrl,
        tenantId: data.tenant?.id ?? activity.conversation?.tenantId ?? null,
        reference: JSON.stringify(reference),
      },
      this.clock(),
    );
    return installed ? 'installed' : 'seen';
  }

  /**
   * The stored installation of a team; read again after `reuseMs`, after this instance saw an activity from the
   * team, and after a post with it failed ({@link forget}).
   * @throws TeamNotInstalledError when the bot is not (yet) in that team (never remembered: an installation recorded
   * by another instance is seen at the next try).
   * @remarks Several instances share the database: a change recorded by another instance (the bot removed, added
   * again, a new service URL) is seen here up to `reuseMs` late. A post in that window goes where the bot was: Teams
   * refuses it if the bot is gone (as it does for a post sent just before the removal event reached any instance;
   * rows of that team, failed ones included, are requeued when the bot is added again), and a failed post drops the
   * installation, so the outbox's retry reads it afresh.
   */
  async installation(teamId: string): Promise<TeamInstallationRecord> {
    const now = performance.now();
    const recent = this.recent.get(teamId);
    if (recent && now < recent.until) return recent.installation;
    const found = await this.repo.find(teamId);
    if (!found) {
      this.recent.delete(teamId);
      throw new TeamNotInstalledError(teamId);
    }
    if (this.reuseMs > 0) this.recent.set(teamId, { installation: found, until: now + this.reuseMs });
    return found;
  }

  /** Reads the team's installation again next time (a post to it failed). */
  forget(teamId: string): void {
    this.recent.delete(teamId);
  }
}

/**
 * Records team installations from membership events and from any activity coming from a team; on an
 * installation, `onInstalled` runs (e.g. to requeue posts that were waiting for that team).
 */
export function teamInstallationInterceptor(
  teams: TeamChannels,
  logger: Logger,
  onInstalled?: (teamId: string) => Promise<void>,
): TurnInterceptor {
  const record = async (context: TurnContext) => {
    const change = await teams.recordFromActivity(context.activity);
    const team = teamOf(context.activity);
    if (!team || !change || change === 'seen') return;
    // Team ids are not personal data; logging them lets an administrator set ACCESS_MANAGERS_TEAM_ID.
    logger.info({ teamId: team.teamId, change }, change === 'installed' ? 'bot installed in a team' : 'bot removed from a team');
    if (change === 'installed') await onInstalled?.(team.teamId);
  };
  return {
    onMembershipEvent: record,
    handleInput: async (context) => {
      await record(context);
      return false;
    },
  };
}

/** Team ids as Teams sends them, or as copied from a Teams link (URL-encoded): compared decoded, case-insensitively. */
export function sameTeam(a: string, b: string): boolean {
  const norm = (v: string) => {
    try {
      return decodeURIComponent(v).trim().toLowerCase();
    } catch {
      return v.trim().toLowerCase();
    }
  };
  return norm(a) === norm(b);
}
