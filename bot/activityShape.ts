/**
 * The minimal shape every Bot Framework activity has, checked before the adapter sees it.
 * @remarks botbuilder checks only `type`; a non-string `serviceUrl` then crashes the connector client (500), and a
 * missing or non-string id fails the turn deep inside, with the bad value in the error. What cannot be
 * answered is refused at the door with 400 instead.
 */

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function hasStringId(value: unknown): boolean {
  return isRecord(value) && isNonEmptyString(value.id);
}

function optionalString(value: unknown): boolean {
  return value === undefined || value === null || typeof value === 'string';
}

/** An http(s) URL: where replies go. */
function isServiceUrl(value: unknown): boolean {
  if (!isNonEmptyString(value)) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** Whether a parsed request body can be handed to the adapter as an activity. */
export function isActivityShaped(body: unknown): boolean {
  if (!isRecord(body)) return false;
  return (
    isNonEmptyString(body.type) &&
    isNonEmptyString(body.channelId) &&
    isServiceUrl(body.serviceUrl) &&
    hasStringId(body.conversation) &&
    hasStringId(body.from) &&
    (body.recipient === undefined || hasStringId(body.recipient)) &&
    optionalString(body.id) &&
    optionalString(body.locale) &&
    optionalString(body.name) &&
    optionalString(body.replyToId) &&
    optionalString(body.text)
  );
}
