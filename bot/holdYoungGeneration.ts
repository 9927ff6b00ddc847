// Imported first by bot/index.ts, for its side effect: before any other module loads (see holdYoungGeneration).
import { holdYoungGeneration } from './services/startupYoungGeneration';

holdYoungGeneration();
