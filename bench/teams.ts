import http from 'node:http';
import type { BenchConnector } from './connector';

/**
 * The bench's two Teams teams, as a deployment configures them (bot/config.ts): the access managers' team, whose
 * channel gets a card per filed request, and the help-desk agents' team (handoffs). Channel ids are those of a
 * channel other than General, as ACCESS_MANAGERS_CHANNEL_ID / HELPDESK_AGENTS_CHANNEL_ID name one.
 */
export const BENCH_TEAMS = {
  managers: { teamId: '19:bench-dma-managers@thread.tacv2', channelId: '19:bench-dma-requests@thread.tacv2', name: 'Gestionnaires DMA' },
  agents: { teamId: '19:bench-helpdesk-agents@thread.tacv2', channelId: '19:bench-helpdesk-queue@thread.tacv2', name: 'Soutien' },
} as const;

/** The help-desk bot's environment for those teams. */
export function benchTeamsEnv(): Record<string, string> {
  return {
    ACCESS_MANAGERS_TEAM_ID: BENCH_TEAMS.managers.teamId,
    ACCESS_MANAGERS_CHANNEL_ID: BENCH_TEAMS.managers.channelId,
    HELPDESK_AGENTS_TEAM_ID: BENCH_TEAMS.agents.teamId,
    HELPDESK_AGENTS_CHANNEL_ID: BENCH_TEAMS.agents.channelId,
  };
}

function post(port: number, activity: Record<string, unknown>): Promise<number> {
  const body = JSON.stringify(activity);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/api/messages', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Installs the bot in both teams the way Teams tells a bot it was added to a team: an `installationUpdate`
 * (action `add`) and a `conversationUpdate` with the bot among `membersAdded` (event `teamMemberAdded`), both
 * in the team's General channel (whose id is the team's). The bot stores each team's channel reference, which
 * the managers' cards need, and says hello in the managers' General channel.
 * @throws when the bot does not accept an activity or never greets the managers' team.
 */
export async function installBenchTeams(port: number, connector: BenchConnector): Promise<void> {
  let seq = 0;
  for (const team of [BENCH_TEAMS.managers, BENCH_TEAMS.agents]) {
    const base = {
      channelId: 'msteams',
      serviceUrl: connector.url,
      timestamp: new Date().toISOString(),
      from: { id: '29:bench-team-owner', name: 'Propriétaire', aadObjectId: 'aad-bench-team-owner' },
      recipient: { id: '28:bot', name: 'Assistant DMA' },
      conversation: { id: team.teamId, conversationType: 'channel', isGroup: true, tenantId: 'tenant-bench' },
      locale: 'fr-CA',
    };
    const activities = [
      { ...base, id: `bench-install-${++seq}`, type: 'installationUpdate', action: 'add', channelData: { team: { id: team.teamId, name: team.name }, tenant: { id: 'tenant-bench' }, source: { name: 'message' } } },
      { ...base, id: `bench-install-${++seq}`, type: 'conversationUpdate', membersAdded: [{ id: '28:bot' }], channelData: { eventType: 'teamMemberAdded', team: { id: team.teamId, name: team.name }, tenant: { id: 'tenant-bench' } } },
    ];
    let greeted = false;
    for (const activity of activities) {
      const status = await post(port, activity);
      if (status < 200 || status >= 300) throw new Error(`the bot answered ${status} to the ${activity.type} of team ${team.name}`);
      greeted = (connector.take(team.teamId, activity.id)?.count ?? 0) > 0 || greeted;
    }
    if (team === BENCH_TEAMS.managers && !greeted) throw new Error('the bot did not greet the managers’ team: its installation was not recorded');
  }
}
