import type { DbTx } from './db';
import { rowMapper } from './rowMapping';
import { sqlRunnerOf, type SqlRunner } from './sql';

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

const INSTALLATION_ROW = rowMapper<TeamInstallationRecord>({
  teamId: ['team_id', 'string', false],
  channelId: ['channel_id', 'string', false],
  serviceUrl: ['service_url', 'string', false],
  tenantId: ['tenant_id', 'string', true],
  reference: ['reference', 'string', false],
  installedAt: ['installed_at', 'date', false],
  updatedAt: ['updated_at', 'date', false],
});
const FIND = `SELECT ${INSTALLATION_ROW.columns} FROM "team_installations" WHERE "team_id" = ?`;

/** Stores where the bot is installed in teams (for posting new cards to their channels). */
export class TeamInstallationRepository {
  private readonly sql?: SqlRunner;

  constructor(private readonly db: DbTx) {
    this.sql = sqlRunnerOf(db);
  }

  /** Records or refreshes a team; the first recorded channel stays the default one. */
  async save(input: Omit<TeamInstallationRecord, 'installedAt' | 'updatedAt'>, now: Date): Promise<TeamInstallationRecord> {
    return this.db.teamInstallation.upsert({
      where: { teamId: input.teamId },
      create: { ...input, installedAt: now, updatedAt: now },
      update: { serviceUrl: input.serviceUrl, tenantId: input.tenantId, reference: input.reference, updatedAt: now },
    });
  }

  /** The team's record, or null. Plain SQL when the client has a runner (once per managers' card posted). */
  async find(teamId: string): Promise<TeamInstallationRecord | null> {
    if (this.sql) {
      const [row] = await this.sql.query(FIND, [teamId]);
      return row ? INSTALLATION_ROW.map(row) : null;
    }
    return this.db.teamInstallation.findUnique({ where: { teamId } });
  }

  async remove(teamId: string): Promise<void> {
    await this.db.teamInstallation.deleteMany({ where: { teamId } });
  }
}
