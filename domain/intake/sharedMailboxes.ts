/** Local parts that designate a shared mailbox; RAMQ refuses them for credentials. */
export const DEFAULT_SHARED_MAILBOX_LOCAL_PARTS: readonly string[] = Object.freeze([
  'info', 'infos', 'information', 'informations', 'admin', 'administration', 'contact', 'contacts',
  'reception', 'accueil', 'secretariat', 'secretaire', 'support', 'soutien', 'aide', 'help', 'office',
  'bureau', 'noreply', 'no-reply', 'nepasrepondre', 'ne-pas-repondre', 'general', 'generale', 'clinique',
  'clinic', 'rh', 'hr', 'service', 'services', 'team', 'equipe', 'mail', 'courriel', 'webmaster', 'postmaster',
]);
