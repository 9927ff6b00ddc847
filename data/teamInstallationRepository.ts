import type { DbTx } from './db';

/** A team the bot is installed in, as stored. */
export interface TeamInstallationRecord {
  teamId: string;
  /** The channel posts go to when no other is named (the team's General channel, whose id is the team id). */
  channelId: string;
  serviceUrl: string;
  tenantId: string | null;
  /** JSON of the channel's conversation reference (bot account, service URL). */
  reference: string;
  installedAt: Date;
  updatedAt: Date;
}

/** Stores where the bot is installed in teams (for posting new cards to their channels). */
export class TeamInstallationRepository {
  constructor(private readonly db: DbTx) {}

  /** Records or refreshes a team; the first recorded channel stays the default one. */
  async save(input: Omit<TeamInstallationRecord, 'installedAt' | 'updatedAt'>, now: Date): Promise<TeamInstallationRecord> {
    return this.db.teamInstallation.upsert({
      where: { teamId: input.teamId },
      create: { ...input, installedAt: now, updatedAt: now },
      update: { serviceUrl: input.serviceUrl, tenantId: input.tenantId, reference: input.reference, updatedAt: now },
    });
  }

  async find(teamId: string): Promise<TeamInstallationRecord | null> {
    return this.db.teamInstallation.findUnique({ where: { teamId } });
  }

  async remove(teamId: string): Promise<void> {
    await this.db.teamInstallation.deleteMany({ where: { teamId } });
  }
}
