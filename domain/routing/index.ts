import type { Lang } from '../i18n';
import { getRouter, type RouteDecision } from './classifier';

export { ROUTE_IDS, INFO_ROUTES, isRouteId, type RouteId, type InfoRouteId } from './routes';
export { CONFIDENCE_THRESHOLD, foldText, type RouteDecision } from './classifier';
export { evaluateRoutes, parseEvalLines, formatEvaluation, type EvalLine, type EvalRow, type RouteEvaluation, type Confusion } from './evaluate';

/**
 * Maps a free-text message to one of the 13 routes.
 * @remarks Both language models are consulted, so a French message from an English-speaking Teams still routes right;
 * `lang` in the answer is the language the message appears to be written in. Low confidence gives `unknown`.
 */
export async function classifyRoute(text: string, langHint?: Lang): Promise<RouteDecision> {
  return (await getRouter()).classify(text, langHint);
}

/** Trains the router now (once per process) and runs a message per language, so the first user message pays for neither. */
export async function warmUpRouter(): Promise<void> {
  const router = await getRouter();
  await router.classify('Bonjour, je voudrais un accès au registre des DMA', 'fr');
  await router.classify('What time does RAMQ open?', 'en');
}
