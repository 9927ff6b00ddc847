/**
 * The parts of botbuilder-dialogs the dialogs use, imported from their own modules.
 * @remarks `import … from 'botbuilder-dialogs'` loads the whole package — prompts, the Microsoft text recognizers,
 * choice recognizers, the memory scopes' expression engine: ~250 modules, ~26 MiB of resident memory and ~0.3 s of
 * start-up that this bot never uses. Import dialog classes from here; add what you need (from botbuilder-dialogs/lib/…),
 * or from the package itself when you need a prompt (and the cost that comes with it).
 */
export { Dialog, DialogTurnStatus, type DialogInstance, type DialogTurnResult } from 'botbuilder-dialogs/lib/dialog';
export { DialogSet } from 'botbuilder-dialogs/lib/dialogSet';
export type { DialogContext, DialogState } from 'botbuilder-dialogs/lib/dialogContext';
