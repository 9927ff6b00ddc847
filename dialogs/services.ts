import type { TurnContext } from 'botbuilder';
import type { HandoffService } from '../domain/handoff/handoffService';
import type { AuditLog } from '../domain/privacy/auditLog';
import type { RequestService } from '../domain/requests/requestService';

/** The requester's Teams profile, when the channel can tell (used to prefill a physician's own form). */
export interface RequesterProfile {
  givenName?: string;
  surname?: string;
  name?: string;
  email?: string;
}

/** What the dialogs need from the outside world, injected by the bot layer. */
export interface DialogServices {
  requests: RequestService;
  /** The access log: every read of a request's personal fields and every change is recorded. */
  audit: AuditLog;
  /** Looks up the requester's profile (Teams `getMember`); undefined when unavailable. */
  profileOf(context: TurnContext): Promise<RequesterProfile | undefined>;
  retentionDays: number;
  /** Hands the conversation to a help-desk agent (absent, or not `available`: the bot gives phone numbers instead). */
  handoff?: Pick<HandoffService, 'available' | 'start'>;
  sharedMailboxLocalParts: readonly string[];
}
