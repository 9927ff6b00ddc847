// Minimal typings for the parts of NLP.js (v4) the router uses; the packages ship no types.
declare module '@nlpjs/core' {
  export interface NlpjsContainer {
    use(plugin: unknown): unknown;
    get<T = unknown>(name: string, settings?: Record<string, unknown>): T;
    registerConfiguration(tag: string, configuration: Record<string, unknown>, overwrite?: boolean): void;
  }
  export function containerBootstrap(): Promise<NlpjsContainer>;
}
declare module '@nlpjs/nlp' {
  export const Nlp: unknown;
}
declare module '@nlpjs/lang-fr' {
  export const LangFr: unknown;
}
declare module '@nlpjs/lang-en' {
  export const LangEn: unknown;
}
