/**
 * The request-body half of `@azure/core-client`'s serializer, specialised once per mapper instead of interpreting the
 * mapper on every call.
 * @remarks botframework-connector sends an Activity as `JSON.stringify(serializer.serialize(ActivityMapper, activity))`:
 * known properties in the mapper's order (unknown ones dropped unless the model allows additional properties),
 * `DateTime`s as ISO strings, `Object`s as they are. {@link compileSerializer} walks the mapper once and returns a
 * function that builds the same object for every valid value: `test/unit/lean-connector.test.ts` compares the JSON
 * byte for byte with the real serializer. It supports the mapper types the Bot Connector's models use; a mapper with
 * anything else (polymorphism, constants, XML, nested serialized names…) is refused when compiled. A value the real
 * serializer would reject makes the compiled function throw {@link InvalidForMapper}: the caller then lets the real
 * client handle the call, so that callers see the real error.
 */

/** The subset of `@azure/core-client`'s Mapper this module reads. */
export interface MapperLike {
  serializedName?: string;
  required?: boolean;
  nullable?: boolean;
  readOnly?: boolean;
  isConstant?: boolean;
  defaultValue?: unknown;
  xmlName?: string;
  xmlNamespace?: string;
  headerCollectionPrefix?: string;
  type: {
    name: string;
    className?: string;
    modelProperties?: Record<string, MapperLike>;
    additionalProperties?: MapperLike;
    polymorphicDiscriminator?: unknown;
    uberParent?: string;
    element?: MapperLike;
    value?: MapperLike;
  };
}

/** A value the real serializer would refuse (wrong type, missing required value). */
export class InvalidForMapper extends Error {
  override name = 'InvalidForMapper';
}

/** A mapper this module does not know how to specialise. */
export class UnsupportedMapper extends Error {
  override name = 'UnsupportedMapper';
}

export type SerializeFn = (value: any) => any;

const invalid = (): never => {
  throw new InvalidForMapper('value refused by the mapper');
};

/**
 * Specialises `serializer.serialize(mapper, value)` for one mapper (with the model mappers the real serializer was
 * created with, for class-name references).
 * @throws UnsupportedMapper when the mapper uses a feature this module does not reproduce.
 */
export function compileSerializer(mapper: MapperLike, modelMappers: Record<string, MapperLike>): SerializeFn {
  return new Compiler(modelMappers).node(mapper);
}

class Compiler {
  private readonly compiled = new Map<MapperLike, SerializeFn>();

  constructor(private readonly models: Record<string, MapperLike>) {}

  node(mapper: MapperLike): SerializeFn {
    const known = this.compiled.get(mapper);
    if (known) return known;
    // Models refer to each other (and may cycle): register an indirection before compiling the body.
    let body: SerializeFn = () => invalid();
    const fn: SerializeFn = (value) => body(value);
    this.compiled.set(mapper, fn);
    body = this.build(mapper);
    return fn;
  }

  private build(mapper: MapperLike): SerializeFn {
    if (mapper.isConstant) throw new UnsupportedMapper('constant mapper');
    if (mapper.xmlName || mapper.xmlNamespace || mapper.headerCollectionPrefix) throw new UnsupportedMapper('XML or header mapper');
    const { required, nullable } = mapper;
    const present = this.present(mapper);
    // The same table as the real serializer: which of undefined and null each combination allows.
    return (value) => {
      if (value === undefined || value === null) {
        if (required && nullable && value === undefined) invalid();
        if (required && !nullable) invalid();
        if (!required && nullable === false && value === null) invalid();
        return value;
      }
      return present(value);
    };
  }

  /** Serialises a value that is neither undefined nor null. */
  private present(mapper: MapperLike): SerializeFn {
    const name = mapper.type.name;
    switch (name) {
      case 'any':
      case 'Object':
        return (value) => value;
      case 'String':
        return (value) => (typeof value.valueOf() === 'string' ? value : invalid());
      case 'Number':
        return (value) => (typeof value === 'number' ? value : invalid());
      case 'Boolean':
        return (value) => (typeof value === 'boolean' ? value : invalid());
      case 'DateTime':
        return (value) => {
          if (value instanceof Date) return value.toISOString();
          if (typeof value.valueOf() === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
          return invalid();
        };
      case 'Sequence':
        return this.sequence(mapper);
      case 'Dictionary':
        return this.dictionary(mapper);
      case 'Composite':
        return this.composite(mapper);
      default:
        throw new UnsupportedMapper(`mapper type ${name}`);
    }
  }

  private sequence(mapper: MapperLike): SerializeFn {
    let element = mapper.type.element;
    if (!element || typeof element !== 'object') throw new UnsupportedMapper('sequence without element mapper');
    // As the real serializer: a composite element is replaced by the registered model of its class.
    if (element.type.name === 'Composite' && element.type.className) element = this.models[element.type.className] ?? element;
    const item = this.node(element);
    return (value) => {
      if (!Array.isArray(value)) return invalid();
      const out = new Array(value.length);
      for (let i = 0; i < value.length; i++) out[i] = item(value[i]);
      return out;
    };
  }

  private dictionary(mapper: MapperLike): SerializeFn {
    const valueMapper = mapper.type.value;
    if (!valueMapper || typeof valueMapper !== 'object') throw new UnsupportedMapper('dictionary without value mapper');
    const item = this.node(valueMapper);
    return (value) => {
      if (typeof value !== 'object') return invalid();
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) out[key] = item(value[key]);
      return out;
    };
  }

  private composite(mapper: MapperLike): SerializeFn {
    const className = mapper.type.className;
    const model = className ? this.models[className] : undefined;
    if (mapper.type.polymorphicDiscriminator || (mapper.type.uberParent && this.models[mapper.type.uberParent]?.type.polymorphicDiscriminator) || model?.type.polymorphicDiscriminator) {
      throw new UnsupportedMapper('polymorphic model');
    }
    const modelProperties = mapper.type.modelProperties ?? model?.type.modelProperties;
    if (!modelProperties) throw new UnsupportedMapper(`model ${className ?? '?'} without properties`);
    const additional = mapper.type.additionalProperties ?? model?.type.additionalProperties;
    const keys = Object.keys(modelProperties);
    const props: { key: string; name: string; fn: SerializeFn }[] = [];
    for (const key of keys) {
      const property = modelProperties[key]!;
      if (property.readOnly) continue;
      const serializedName = property.serializedName;
      // Dotted names nest objects, an empty name drops the value: neither occurs in the Bot Connector's models.
      if (!serializedName || /[.\\]/.test(serializedName)) throw new UnsupportedMapper(`property ${key} named "${serializedName ?? ''}"`);
      props.push({ key, name: serializedName, fn: this.node(property) });
    }
    const extra = additional ? this.node(additional) : undefined;
    const known = new Set(keys);
    return (value) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < props.length; i++) {
        const p = props[i]!;
        const serialized = p.fn(value[p.key]);
        if (serialized !== undefined) out[p.name] = serialized;
      }
      if (extra) {
        for (const key of Object.keys(value)) {
          if (!known.has(key)) Object.defineProperty(out, key, { value: extra(value[key]), enumerable: true, configurable: true, writable: true });
        }
      }
      return out;
    };
  }
}
