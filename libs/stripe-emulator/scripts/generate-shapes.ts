/**
 * Derives the emulator's object shapes and route parameters from the `stripe` package itself, so they
 * follow the pinned API version instead of a hand-kept list:
 * - routes: every `router.add('METHOD', '/v1/...')` in the emulator's sources, matched to the SDK method
 *   that calls the same URL (the SDK's compiled resources say which URL each method calls);
 * - params / returns: that method's declared params type and result type (.d.ts, TypeScript compiler API);
 * - objects: every type reachable from those results and from the events of those objects.
 *
 * `npm run emulator:shapes` writes src/generated/shapes.json; a unit test fails when it is stale.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { routeKey } from '../src/core/shape-types';
import type { ObjectShape, PropDesc, RouteShape, ShapesFile, TypeDesc } from '../src/core/shape-types';

const EMULATOR_SRC = join(__dirname, '..', 'src');
export const SHAPES_PATH = join(EMULATOR_SRC, 'generated', 'shapes.json');

function walkFiles(dir: string, ext: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walkFiles(path, ext, out);
    else if (entry.name.endsWith(ext) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

interface SdkMethod {
  sdk: string;
  dts: string;
  className: string;
  method: string;
}

/** SDK method for each URL, read from the compiled resources (`this._makeRequest('POST', '/v1/...')`). */
function sdkRoutes(stripeDir: string): Map<string, SdkMethod> {
  const out = new Map<string, SdkMethod>();
  const resourcesDir = join(stripeDir, 'resources');
  for (const file of walkFiles(resourcesDir, '.js')) {
    const rel = relative(resourcesDir, file).replace(/\.js$/, '');
    if (rel.startsWith('V2')) continue;
    const sdkBase = rel
      .split('/')
      .map((s) => s[0].toLowerCase() + s.slice(1))
      .join('.');
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    source.forEachChild(function visit(node): void {
      if (ts.isClassDeclaration(node) && node.name) {
        for (const member of node.members) {
          if (!ts.isMethodDeclaration(member) || !member.name || !ts.isIdentifier(member.name)) continue;
          const methodName = member.name.text;
          member.forEachChild(function find(n): void {
            if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === '_makeRequest') {
              const [m, p] = n.arguments;
              if (m && ts.isStringLiteral(m) && p) {
                const path = ts.isStringLiteral(p) || ts.isNoSubstitutionTemplateLiteral(p) ? p.text : p.getText().slice(1, -1);
                out.set(routeKey(m.text, path), {
                  sdk: `${sdkBase}.${methodName}`,
                  dts: file.replace(/\.js$/, '.d.ts'),
                  className: node.name!.text,
                  method: methodName,
                });
              }
            }
            n.forEachChild(find);
          });
        }
      }
    });
  }
  return out;
}

/** Routes the emulator registers: `router.add('POST', '/v1/...', handler)` anywhere in its sources. */
function emulatorRoutes(): string[] {
  const keys = new Set<string>();
  for (const file of walkFiles(EMULATOR_SRC, '.ts')) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    source.forEachChild(function visit(n): void {
      if (
        ts.isCallExpression(n) &&
        ts.isPropertyAccessExpression(n.expression) &&
        n.expression.name.text === 'add' &&
        n.arguments.length >= 3 &&
        ts.isStringLiteral(n.arguments[0]) &&
        ts.isStringLiteral(n.arguments[1]) &&
        n.arguments[1].text.startsWith('/v1/')
      ) {
        keys.add(routeKey(n.arguments[0].text, n.arguments[1].text));
      }
      n.forEachChild(visit);
    });
  }
  return [...keys].sort();
}

class ShapeBuilder {
  readonly objects = new Map<string, ObjectShape>();
  private readonly symbols = new Map<string, ts.Symbol>();
  private readonly full = new Set<string>();
  private readonly queue: string[] = [];

  constructor(private readonly checker: ts.TypeChecker) {}

  nameOf(symbol: ts.Symbol): string {
    const name = this.checker.getFullyQualifiedName(symbol).replace(/^"[^"]*"\./, '');
    const known = this.symbols.get(name);
    if (known && known !== symbol && known.declarations?.[0] !== symbol.declarations?.[0]) {
      const file = symbol.declarations?.[0]?.getSourceFile().fileName ?? '';
      return `${relative(dirname(file), file).replace(/\.d\.ts$/, '')}:${name}`;
    }
    return name;
  }

  /** An API resource (it has an `object` literal) reached only through `string | Resource` stays opaque. */
  private isResource(type: ts.Type): boolean {
    const object = type.getProperty('object');
    if (!object) return false;
    const objectType = this.checker.getTypeOfSymbol(object);
    return !!(objectType.flags & ts.TypeFlags.StringLiteral);
  }

  ref(type: ts.Type, expandable: boolean): TypeDesc {
    const symbol = type.aliasSymbol ?? type.getSymbol()!;
    const name = this.nameOf(symbol);
    this.symbols.set(name, symbol);
    const wantFull = !expandable || !this.isResource(type);
    if (!this.objects.has(name) || (wantFull && !this.full.has(name))) {
      if (wantFull) this.full.add(name);
      this.objects.set(name, { props: {} });
      this.queue.push(name);
      this.types.set(name, type);
    }
    return { t: 'ref', r: name };
  }

  private readonly types = new Map<string, ts.Type>();

  /** Makes a root (route result, event object) fully described even if reached as expandable first. */
  root(type: ts.Type): TypeDesc {
    return this.desc(type, false);
  }

  drain(): void {
    while (this.queue.length) {
      const name = this.queue.shift()!;
      const type = this.types.get(name)!;
      const full = this.full.has(name);
      const shape: ObjectShape = { props: {} };
      const objectProp = type.getProperty('object');
      if (objectProp) {
        const t = this.checker.getTypeOfSymbol(objectProp);
        if (t.isStringLiteral()) shape.object = t.value;
      }
      const deleted = type.getProperty('deleted');
      if (deleted && !(deleted.flags & ts.SymbolFlags.Optional)) shape.deleted = true;
      if (!full) {
        shape.opaque = true;
        this.objects.set(name, shape);
        continue;
      }
      shape.props = this.props(type);
      this.objects.set(name, shape);
    }
  }

  props(type: ts.Type): Record<string, PropDesc> {
    const out: Record<string, PropDesc> = {};
    for (const prop of this.checker.getPropertiesOfType(type)) {
      const propType = this.checker.getTypeOfSymbol(prop);
      const members = propType.isUnion() ? propType.types : [propType];
      const desc: PropDesc = { type: this.desc(propType, false) };
      if (!(prop.flags & ts.SymbolFlags.Optional)) desc.req = true;
      if (members.some((m) => m.flags & ts.TypeFlags.Null)) desc.null = true;
      out[prop.getName()] = desc;
    }
    return out;
  }

  desc(type: ts.Type, expandableHint: boolean): TypeDesc {
    const c = this.checker;
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return { t: 'any' };
    if (type.aliasSymbol?.name === 'Event' && type.isUnion()) {
      // The union of every typed event: its common envelope is EventBase.
      return this.ref(c.getBaseTypes(type.types[0] as ts.InterfaceType)[0], false);
    }
    if (type.isUnion()) {
      const members = type.types.filter((m) => !(m.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)));
      const literals = members.filter((m) => m.isStringLiteral()).map((m) => (m as ts.StringLiteralType).value);
      const bools = members.filter((m) => m.flags & ts.TypeFlags.BooleanLiteral);
      const rest = members.filter((m) => !m.isStringLiteral() && !(m.flags & ts.TypeFlags.BooleanLiteral));
      const hasString = rest.some((m) => this.isString(m));
      const others = rest.filter((m) => !this.isString(m));
      const expandable = hasString && others.some((m) => m.flags & ts.TypeFlags.Object);
      const alts: TypeDesc[] = [];
      if (literals.length && (hasString || literals.length > 1)) alts.push({ t: 'enum', v: literals.sort() });
      else if (literals.length === 1) alts.push({ t: 'literal', v: literals[0] });
      if (hasString && !literals.length) alts.push({ t: 'string' });
      if (bools.length === 2) alts.push({ t: 'boolean' });
      else if (bools.length === 1) alts.push({ t: 'literal', v: c.typeToString(bools[0]) === 'true' });
      for (const m of others) alts.push(this.desc(m, expandable || expandableHint));
      // `'' | T` in params (Emptyable) reads as an enum of one value next to T: keep it as a literal.
      return alts.length === 1 ? alts[0] : { t: 'union', of: alts };
    }
    if (this.isString(type)) return { t: 'string' };
    if (type.isStringLiteral()) return { t: 'literal', v: type.value };
    if (type.isNumberLiteral()) return { t: 'literal', v: type.value };
    if (type.flags & ts.TypeFlags.BooleanLiteral) return { t: 'literal', v: c.typeToString(type) === 'true' };
    if (type.flags & ts.TypeFlags.NumberLike) return { t: 'number' };
    if (type.flags & ts.TypeFlags.BooleanLike) return { t: 'boolean' };
    if (c.isArrayType(type)) return { t: 'array', of: this.desc(c.getTypeArguments(type as ts.TypeReference)[0], false) };
    const symbolName = (type.aliasSymbol ?? type.getSymbol())?.getName();
    if (symbolName === 'Decimal') return { t: 'string' };
    if (symbolName === 'ApiList' || symbolName === 'ApiSearchResult') {
      const arg = (type.aliasTypeArguments ?? c.getTypeArguments(type as ts.TypeReference))[0];
      return { t: 'list', of: this.desc(arg, false) };
    }
    if (type.flags & ts.TypeFlags.Object) {
      const props = c.getPropertiesOfType(type);
      const index = c.getIndexInfosOfType(type)[0];
      if (!props.length && index) return { t: 'map', of: this.desc(index.type, false) };
      if (!props.length) return { t: 'map', of: { t: 'any' } };
      const symbol = type.aliasSymbol ?? type.getSymbol();
      if (symbol && symbol.getName() !== '__type' && symbol.getName() !== '__object') return this.ref(type, expandableHint);
      return { t: 'object', props: this.props(type) };
    }
    return { t: 'any' };
  }

  private isString(type: ts.Type): boolean {
    if (type.flags & ts.TypeFlags.String) return true;
    // OtherString = string & Record<never, never>: the SDK's "and future values" marker.
    return type.isIntersection() && type.types.some((t) => t.flags & ts.TypeFlags.String);
  }
}

function unwrapResult(checker: ts.TypeChecker, node: ts.TypeNode): ts.Type {
  if (ts.isTypeReferenceNode(node) && node.typeArguments?.length) {
    const name = node.typeName.getText();
    if (name === 'Promise' || name === 'Response') return unwrapResult(checker, node.typeArguments[0]);
  }
  return checker.getTypeFromTypeNode(node);
}

export function generateShapes(): ShapesFile {
  // The package's exports hide package.json; its main entry sits in cjs/.
  const stripeDir = join(dirname(require.resolve('stripe')), '..');
  const cjs = join(stripeDir, 'cjs');
  const sdk = sdkRoutes(cjs);
  const wanted = emulatorRoutes();
  const missing = wanted.filter((k) => !sdk.has(k));
  if (missing.length) throw new Error(`Routes the SDK does not call (check the URL): ${missing.join(', ')}`);

  const files = [...new Set(wanted.map((k) => sdk.get(k)!.dts)), join(cjs, 'resources', 'Events.d.ts')];
  const program = ts.createProgram(files, { strict: true, skipLibCheck: true, types: [] });
  const checker = program.getTypeChecker();
  const builder = new ShapeBuilder(checker);
  const routes: Record<string, RouteShape> = {};
  for (const key of wanted) {
    const m = sdk.get(key)!;
    const source = program.getSourceFile(m.dts)!;
    let decl: ts.MethodDeclaration | undefined;
    source.forEachChild((n) => {
      if (ts.isClassDeclaration(n) && n.name?.text === m.className) {
        for (const member of n.members) {
          if (ts.isMethodDeclaration(member) && member.name.getText() === m.method) decl = member;
        }
      }
    });
    if (!decl?.type) throw new Error(`No declaration for ${m.sdk}`);
    const paramsNode = decl.parameters.find((p) => p.name.getText() === 'params')?.type;
    const resultNode = decl.type as ts.TypeReferenceNode;
    let returns: TypeDesc;
    if (resultNode.typeName.getText() === 'ApiListPromise' || resultNode.typeName.getText() === 'ApiSearchResultPromise') {
      returns = { t: 'list', of: builder.root(checker.getTypeFromTypeNode(resultNode.typeArguments![0])) };
    } else {
      returns = builder.root(unwrapResult(checker, resultNode));
    }
    const params = paramsNode ? builder.desc(checker.getTypeFromTypeNode(paramsNode), false) : { t: 'object' as const, props: {} };
    routes[key] = { sdk: m.sdk, params, returns };
  }
  builder.drain();

  // Events whose object the emulator returns somewhere: their payload is described by that object's shape.
  const events: Record<string, string> = {};
  const eventsFile = program.getSourceFile(join(cjs, 'resources', 'Events.d.ts'))!;
  const eventAlias = eventsFile.statements.find(
    (s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === 'Event',
  )!;
  const eventUnion = checker.getTypeFromTypeNode(eventAlias.type) as ts.UnionType;
  const pending: [string, ts.Type][] = [];
  for (const member of eventUnion.types) {
    const typeLiteral = checker.getTypeOfSymbol(member.getProperty('type')!);
    const data = checker.getTypeOfSymbol(member.getProperty('data')!);
    const object = checker.getTypeOfSymbol(data.getProperty('object')!);
    if (!typeLiteral.isStringLiteral() || !object.getSymbol()) continue;
    pending.push([typeLiteral.value, object]);
  }
  for (const [type, object] of pending) {
    const name = builder.nameOf(object.getSymbol()!);
    const shape = builder.objects.get(name);
    if (shape && !shape.opaque) events[type] = name;
  }
  builder.drain();

  const sorted = Object.fromEntries([...builder.objects.entries()].sort(([a], [b]) => a.localeCompare(b)));
  const pkg = JSON.parse(readFileSync(join(stripeDir, 'package.json'), 'utf8')) as { version: string };
  const apiVersion = /ApiVersion = "([^"]+)"/.exec(readFileSync(join(cjs, 'apiVersion.d.ts'), 'utf8'))![1];
  return { sdkVersion: pkg.version, apiVersion, routes, objects: sorted, events };
}

export function serializeShapes(shapes: ShapesFile): string {
  return `${JSON.stringify(shapes)}\n`;
}

if (require.main === module) {
  const shapes = generateShapes();
  writeFileSync(SHAPES_PATH, serializeShapes(shapes));
  process.stdout.write(
    `wrote ${relative(process.cwd(), SHAPES_PATH)}: ${Object.keys(shapes.routes).length} routes, ` +
      `${Object.keys(shapes.objects).length} types, ${Object.keys(shapes.events).length} event types\n`,
  );
}
