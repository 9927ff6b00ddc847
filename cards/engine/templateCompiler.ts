/**
 * Compiles an Adaptive Card template into plain functions, for the part of the templating language our cards use:
 * a string that is exactly one `${path}` (`$root.` paths included), `$when` with `${path}`, `${path != ''}` or
 * `${path == ''}`, and `$data` bound to an array (or an object) inside an array.
 * @remarks `adaptivecards-templating` parses and evaluates every expression on every expansion (0.1–0.4 ms per card
 * here); the compiled function gives the same JSON in microseconds. Anything outside the subset is reported as
 * unsupported when compiling, and a path that is missing from the data when rendering: the caller then expands with
 * the library, which stays the reference (test/unit/card-templates-compiled.test.ts checks both give the same cards).
 */

/** The template uses templating syntax outside the compiled subset. */
export class UnsupportedTemplateError extends Error {
  override name = 'UnsupportedTemplateError';
}

/** A render met data the compiled subset does not decide (a missing path, a non-boolean `$when`). */
export class TemplateFallback extends Error {
  override name = 'TemplateFallback';
}

interface Scope {
  root: unknown;
  data: unknown;
}
type Evaluate = (scope: Scope) => unknown;

/** Marks an element whose `$when` is false (dropped from its array). */
const SKIP = Symbol('skip');
/** Several elements produced by one `$data` element (spliced into its array). */
class Spread {
  constructor(readonly items: unknown[]) {}
}

const WHOLE_EXPRESSION = /^\$\{\s*([^{}]*?)\s*\}$/;
const PATH = /^(\$root|[A-Za-z_]\w*)((?:\.[A-Za-z_]\w*)*)$/;
const COMPARISON = /^(.+?)\s*(!=|==)\s*''$/;

function compilePath(text: string): Evaluate {
  const m = PATH.exec(text.trim());
  if (!m) throw new UnsupportedTemplateError(`expression not supported: ${text}`);
  const fromRoot = m[1] === '$root';
  const steps = [...(fromRoot ? [] : [m[1]!]), ...m[2]!.split('.').filter(Boolean)];
  return (scope) => {
    let value: unknown = fromRoot ? scope.root : scope.data;
    for (const step of steps) {
      if (value === null || typeof value !== 'object') throw new TemplateFallback(text);
      value = (value as Record<string, unknown>)[step];
    }
    if (value === undefined || value === null) throw new TemplateFallback(text);
    return value;
  };
}

function compileExpression(expression: string): Evaluate {
  const comparison = COMPARISON.exec(expression);
  if (comparison) {
    const path = compilePath(comparison[1]!);
    const different = comparison[2] === '!=';
    return (scope) => (path(scope) !== '') === different;
  }
  return compilePath(expression);
}

function compileString(value: string): Evaluate {
  const whole = WHOLE_EXPRESSION.exec(value);
  if (whole) return compileExpression(whole[1]!);
  if (value.includes('${')) throw new UnsupportedTemplateError(`interpolation not supported: ${value}`);
  return () => value;
}

function compileObject(node: Record<string, unknown>, inArray: boolean): Evaluate {
  const entries = Object.entries(node)
    .filter(([key]) => key !== '$data' && key !== '$when')
    .map(([key, value]) => [key, compileNode(value, false)] as const);
  const when = node.$when === undefined ? undefined : typeof node.$when === 'string' ? compileString(node.$when) : undefined;
  if (node.$when !== undefined && !when) throw new UnsupportedTemplateError('$when must be an expression');
  if (when && !inArray) throw new UnsupportedTemplateError('$when outside an array');
  const renderOne = (scope: Scope): unknown => {
    if (when) {
      const shown = when(scope);
      if (typeof shown !== 'boolean') throw new TemplateFallback('$when is not a boolean');
      if (!shown) return SKIP;
    }
    const out: Record<string, unknown> = {};
    for (const [key, evaluate] of entries) {
      const value = evaluate(scope);
      if (value === SKIP || value instanceof Spread) throw new TemplateFallback(key);
      out[key] = value;
    }
    return out;
  };
  if (node.$data === undefined) return renderOne;
  if (!inArray) throw new UnsupportedTemplateError('$data outside an array');
  if (typeof node.$data !== 'string' || !WHOLE_EXPRESSION.test(node.$data)) throw new UnsupportedTemplateError('$data must be one expression');
  const data = compileString(node.$data);
  return (scope) => {
    const bound = data(scope);
    const items = Array.isArray(bound) ? bound : typeof bound === 'object' ? [bound] : undefined;
    if (!items) throw new TemplateFallback('$data is neither an array nor an object');
    const out: unknown[] = [];
    for (const item of items) {
      const rendered = renderOne({ root: scope.root, data: item });
      if (rendered !== SKIP) out.push(rendered);
    }
    return new Spread(out);
  };
}

function compileNode(node: unknown, inArray: boolean): Evaluate {
  if (typeof node === 'string') return compileString(node);
  if (Array.isArray(node)) {
    const items = node.map((item) => compileNode(item, true));
    return (scope) => {
      const out: unknown[] = [];
      for (const evaluate of items) {
        const value = evaluate(scope);
        if (value === SKIP) continue;
        if (value instanceof Spread) out.push(...value.items);
        else out.push(value);
      }
      return out;
    };
  }
  if (node !== null && typeof node === 'object') return compileObject(node as Record<string, unknown>, inArray);
  return () => node;
}

/**
 * Compiles a template (its parsed JSON).
 * @throws UnsupportedTemplateError when the template uses syntax outside the subset.
 * @returns a function that expands the template with `data` as `$root`, and throws {@link TemplateFallback} when the
 * data leaves the subset (then expand with the library).
 */
export function compileTemplate<T>(template: unknown): (data: object) => T {
  const evaluate = compileNode(template, false);
  return (data) => evaluate({ root: data, data }) as T;
}
