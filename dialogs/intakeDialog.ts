import { randomUUID } from 'node:crypto';
import { MessageFactory, type TurnContext } from 'botbuilder';
import { Dialog, DialogTurnStatus, type DialogContext, type DialogInstance, type DialogTurnResult } from './framework';
import { filedCard } from '../cards/intakeFiled';
import { intakeFormCard } from '../cards/intakeForm';
import { summaryCard } from '../cards/intakeSummary';
import { triageCard } from '../cards/intakeTriage';
import { cardAttachment, type AdaptiveCardJson } from '../cards/render';
import { withdrawalFormCard } from '../cards/withdrawalForm';
import { validateIntake, validateTriage, validateWithdrawal, type FieldErrors, type RawValues } from '../domain/intake/fields';
import type { AccessKind, AccessRole, RequestKind, RequesterRole } from '../domain/intake/kinds';
import { AUDIT_ACTIONS } from '../domain/privacy/auditLog';
import type { DialogServices, RequesterProfile } from './services';
import { readTurnInput } from './turnInput';
import { turnScope } from './turnScope';

/** Id of the access and withdrawal intake dialog. */
export const INTAKE_DIALOG = 'intake';

/** Card verbs this dialog answers. */
export const INTAKE_VERBS = ['intake.triage', 'intake.submit', 'withdraw.submit', 'intake.confirm', 'intake.edit', 'intake.cancel'] as const;

export type IntakeMode = 'access' | 'withdrawal';

export interface IntakeOptions {
  mode: IntakeMode;
}

/** Where an intake stands; kept in conversation state, so a restart resumes at the same step with the values. */
export interface IntakeState {
  mode: IntakeMode;
  stage: 'triage' | 'form' | 'summary';
  kind?: RequestKind;
  role?: RequesterRole;
  /** What the user entered, as strings, kept across errors, edits and restarts. */
  values: RawValues;
  errors?: FieldErrors;
  /** The requester's own email (Teams profile), to check a manager does not give their own address for the professional. */
  requesterEmail?: string;
  /**
   * The requester's Teams profile, looked up while the triage card went out; used (and dropped) at triage. Absent when
   * that lookup found nothing: triage looks up again.
   */
  teamsProfile?: Pick<RequesterProfile, 'givenName' | 'surname' | 'email'>;
  /** Id of the card instance currently expected; the summary's id is the filing's idempotency key. */
  cardId: string;
}

/** Result the intake returns to its parent when it ends. */
export interface IntakeResult {
  outcome: 'filed' | 'duplicate' | 'cancelled';
  reference?: string;
}

function attachment(card: AdaptiveCardJson) {
  return MessageFactory.attachment(cardAttachment(card));
}

/**
 * Guides a requester through triage, form, summary and confirmation, then files the request once.
 * @remarks Works on card verbs only; free text during an intake is handled by the router (interruptions,
 * questions), which then calls {@link repromptDialog} to show the current step again.
 */
export class IntakeDialog extends Dialog<IntakeOptions> {
  constructor(private readonly services: DialogServices) {
    super(INTAKE_DIALOG);
  }

  override async beginDialog(dc: DialogContext, options?: IntakeOptions): Promise<DialogTurnResult> {
    const mode = options?.mode ?? 'access';
    const state: IntakeState =
      mode === 'withdrawal'
        ? { mode, stage: 'form', kind: 'withdrawal', role: 'supervisor', values: {}, cardId: randomUUID() }
        : { mode, stage: 'triage', values: {}, cardId: randomUUID() };
    dc.activeDialog!.state = state;
    if (mode === 'withdrawal') {
      await this.show(dc.context, state);
      return Dialog.EndOfTurn;
    }
    // Triage leads to the form, which starts from the requester's Teams profile: look it up now, while the triage card
    // goes out, rather than between the triage and the form, where the requester would wait for it.
    const [, profile] = await Promise.all([this.show(dc.context, state), this.services.profileOf(dc.context)]);
    if (profile) state.teamsProfile = { givenName: profile.givenName, surname: profile.surname, email: profile.email };
    return Dialog.EndOfTurn;
  }

  override async continueDialog(dc: DialogContext): Promise<DialogTurnResult> {
    const state = dc.activeDialog!.state as IntakeState;
    const input = readTurnInput(dc.context.activity);
    if (input.kind !== 'action') return Dialog.EndOfTurn;
    const { t } = turnScope(dc.context);
    const data = input.data;

    switch (input.verb) {
      case 'intake.triage': {
        const triage = validateTriage(data);
        if (!triage.ok) {
          state.stage = 'triage';
          state.errors = triage.errors;
          state.values = { ...state.values, ...triage.values };
          return this.reshow(dc.context, state);
        }
        state.mode = 'access';
        state.kind = triage.values.kind;
        state.role = triage.values.requesterRole;
        state.stage = 'form';
        state.errors = undefined;
        const profile = state.teamsProfile ?? (await this.services.profileOf(dc.context));
        delete state.teamsProfile;
        state.requesterEmail = profile?.email?.toLowerCase();
        if (state.role === 'physician' && profile && !state.values.lastName && !state.values.firstName && !state.values.email) {
          // A physician asks for themself: start from the Teams profile (editable).
          state.values = {
            ...state.values,
            lastName: profile.surname ?? '',
            firstName: profile.givenName ?? '',
            email: profile.email?.toLowerCase() ?? '',
          };
        }
        return this.reshow(dc.context, state);
      }

      case 'intake.submit':
      case 'withdraw.submit': {
        if (!state.kind || !state.role) return this.reshow(dc.context, state);
        const ctx = { requesterEmail: state.requesterEmail, sharedMailboxLocalParts: this.services.sharedMailboxLocalParts };
        const result =
          state.kind === 'withdrawal'
            ? validateWithdrawal(data, ctx)
            : validateIntake(state.kind as AccessKind, state.role as AccessRole, data, ctx);
        if (!result.ok) {
          state.stage = 'form';
          state.values = result.values;
          state.errors = result.errors;
          return this.reshow(dc.context, state);
        }
        state.values = Object.fromEntries(Object.entries(result.values).map(([k, v]) => [k, String(v)]));
        state.errors = undefined;
        state.stage = 'summary';
        return this.reshow(dc.context, state);
      }

      case 'intake.edit': {
        state.stage = state.kind ? 'form' : 'triage';
        state.errors = undefined;
        return this.reshow(dc.context, state);
      }

      case 'intake.cancel': {
        await dc.context.sendActivity(t('dialogs:intake.cancelled'));
        return dc.endDialog({ outcome: 'cancelled' } satisfies IntakeResult);
      }

      case 'intake.confirm':
        return this.confirm(dc, state, typeof data.cardId === 'string' ? data.cardId : '');

      default:
        return Dialog.EndOfTurn;
    }
  }

  override async repromptDialog(context: TurnContext, instance: DialogInstance): Promise<void> {
    await this.show(context, instance.state as IntakeState);
  }

  private async confirm(dc: DialogContext, state: IntakeState, cardId: string): Promise<DialogTurnResult> {
    const { t, lang } = turnScope(dc.context);
    if (state.stage !== 'summary' || cardId !== state.cardId) {
      // An older summary card: it may show other values than the ones kept now.
      const filed = cardId ? await this.services.requests.findFiledBy(cardId) : null;
      if (filed) {
        await dc.context.sendActivity(t('dialogs:intake.alreadyFiled', { reference: filed.reference }));
        return Dialog.EndOfTurn;
      }
      await dc.context.sendActivity(t('dialogs:intake.staleCard'));
      return this.reshow(dc.context, state);
    }
    const a = dc.context.activity;
    const validated =
      state.kind === 'withdrawal'
        ? validateWithdrawal(state.values, { requesterEmail: state.requesterEmail, sharedMailboxLocalParts: this.services.sharedMailboxLocalParts })
        : validateIntake(state.kind as AccessKind, state.role as AccessRole, state.values, {
            requesterEmail: state.requesterEmail,
            sharedMailboxLocalParts: this.services.sharedMailboxLocalParts,
          });
    if (!validated.ok) {
      state.stage = 'form';
      state.errors = validated.errors;
      return this.reshow(dc.context, state);
    }
    const { request, created } = await this.services.requests.fileRequest({
      kind: state.kind!,
      role: state.role!,
      values: validated.values,
      requester: { userId: a.from.id, aadObjectId: a.from.aadObjectId ?? null, name: a.from.name ?? null, email: state.requesterEmail ?? null },
      conversationId: a.conversation.id,
      locale: lang === 'en' ? 'en-CA' : 'fr-CA',
      idempotencyKey: state.cardId,
      // Written with the request (a second confirmation files nothing and writes no row).
      audit: this.services.audit.entry({ userId: a.from.id, aadObjectId: a.from.aadObjectId }, AUDIT_ACTIONS.requestFiled),
    });
    if (!created) {
      await dc.context.sendActivity(t('dialogs:intake.alreadyFiled', { reference: request.reference }));
      return dc.endDialog({ outcome: 'duplicate', reference: request.reference } satisfies IntakeResult);
    }
    await dc.context.sendActivity(
      attachment(filedCard(t, { cardId: randomUUID(), kind: state.kind!, role: state.role!, reference: request.reference })),
    );
    return dc.endDialog({ outcome: 'filed', reference: request.reference } satisfies IntakeResult);
  }

  /** Shows the current step again with a fresh card instance id. */
  private async reshow(context: TurnContext, state: IntakeState): Promise<DialogTurnResult> {
    state.cardId = randomUUID();
    await this.show(context, state);
    return Dialog.EndOfTurn;
  }

  private async show(context: TurnContext, state: IntakeState): Promise<void> {
    const { t } = turnScope(context);
    const { cardId, values, errors } = state;
    let card: AdaptiveCardJson;
    if (state.stage === 'triage' || !state.kind || !state.role) {
      card = triageCard(t, cardId, this.services.retentionDays, { values, errors });
    } else if (state.stage === 'form') {
      card =
        state.kind === 'withdrawal'
          ? withdrawalFormCard(t, { cardId, values, errors, retentionDays: this.services.retentionDays })
          : intakeFormCard(t, { cardId, kind: state.kind as AccessKind, role: state.role as AccessRole, values, errors });
    } else {
      card = summaryCard(t, { cardId, kind: state.kind, role: state.role, values });
    }
    await context.sendActivity(attachment(card));
  }
}

/** Whether a dialog turn result means the dialog is still waiting for the user. */
export function isWaiting(result: DialogTurnResult): boolean {
  return result.status === DialogTurnStatus.waiting;
}
