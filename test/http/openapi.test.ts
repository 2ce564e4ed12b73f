import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { XMLParser } from 'fast-xml-parser';
import { DEMO_SEED, type Seed } from '../support/seed.js';
import { registeredRoutes, undocumentedRoutes } from '../../src/http/docs.js';
import { DOCUMENTED, finishDocument } from '../../src/http/openapi/index.js';
import { APP_KEY, APP_SECRET, BASIC, OTHER_SITE, PUBLIC_KEY, browserSessionToken, buildTestApp, form, tokenRequest } from '../support/helpers.js';

type Json = Record<string, any>;
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

const API = 'http://api.test';
const STORE = 'http://store.test';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_ACCEPT = { accept: 'application/json' };
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

async function documentOf(app: FastifyInstance): Promise<Json> {
  const res = await app.inject({ url: '/docs/json' });
  assert.equal(res.statusCode, 200);
  return res.json() as Json;
}

function operationsOf(doc: Json): Array<{ method: string; path: string; op: Json }> {
  const out: Array<{ method: string; path: string; op: Json }> = [];
  for (const [path, item] of Object.entries<Json>(doc.paths)) {
    for (const method of METHODS) if (item[method] !== undefined) out.push({ method, path, op: item[method] });
  }
  return out;
}

/** Every operation a real response was checked against. */
const CHECKED = new Set<string>();

/**
 * Checks real responses against the document: the status must be declared (or `default`), the
 * content type must be declared for it, and the body must validate against its schema
 * (JSON bodies fully; XML by its root element; text bodies as strings).
 */
class ResponseChecker {
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ReturnType<Ajv2020['compile']>>();

  constructor(private readonly doc: Json) {
    this.ajv = new Ajv2020({ strict: true, strictTypes: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addKeyword('example');
    this.ajv.addKeyword('xml');
    this.ajv.addFormat('password', true);
    this.ajv.addSchema({ $id: 'https://sessionlink.test/components', $defs: rewriteRefs(doc.components.schemas) });
  }

  /** The problems with `res` as an answer of `method path` (OpenAPI path); empty when it conforms. */
  problems(method: string, path: string, res: LightMyRequestResponse): string[] {
    const op = this.doc.paths[path]?.[method.toLowerCase()] as Json | undefined;
    if (op === undefined) return [`${method} ${path} is not in the document`];
    CHECKED.add(`${method.toUpperCase()} ${path}`);
    const response = (op.responses[String(res.statusCode)] ?? op.responses.default) as Json | undefined;
    if (response === undefined) return [`${method} ${path}: status ${res.statusCode} is not declared`];
    if (response.content === undefined) {
      return res.body === '' || res.statusCode === 302 ? [] : [`${method} ${path} ${res.statusCode}: declares no body, got ${res.body.slice(0, 80)}`];
    }
    const type = String(res.headers['content-type'] ?? '').split(';')[0]!.trim();
    const media = response.content[type] as Json | undefined;
    if (media === undefined) return [`${method} ${path} ${res.statusCode}: content type ${type} is not declared (${Object.keys(response.content).join(', ')})`];
    const schema = media.schema as Json;
    if (type === 'application/xml') return this.xmlProblems(schema, res.body).map((p) => `${method} ${path} ${res.statusCode} XML: ${p}`);
    const value = type === 'application/json' ? JSON.parse(res.body) : res.body;
    const validate = this.validator(schema);
    if (validate(value)) return [];
    return [`${method} ${path} ${res.statusCode} ${type}: ${this.ajv.errorsText(validate.errors)}; body ${res.body.slice(0, 300)}`];
  }

  /** The validation errors of `value` against `schema`, as text; empty when it conforms. */
  errorsOf(schema: Json, value: unknown): string {
    const validate = this.validator(schema);
    return validate(value) ? '' : this.ajv.errorsText(validate.errors);
  }

  /** Compiles a schema as this checker would (strict mode: unknown keywords and formats fail). */
  compile(schema: Json): void {
    this.validator(schema);
  }

  check(method: string, path: string, res: LightMyRequestResponse): LightMyRequestResponse {
    assert.deepEqual(this.problems(method, path, res), []);
    return res;
  }

  private validator(schema: Json): ReturnType<Ajv2020['compile']> {
    const key = JSON.stringify(schema);
    let fn = this.compiled.get(key);
    if (fn === undefined) {
      fn = this.ajv.compile(rewriteRefs(schema) as Json);
      this.compiled.set(key, fn);
    }
    return fn;
  }

  /** The names a document of `schema` may have at its top level. */
  private rootNames(schema: Json): string[] {
    if (typeof schema.$ref === 'string') return this.rootNames(this.doc.components.schemas[schema.$ref.split('/').pop() as string] as Json);
    const branches = (schema.oneOf ?? schema.anyOf) as Json[] | undefined;
    if (branches !== undefined) return branches.flatMap((s) => this.rootNames(s));
    return Object.keys((schema.properties ?? {}) as Json);
  }

  private xmlProblems(schema: Json, body: string): string[] {
    const parsed = new XMLParser().parse(body) as Json;
    const roots = Object.keys(parsed).filter((k) => k !== '?xml');
    const allowed = this.rootNames(schema);
    return roots.length === 1 && allowed.includes(roots[0]!) ? [] : [`root element ${roots.join(',')} is not one of ${allowed.join(',')}`];
  }
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value as Json)) {
    out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')
      ? `https://sessionlink.test/components#/$defs/${v.slice('#/components/schemas/'.length)}`
      : rewriteRefs(v);
  }
  return out;
}

async function setup(t: TestContext, seed?: Seed): Promise<{ app: FastifyInstance; doc: Json; check: ResponseChecker }> {
  const { app } = await buildTestApp(t, seed === undefined ? {} : { seed });
  const doc = await documentOf(app);
  return { app, doc, check: new ResponseChecker(doc) };
}

describe('the API reference (/docs/json)', () => {
  test('validates as OpenAPI 3.1 with a well-kept validator, also with every documented entry', async (t) => {
    const { doc } = await setup(t);
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    assert.deepEqual(result.errors ?? [], [], 'the served document is valid');
    assert.equal(result.valid, true);
    assert.equal(validator.version, '3.1');

    // Entries for routes this build does not register (added in parallel) must be valid too.
    const paths: Record<string, Record<string, unknown>> = {};
    for (const key of Object.keys(DOCUMENTED)) {
      const [method, url] = key.split(' ') as [string, string];
      const path = url.replace(/:([A-Za-z]+)/g, '{$1}');
      const item = paths[path] ?? {};
      paths[path] = item;
      item[method.toLowerCase()] = {};
    }
    const everything = finishDocument({ paths }, { publicApiURL: API, publicStoreURL: STORE });
    const all = await new Validator().validate(everything);
    assert.deepEqual(all.errors ?? [], []);
    assert.equal(operationsOf(everything).length, Object.keys(DOCUMENTED).length);
  });

  test('every registered route is documented; documented entries without a route are only reported', async (t) => {
    const { app, doc } = await setup(t);
    assert.deepEqual(undocumentedRoutes(app), [], 'add an entry for each of these routes in src/http/openapi/');
    const registered = new Set(registeredRoutes(app));
    const unregistered = Object.keys(DOCUMENTED).filter((key) => !registered.has(key));
    if (unregistered.length > 0) t.diagnostic(`documented but not registered in this build: ${unregistered.join(', ')}`);
    // Each documented, registered route is in the document (Shopper API suffix variants fold into their base).
    for (const key of Object.keys(DOCUMENTED).filter((k) => registered.has(k))) {
      const [method, url] = key.split(' ') as [string, string];
      const path = url.replace(/:([A-Za-z]+)/g, '{$1}');
      assert.ok(doc.paths[path]?.[method.toLowerCase()] !== undefined, `${key} is missing from the document`);
    }
    // Undocumented routes would keep their bare generated operation: none has one.
    for (const { method, path, op } of operationsOf(doc)) assert.ok(typeof op.operationId === 'string', `${method} ${path} has no documentation`);
  });

  test('every operation has a plain summary, a request schema where it takes a body, and success and error response schemas', async (t) => {
    const { doc } = await setup(t);
    const ops = operationsOf(doc);
    assert.ok(ops.length >= 30, `only ${ops.length} operations`);
    const ids = new Set<string>();
    const schemes = new Set(Object.keys(doc.components.securitySchemes));
    for (const { method, path, op } of ops) {
      const name = `${method.toUpperCase()} ${path}`;
      assert.ok(typeof op.summary === 'string' && op.summary.length > 10, `${name}: summary`);
      assert.ok(!ids.has(op.operationId), `${name}: duplicate operationId ${op.operationId}`);
      ids.add(op.operationId);
      assert.ok(Array.isArray(op.tags) && op.tags.length > 0, `${name}: tags`);
      for (const requirement of op.security ?? []) {
        for (const scheme of Object.keys(requirement)) assert.ok(schemes.has(scheme), `${name}: unknown security scheme ${scheme}`);
      }
      for (const param of path.match(/\{([^}]+)\}/g) ?? []) {
        const p = param.slice(1, -1);
        assert.ok((op.parameters ?? []).some((x: Json) => x.in === 'path' && x.name === p && x.required === true), `${name}: path parameter ${p}`);
      }
      if (method === 'post' || method === 'put' || method === 'patch') {
        const content = op.requestBody?.content as Json | undefined;
        assert.ok(content !== undefined && Object.keys(content).length > 0, `${name}: request body`);
        for (const [type, media] of Object.entries<Json>(content)) assert.ok(media.schema !== undefined, `${name}: request schema for ${type}`);
      }
      const statuses = Object.keys(op.responses);
      const success = statuses.filter((s) => /^[23]/.test(s));
      assert.ok(success.length > 0, `${name}: a success response`);
      for (const s of success) {
        const response = op.responses[s] as Json;
        assert.ok(typeof response.description === 'string' && response.description.length > 0, `${name} ${s}: description`);
        if (!['204', '302', '303', '304'].includes(s)) {
          assert.ok(response.content !== undefined, `${name} ${s}: a body schema`);
          for (const [type, media] of Object.entries<Json>(response.content)) assert.ok(media.schema !== undefined, `${name} ${s}: schema for ${type}`);
        }
      }
      const errors = statuses.filter((s) => /^[45]/.test(s) || s === 'default');
      assert.ok(errors.length > 0, `${name}: an error response`);
      for (const s of errors) {
        for (const [type, media] of Object.entries<Json>(op.responses[s].content ?? {})) assert.ok(media.schema !== undefined, `${name} ${s}: error schema for ${type}`);
        assert.ok(op.responses[s].content !== undefined, `${name} ${s}: an error body schema`);
      }
    }
    // Every schema in the document (requests, parameters, responses) compiles in strict mode.
    const checker = new ResponseChecker(doc);
    const visit = (node: unknown, where: string): void => {
      if (node === null || typeof node !== 'object') return;
      for (const [k, v] of Object.entries(node as Json)) {
        if (k === 'schema' && typeof v === 'object') assert.doesNotThrow(() => checker.compile(v as Json), `${where}: schema`);
        else visit(v, `${where}/${k}`);
      }
    };
    visit(doc.paths, '#/paths');
    // Every JSON or form example conforms to its schema.
    let examples = 0;
    for (const { method, path, op } of ops) {
      const media: Array<[string, Json]> = [];
      for (const [type, m] of Object.entries<Json>(op.requestBody?.content ?? {})) media.push([`request ${type}`, m]);
      for (const [status, r] of Object.entries<Json>(op.responses)) for (const [type, m] of Object.entries<Json>(r.content ?? {})) media.push([`${status} ${type}`, m]);
      for (const [where, m] of media) {
        if (!/json|form/.test(where)) continue;
        const values = [...(m.example === undefined ? [] : [m.example]), ...Object.values<Json>(m.examples ?? {}).map((e) => e.value)];
        for (const value of values) {
          examples++;
          assert.equal(checker.errorsOf(m.schema as Json, value), '', `${method.toUpperCase()} ${path} ${where}: example ${JSON.stringify(value).slice(0, 120)}`);
        }
      }
    }
    assert.ok(examples > 50, `only ${examples} examples`);
    const text = JSON.stringify(doc);
    assert.doesNotMatch(text, /CONTRACT|DR-DOCS|\.\.\/shared/, 'the reference stands on its own');
  });

  test('the OAuth error body, the Shopper API error body and the content types are declared where they are served', async (t) => {
    const { doc } = await setup(t);
    const token = doc.paths['/oauth20/token'].post;
    assert.equal(token.responses['400'].content['application/json'].schema.$ref, '#/components/schemas/OAuthError');
    assert.equal(token.responses['401'].content['application/json'].schema.$ref, '#/components/schemas/OAuthError');
    assert.deepEqual(Object.keys(token.requestBody.content).sort(), ['application/json', 'application/x-www-form-urlencoded']);
    const cart = doc.paths['/v1/shoppers/me/carts/active'];
    assert.equal(cart.get.responses['401'].content['application/json'].schema.$ref, '#/components/schemas/ShopperApiError');
    assert.ok(cart.get.responses['200'].content['application/xml'] !== undefined);
    assert.ok(cart.post.requestBody.content['application/json'].examples.wrapped.value.cart !== undefined, 'the {"cart":{…}} body');
    assert.ok(doc.paths['/v1/shoppers/me'].post.requestBody.content['application/json'].examples.wrapped.value.shopper !== undefined, 'the {"shopper":{…}} body');
    const action = doc.paths['/store/{siteId}/{action}'].get;
    assert.ok(action.responses['200'].content['application/javascript'] !== undefined, 'JSONP');
    assert.ok(action.responses['200'].content['application/xml'] !== undefined);
    assert.equal(doc.components.schemas.TokenDocument.properties.token.properties.expires_in.type, 'string');
    assert.equal(doc.components.schemas.TokenResponse.properties.expires_in.type, 'integer');
  });

  test('Try it out: servers use PUBLIC_API_URL (store operations PUBLIC_STORE_URL); Authorize offers Basic, client_id and Bearer', async (t) => {
    const { app } = await buildTestApp(t, { config: { publicApiURL: 'https://api.shop.example', publicStoreURL: 'https://store.shop.example' } });
    const doc = await documentOf(app);
    assert.deepEqual(doc.servers.map((s: Json) => s.url), ['https://api.shop.example']);
    assert.deepEqual(doc.paths['/store/{siteId}/{action}'].get.servers.map((s: Json) => s.url), ['https://store.shop.example']);
    assert.deepEqual(doc.paths['/store/{siteId}/{locale}/{page}'].get.servers.map((s: Json) => s.url), ['https://store.shop.example']);
    assert.equal(doc.paths['/oauth20/token'].post.servers, undefined, 'the token endpoint is tried on the API origin');
    const schemes = doc.components.securitySchemes;
    assert.deepEqual(schemes.clientBasic, { ...schemes.clientBasic, type: 'http', scheme: 'basic' });
    assert.deepEqual(schemes.bearer, { ...schemes.bearer, type: 'http', scheme: 'bearer' });
    assert.deepEqual(schemes.clientId, { ...schemes.clientId, type: 'apiKey', in: 'query', name: 'client_id' });
    const tokenSecurity = doc.paths['/oauth20/token'].post.security.map((r: Json) => Object.keys(r)[0]).sort();
    assert.deepEqual(tokenSecurity, ['bearer', 'clientBasic', 'clientId']);
    assert.deepEqual(doc.paths['/v1/shoppers/me/carts/active'].post.security, [{ bearer: [] }]);
    const yaml = await app.inject({ url: '/docs/yaml' });
    assert.equal(yaml.statusCode, 200);
    assert.match(yaml.body, /^openapi: 3\.1\.0$/m);
    // The UI is served and points at this document.
    const ui = await app.inject({ url: '/docs/static/swagger-initializer.js' });
    assert.equal(ui.statusCode, 200);
    assert.match(ui.body, /json/);
    // Swagger UI sends the apiKey schemes as query parameters: a parameter of the same name
    // would be sent twice, which the server refuses as repeated.
    for (const { method, path, op } of operationsOf(doc)) {
      for (const p of op.parameters ?? []) {
        assert.ok(!(p.in === 'query' && (p.name === 'client_id' || p.name === 'apiKey')), `${method} ${path}: ${p.name} is a security scheme, not a parameter`);
      }
    }
  });

  test('each grant has request examples in both forms, and both response forms have examples', async (t) => {
    const { doc } = await setup(t);
    const examples = doc.paths['/oauth20/token'].post.requestBody.content['application/x-www-form-urlencoded'].examples as Json;
    const grants = new Set(Object.values<Json>(examples).map((e) => e.value.grant_type));
    assert.deepEqual([...grants].sort(), ['authorization_code', 'client_credentials', 'password', 'refresh_token']);
    for (const [name, example] of Object.entries<Json>(examples)) {
      if (example.value.format === 'json') continue;
      assert.equal(examples[`${name}-global-commerce`]?.value.format, 'json', `${name} has a Global Commerce twin`);
    }
    const answers = doc.paths['/oauth20/token'].post.responses['200'].content['application/json'].examples as Json;
    assert.equal(typeof answers['rfc-6749'].value.expires_in, 'number');
    assert.equal(typeof answers['global-commerce'].value.token.expires_in, 'string');
  });
});

describe('real responses conform to the declared response schemas', () => {
  test('the checker fails when a declared schema is wrong', async (t) => {
    const { app, doc } = await setup(t);
    const res = await tokenRequest(app, { grant_type: 'password', format: 'json' }, { authorization: BASIC });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(new ResponseChecker(doc).problems('POST', '/oauth20/token', res), []);
    const broken = structuredClone(doc);
    broken.components.schemas.TokenDocument.properties.token.properties.expires_in = { type: 'integer' };
    const problems = new ResponseChecker(broken).problems('POST', '/oauth20/token', res);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /expires_in/);
    // An undeclared status or content type fails too.
    const missing = structuredClone(doc);
    delete missing.paths['/oauth20/token'].post.responses['200'];
    delete missing.paths['/oauth20/token'].post.responses.default;
    assert.match(new ResponseChecker(missing).problems('POST', '/oauth20/token', res)[0]!, /not declared/);
  });

  test('token endpoint: every grant in both forms, the .json and .xml paths, and its errors', async (t) => {
    const { app, check } = await setup(t);
    const P = '/oauth20/token';
    const publicKey = { client_id: PUBLIC_KEY };
    const plain = check.check('POST', P, await tokenRequest(app, { grant_type: 'password', ...publicKey })).json();
    assert.equal(typeof plain.expires_in, 'number');
    const { sessionToken } = await browserSessionToken(app);
    const joined = check.check('POST', P, await tokenRequest(app, { grant_type: 'password', dr_session_token: sessionToken, format: 'json', ...publicKey })).json();
    assert.equal(typeof joined.token.expires_in, 'string');
    check.check('POST', P, await tokenRequest(app, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9' }, { authorization: BASIC }));
    check.check('POST', P, await tokenRequest(app, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9', format: 'json' }, { authorization: BASIC }));
    check.check('POST', P, await tokenRequest(app, { grant_type: 'client_credentials', dr_external_reference_id: 'crm-1' }, { authorization: BASIC }));
    check.check('POST', P, await tokenRequest(app, { grant_type: 'client_credentials', format: 'json' }, { authorization: BASIC }));
    const pair = check.check('POST', P, await tokenRequest(app, { grant_type: 'client_credentials', dr_external_reference_id: 'crm-2' }, { authorization: BASIC })).json();
    check.check('POST', P, await tokenRequest(app, { grant_type: 'refresh_token', refresh_token: pair.refresh_token }, { authorization: BASIC }));
    // A JSON body, the Bearer client authentication.
    check.check('POST', P, await app.inject({ method: 'POST', url: P, headers: { authorization: `Bearer ${plain.access_token}`, 'content-type': 'application/json' }, payload: { grant_type: 'password', format: 'json' } }));
    check.check('POST', '/oauth20/token.json', await tokenRequest(app, { grant_type: 'password' }, { authorization: BASIC, url: '/oauth20/token.json' }));
    const xml = check.check('POST', '/oauth20/token.xml', await tokenRequest(app, { grant_type: 'password' }, { authorization: BASIC, url: '/oauth20/token.xml' }));
    assert.match(xml.body, /<token><access_token>/);

    const expect = async (status: number, res: LightMyRequestResponse): Promise<void> => {
      assert.equal(res.statusCode, status, res.body);
      check.check('POST', P, res);
    };
    await expect(400, await tokenRequest(app, { ...publicKey }));
    await expect(400, await tokenRequest(app, { grant_type: 'password', dr_session_token: 'F'.repeat(32), ...publicKey }));
    await expect(400, await tokenRequest(app, { grant_type: 'implicit', ...publicKey }));
    await expect(400, await tokenRequest(app, { grant_type: 'password', username: 'jane', password: 'x', ...publicKey }));
    await expect(401, await tokenRequest(app, { grant_type: 'password' }, { authorization: 'Basic ' + Buffer.from(`${APP_KEY}:wrong`).toString('base64') }));
    await expect(401, await tokenRequest(app, { grant_type: 'password' }));
    await expect(415, await app.inject({ method: 'POST', url: P, headers: { 'content-type': 'application/octet-stream' }, payload: 'grant_type=password' }));
    await expect(413, await app.inject({ method: 'POST', url: P, headers: FORM, payload: `grant_type=password&pad=${'x'.repeat(20000)}` }));
    // Guessing a password: five failures, then 429.
    let last: LightMyRequestResponse | null = null;
    for (let i = 0; i < 6; i++) last = await tokenRequest(app, { grant_type: 'password', username: 'ghost', password: `guess-${i}` }, { authorization: BASIC });
    await expect(429, last!);
  });

  test('site action: session token, limited token, XML, JSONP, and its errors', async (t) => {
    const { app, check } = await setup(t);
    const P = '/store/{siteId}/{action}';
    const get = async (url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> => await app.inject({ url, headers });
    assert.ok(check.check('GET', P, await get('/store/acme/SessionToken?format=json')).json().session_token);
    assert.ok(check.check('GET', P, await get(`/store/acme/SessionToken?format=json&apiKey=${PUBLIC_KEY}`)).json().token.access_token);
    check.check('GET', P, await get('/store/acme/SessionToken', JSON_ACCEPT));
    assert.match(check.check('GET', P, await get('/store/acme/sessiontoken')).body, /<session_token>/);
    assert.match(check.check('GET', P, await get(`/store/acme/SessionToken?apiKey=${PUBLIC_KEY}`)).body, /<token>/);
    assert.match(check.check('GET', P, await get('/store/acme/SessionToken?callback=jQuery1_2&_=1700000000000')).body, /^\/\*\*\/jQuery1_2\(/);
    for (const [status, url, headers] of [
      [400, '/store/acme/SessionToken?format=json&callback=alert(1)', {}],
      [400, '/store/acme/SessionToken?callback=x-y', {}],
      [401, `/store/acme/SessionToken?format=json&apiKey=${APP_KEY}`, {}],
      [401, `/store/acme/SessionToken?callback=cb&apiKey=${APP_KEY}`, {}],
      [403, '/store/other/SessionToken?format=json', { 'sec-fetch-site': 'cross-site', referer: 'https://evil.example/' }],
      [404, '/store/nowhere/SessionToken?format=json', {}],
      [404, '/store/nowhere/SessionToken', {}]
    ] as Array<[number, string, Record<string, string>]>) {
      const res = await get(url, headers);
      assert.equal(res.statusCode, status, `${url}: ${res.body}`);
      check.check('GET', P, res);
    }
  });

  test('Shopper API token call, token information and the OAuth extras', async (t) => {
    const { app, check } = await setup(t);
    check.check('GET', '/v1/shoppers/token', await app.inject({ url: `/v1/shoppers/token?apiKey=${PUBLIC_KEY}` }));
    check.check('GET', '/v1/shoppers/token', await app.inject({ url: `/v1/shoppers/token?apiKey=${PUBLIC_KEY}&format=json` }));
    check.check('POST', '/v1/shoppers/token', await app.inject({ method: 'POST', url: '/v1/shoppers/token', headers: FORM, payload: form({ apiKey: PUBLIC_KEY }) }));
    check.check('GET', '/v1/shoppers/token.json', await app.inject({ url: `/v1/shoppers/token.json?apiKey=${PUBLIC_KEY}` }));
    check.check('POST', '/v1/shoppers/token.json', await app.inject({ method: 'POST', url: '/v1/shoppers/token.json', headers: { 'content-type': 'application/json' }, payload: { apiKey: PUBLIC_KEY } }));
    check.check('GET', '/v1/shoppers/token.xml', await app.inject({ url: `/v1/shoppers/token.xml?apiKey=${PUBLIC_KEY}` }));
    check.check('POST', '/v1/shoppers/token.xml', await app.inject({ method: 'POST', url: `/v1/shoppers/token.xml?apiKey=${PUBLIC_KEY}` }));
    const denied = check.check('GET', '/v1/shoppers/token', await app.inject({ url: `/v1/shoppers/token?apiKey=${APP_KEY}` }));
    assert.equal(denied.statusCode, 401);
    const bad = check.check('GET', '/v1/shoppers/token', await app.inject({ url: `/v1/shoppers/token?apiKey=${PUBLIC_KEY}&sessionToken=${'A'.repeat(32)}` }));
    assert.equal(bad.statusCode, 400);

    const full = (await tokenRequest(app, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9' }, { authorization: BASIC })).json();
    const info = check.check('GET', '/oauth20/access-tokens', await app.inject({ url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${full.access_token}` } }));
    assert.equal(info.json().authenticated, 'true');
    check.check('GET', '/oauth20/access-tokens', await app.inject({ url: `/oauth20/access-tokens?format=xml&token=${full.access_token}` }));
    check.check('GET', '/oauth20/access-tokens', await app.inject({ url: '/oauth20/access-tokens' }));
    const limited = (await tokenRequest(app, { grant_type: 'password', client_id: PUBLIC_KEY })).json();
    check.check('DELETE', '/oauth20/access-tokens', await app.inject({ method: 'DELETE', url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${limited.access_token}` } }));
    assert.equal(check.check('DELETE', '/oauth20/access-tokens', await app.inject({ method: 'DELETE', url: '/oauth20/access-tokens', headers: { authorization: `Bearer ${limited.access_token}` } })).statusCode, 401);

    const basicForm = { authorization: BASIC, ...FORM };
    assert.equal(check.check('POST', '/oauth20/introspect', await app.inject({ method: 'POST', url: '/oauth20/introspect', headers: basicForm, payload: form({ token: full.access_token }) })).json().active, true);
    assert.equal(check.check('POST', '/oauth20/introspect', await app.inject({ method: 'POST', url: '/oauth20/introspect', headers: basicForm, payload: form({ token: full.refresh_token, token_type_hint: 'refresh_token' }) })).json().active, true);
    assert.equal(check.check('POST', '/oauth20/introspect', await app.inject({ method: 'POST', url: '/oauth20/introspect', headers: basicForm, payload: form({ token: 'nope' }) })).json().active, false);
    assert.equal(check.check('POST', '/oauth20/introspect', await app.inject({ method: 'POST', url: '/oauth20/introspect', headers: FORM, payload: form({ token: 'x', client_id: PUBLIC_KEY }) })).statusCode, 401);
    assert.equal(check.check('POST', '/oauth20/introspect', await app.inject({ method: 'POST', url: '/oauth20/introspect', headers: basicForm, payload: '' })).statusCode, 400);
    check.check('POST', '/oauth20/revoke', await app.inject({ method: 'POST', url: '/oauth20/revoke', headers: basicForm, payload: form({ token: full.access_token }) }));
    assert.equal(check.check('POST', '/oauth20/revoke', await app.inject({ method: 'POST', url: '/oauth20/revoke', headers: FORM, payload: form({ token: 'x' }) })).statusCode, 401);
    check.check('GET', '/.well-known/oauth-authorization-server', await app.inject({ url: '/.well-known/oauth-authorization-server' }));
  });

  test('Shopper API: profile, catalogue, cart, line items, submit-cart, orders, web-checkout and their errors', async (t) => {
    const { app, doc, check } = await setup(t);
    const limited = (await tokenRequest(app, { grant_type: 'password', client_id: PUBLIC_KEY })).json().access_token as string;
    const full = (await tokenRequest(app, { grant_type: 'password', username: 'jane', password: 'Correct-Horse-9' }, { authorization: BASIC })).json().access_token as string;
    const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, token: string | null, payload?: string | Json, headers: Record<string, string> = JSON_ACCEPT): Promise<LightMyRequestResponse> => {
      const h: Record<string, string> = { ...(typeof payload === 'string' ? FORM : {}), ...headers };
      if (token !== null) h.authorization = `Bearer ${token}`;
      return await app.inject({ method, url, headers: h, ...(payload === undefined ? {} : { payload }) });
    };
    const ME = '/v1/shoppers/me';
    check.check('GET', ME, await call('GET', ME, limited));
    check.check('GET', ME, await call('GET', ME, full));
    check.check('GET', ME, await call('GET', ME, full, undefined, {}));
    check.check('GET', ME, await call('GET', `${ME}.json`, full, undefined, {}));
    check.check('POST', ME, await call('POST', ME, limited, form({ locale: 'de_DE', currency: 'EUR' })));
    check.check('POST', ME, await call('POST', ME, full, { firstName: 'Janet' }));
    assert.equal(check.check('POST', ME, await call('POST', ME, limited, form({ firstName: 'Mallory' }))).statusCode, 403);
    assert.equal(check.check('POST', ME, await call('POST', ME, limited, form({ currency: 'euro' }))).statusCode, 400);
    assert.equal(check.check('GET', ME, await call('GET', ME, 'f'.repeat(64))).statusCode, 401);
    assert.equal(check.check('GET', ME, await call('GET', ME, null, undefined, {})).statusCode, 401);
    assert.equal(check.check('GET', ME, await call('GET', `${ME}?apiKey=other-public`, limited)).statusCode, 403);

    check.check('GET', `${ME}/products`, await call('GET', `${ME}/products?apiKey=${PUBLIC_KEY}`, null));
    check.check('GET', `${ME}/products`, await call('GET', `${ME}/products`, limited, undefined, {}));
    check.check('GET', `${ME}/products/{productId}`, await call('GET', `${ME}/products/1001`, limited));
    assert.equal(check.check('GET', `${ME}/products/{productId}`, await call('GET', `${ME}/products/9999`, limited)).statusCode, 404);

    const CART = `${ME}/carts/active`;
    check.check('GET', CART, await call('GET', CART, full));
    check.check('GET', CART, await call('GET', CART, full, undefined, {}));
    const added = check.check('POST', CART, await call('POST', CART, full, form({ productId: '1001', quantity: '2' }))).json();
    check.check('POST', CART, await call('POST', CART, full, { cart: { lineItems: { lineItem: [{ quantity: 1, product: { id: '1002' } }] } } }));
    assert.equal(check.check('POST', CART, await call('POST', CART, full, form({ productId: '1003', version: String(added.cart.version) }))).statusCode, 409);
    assert.equal(check.check('POST', CART, await call('POST', CART, full, form({ quantity: '2' }))).statusCode, 400);
    assert.equal(check.check('POST', CART, await call('POST', CART, full, form({ productId: '9999' }))).statusCode, 404);
    assert.equal(check.check('POST', CART, await call('POST', CART, full, 'x', { ...JSON_ACCEPT, 'content-type': 'application/octet-stream' })).statusCode, 415);

    const LINES = `${CART}/line-items`;
    check.check('GET', LINES, await call('GET', LINES, full));
    const lines = check.check('POST', LINES, await call('POST', LINES, full, form({ productId: '1003' }))).json();
    const lineId = lines.lineItems.lineItem[0].id as string;
    assert.equal(check.check('POST', LINES, await call('POST', LINES, full, form({ quantity: '1' }))).statusCode, 400);
    const LINE = `${LINES}/{lineItemId}`;
    check.check('GET', LINE, await call('GET', `${LINES}/${lineId}`, full));
    check.check('POST', LINE, await call('POST', `${LINES}/${lineId}`, full, form({ quantity: '3' })));
    assert.equal(check.check('GET', LINE, await call('GET', `${LINES}/nope`, full)).statusCode, 404);
    assert.equal(check.check('DELETE', LINE, await call('DELETE', `${LINES}/${lineId}`, full)).statusCode, 204);

    const SUBMIT = `${CART}/submit-cart`;
    assert.equal(check.check('POST', SUBMIT, await call('POST', SUBMIT, full, {})).statusCode, 200);
    assert.equal(check.check('POST', SUBMIT, await call('POST', SUBMIT, full, {})).statusCode, 409);
    check.check('POST', SUBMIT, await call('POST', SUBMIT, full, {}, {}));

    const orders = check.check('GET', `${ME}/orders`, await call('GET', `${ME}/orders`, full)).json();
    const orderId = orders.orders.order[0].id as string;
    check.check('GET', `${ME}/orders/{orderId}`, await call('GET', `${ME}/orders/${orderId}`, full));
    check.check('GET', `${ME}/orders/{orderId}`, await call('GET', `${ME}/orders/${orderId}`, full, undefined, {}));
    assert.equal(check.check('GET', `${ME}/orders`, await call('GET', `${ME}/orders`, limited)).statusCode, 403);
    assert.equal(check.check('GET', `${ME}/orders/{orderId}`, await call('GET', `${ME}/orders/nope`, full)).statusCode, 404);

    assert.equal(check.check('POST', LINES, await call('POST', LINES, limited, form({ productId: '1001' }))).statusCode, 200);
    assert.equal(check.check('DELETE', LINES, await call('DELETE', LINES, limited)).statusCode, 204);

    const WC = `${CART}/web-checkout`;
    const go = check.check('GET', WC, await call('GET', WC, limited));
    assert.equal(go.statusCode, 302);
    check.check('POST', WC, await call('POST', WC, limited, form({ productId: '1001' })));
    assert.equal(check.check('GET', WC, await call('GET', WC, 'f'.repeat(64))).statusCode, 401);

    // The hosted page the handoff leads to, on the store origin.
    const handoff = new URL(String(go.headers.location));
    const PAGE = '/store/{siteId}/{locale}/{page}';
    assert.equal(check.check('GET', PAGE, await app.inject({ url: handoff.pathname + handoff.search })).statusCode, 302);

    // Registration, when this build has it.
    if (doc.paths['/v1/shoppers']?.post !== undefined) {
      const body = { shopper: { username: 'sam', password: 'Purple-Kettle-42', firstName: 'Sam', lastName: 'Lee', emailAddress: 'sam@example.com' } };
      const made = check.check('POST', '/v1/shoppers', await call('POST', `/v1/shoppers?apiKey=${PUBLIC_KEY}`, null, body));
      assert.ok(made.statusCode === 200 || made.statusCode === 201, made.body);
      check.check('POST', '/v1/shoppers', await call('POST', `/v1/shoppers?apiKey=${PUBLIC_KEY}`, null, body));
    }
  });

  test('hosted pages and operations', async (t) => {
    const { app, doc, check } = await setup(t);
    const PAGE = '/store/{siteId}/{locale}/{page}';
    const page = check.check('GET', PAGE, await app.inject({ url: '/store/acme/en_US/DisplayThreePgCheckoutShoppingCartPage' }));
    assert.equal(page.statusCode, 200);
    check.check('GET', PAGE, await app.inject({ url: '/store/acme/en_US/ThankYouPage' }));
    assert.equal(check.check('GET', PAGE, await app.inject({ url: '/store/acme/en_US/NoSuchPage' })).statusCode, 404);
    assert.equal(check.check('POST', PAGE, await app.inject({ method: 'POST', url: '/store/acme/en_US/DisplayThreePgCheckoutShoppingCartPage', headers: FORM, payload: 'action=add&productId=1001' })).statusCode, 403);
    const cookie = page.cookies.find((c) => c.name === 'SLSESSION')!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const added = check.check('POST', PAGE, await app.inject({ method: 'POST', url: '/store/acme/en_US/DisplayThreePgCheckoutShoppingCartPage', headers: { ...FORM, cookie: `SLSESSION=${cookie.value}` }, payload: form({ csrf, action: 'add', productId: '1001' }) }));
    assert.equal(added.statusCode, 303);
    const invalid = check.check('POST', PAGE, await app.inject({ method: 'POST', url: '/store/acme/en_US/DisplayThreePgCheckoutAddressPaymentInfoPage', headers: { ...FORM, cookie: `SLSESSION=${cookie.value}` }, payload: form({ csrf }) }));
    assert.equal(invalid.statusCode, 400);

    // Routes added in parallel: checked when this build has them.
    if (doc.paths['/']?.get !== undefined) check.check('GET', '/', await app.inject({ url: '/' }));
    if (doc.paths['/favicon.ico']?.get !== undefined) check.check('GET', '/favicon.ico', await app.inject({ url: '/favicon.ico' }));
    check.check('GET', '/healthz', await app.inject({ url: '/healthz' }));
    check.check('GET', '/readyz', await app.inject({ url: '/readyz' }));
    check.check('GET', '/metrics', await app.inject({ url: '/metrics' }));
    const script = check.check('GET', '/sessionlink.js', await app.inject({ url: '/sessionlink.js' }));
    assert.equal(check.check('GET', '/sessionlink.js', await app.inject({ url: '/sessionlink.js', headers: { 'if-none-match': String(script.headers.etag) } })).statusCode, 304);
  });

  test('429 on the site action, the Shopper API token call and the Shopper API', async (t) => {
    const acme = DEMO_SEED.sites[0]!;
    const { app, check } = await setup(t, { sites: [{ ...acme, limits: { newSessionsPerIP: 2, apiRequestsPerKey: 2 } }, OTHER_SITE] });
    let res: LightMyRequestResponse | null = null;
    for (let i = 0; i < 3; i++) res = await app.inject({ url: '/store/acme/SessionToken?format=json' });
    assert.equal(res!.statusCode, 429);
    check.check('GET', '/store/{siteId}/{action}', res!);
    const limitedRes = await app.inject({ url: `/v1/shoppers/token?apiKey=${PUBLIC_KEY}` });
    assert.equal(limitedRes.statusCode, 429);
    check.check('GET', '/v1/shoppers/token', limitedRes);
    const token = (await tokenRequest(app, { grant_type: 'client_credentials' }, { authorization: 'Basic ' + Buffer.from(`${APP_KEY}:${APP_SECRET}`).toString('base64') })).json().access_token as string;
    for (let i = 0; i < 3; i++) res = await app.inject({ url: '/v1/shoppers/me/carts/active', headers: { authorization: `Bearer ${token}`, ...JSON_ACCEPT } });
    assert.equal(res!.statusCode, 429);
    check.check('GET', '/v1/shoppers/me/carts/active', res!);
  });

  test('every operation in the document was checked against a real response above', async (t) => {
    const { doc } = await setup(t);
    const unchecked = operationsOf(doc).map(({ method, path }) => `${method.toUpperCase()} ${path}`).filter((key) => !CHECKED.has(key));
    assert.deepEqual(unchecked, []);
  });
});
