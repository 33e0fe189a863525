// TEST-ONLY. A local OpenID provider that stands in for a DigiD / DigiD
// Machtigen / eHerkenning broker in grondslag's relying-party tests
// (crates/cli/tests/it/broker.rs drives it). Never run it in front of people:
// anyone can choose who logs in next, and every secret is in memory.
//
// It is `oidc-provider` (pinned in package.json) with the broker's profile:
// authorization code flow only, PKCE S256 required, ID tokens signed RS256
// carrying `sub`, `acr` and the claims of the login (bsn, kvk, act, ...),
// RP-initiated logout. Nobody types anything: the login step completes with
// "the next login" set beforehand, consent is implied.
//
//   node broker.mjs '{"port":0,"clients":[{"client_id":"rp","client_secret":"s",
//     "redirect_uris":["http://127.0.0.1:8080/terug"],"post_logout_redirect_uris":["http://127.0.0.1:8080/"]}]}'
//
// The config is argv[2], else $GRONDSLAG_OIDC_BROKER_CONFIG. Each client is
// oidc-provider client metadata; `token_endpoint_auth_method` defaults to
// client_secret_basic (oidc-provider holds a client to the one method it is
// registered with; register client_secret_post where a test wants that).
// `"claims": ["rsin", ...]` declares claims beyond the built-in ones.
// Prints `READY http://127.0.0.1:PORT` (the issuer) once it listens.
//
// Test endpoints, on the same port:
//   POST /test/next-login {"sub","acr","claims":{...}}  who the next login is (stays until changed)
//   POST /test/misbehave {"mode"}  wrong_audience | expired | wrong_nonce | unknown_key | none:
//        the next token response's id_token is rewritten and re-signed, wrong in exactly that way
//   POST /test/rotate-keys  a new signing key; the JWKS keeps the previous one beside it
//   GET  /test/sessions  {"active": N}: end-user sessions (logged in) at the provider now

import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import * as jose from 'jose';
import Provider, { interactionPolicy } from 'oidc-provider';

const config = JSON.parse(process.argv[2] ?? process.env.GRONDSLAG_OIDC_BROKER_CONFIG ?? '{}');

const ACR_VALUES = [
  'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI',
  'urn:etoegang:core:assurance-class:loa2',
  'urn:etoegang:core:assurance-class:loa2plus',
  'urn:etoegang:core:assurance-class:loa3',
  'urn:etoegang:core:assurance-class:loa4',
];

// oidc-provider only puts claims it knows of into a token: these ride on
// scope `openid`, so every ID token carries them when the login has them.
const CLAIMS = ['sub', 'acr', 'bsn', 'kvk', 'vestigingsnummer', 'rsin', 'act', ...(config.claims ?? [])];

// Who the next login is; accounts keeps the claims each sub last logged in with.
let nextLogin;
const accounts = new Map();
let misbehaviour = 'none';

// Signing keys, newest first: oidc-provider signs with the first that fits.
async function newKey() {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  return { ...await jose.exportJWK(privateKey), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}
let keys = [await newKey()];

// The memory adapter of oidc-provider hides its store; this one can count
// sessions, and outlives a provider rebuilt for a key rotation.
const store = new Map();
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);
class Adapter {
  constructor(model) {
    this.model = model;
  }

  key(id) { return `${this.model}:${id}`; }

  async upsert(id, payload, expiresIn) {
    store.set(this.key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
  }

  async find(id) {
    const entry = store.get(this.key(id));
    if (!entry || entry.expiresAt <= Date.now()) return undefined;
    return entry.payload;
  }

  async findByUid(uid) {
    const found = [...store.entries()].find(([k, e]) => k.startsWith(`${this.model}:`) && e.payload.uid === uid);
    return found && this.find(found[0].slice(this.model.length + 1));
  }

  async findByUserCode() { return undefined; }

  async consume(id) {
    const entry = store.get(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) { store.delete(this.key(id)); }

  // Tokens only: an interaction also names its grant, and must outlive it
  // when a different person logs in over an existing session.
  async revokeByGrantId(grantId) {
    for (const [k, e] of store) {
      if (e.payload.grantId === grantId && GRANTABLE.has(k.split(':')[0])) store.delete(k);
    }
  }
}

function activeSessions() {
  return [...store.entries()].filter(([k, e]) => k.startsWith('Session:') && e.expiresAt > Date.now() && e.payload.accountId).length;
}

// The session keeps its login while the next login is the same person with
// the same acr and claims; a test that changes it gets a fresh login.
const { Check, base } = interactionPolicy;
const policy = base();
policy.get('login').checks.add(new Check('next_login_changed', 'the next login was changed', (ctx) => {
  const { session, result } = ctx.oidc;
  if (result?.login || !session.accountId || !nextLogin) return Check.NO_NEED_TO_PROMPT;
  const same = session.accountId === nextLogin.sub && session.acr === nextLogin.acr
    && JSON.stringify(accounts.get(nextLogin.sub)) === JSON.stringify(nextLogin.claims);
  return same ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
}));

const cookieKeys = [randomBytes(32).toString('base64url')];

function build(issuer) {
  const provider = new Provider(issuer, {
    adapter: Adapter,
    clients: (config.clients ?? []).map((client) => ({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
      ...client,
    })),
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    responseTypes: ['code'],
    pkce: { required: () => true },
    scopes: ['openid'],
    claims: { acr: null, sid: null, auth_time: null, iss: null, openid: CLAIMS },
    conformIdTokenClaims: false,
    acrValues: ACR_VALUES,
    jwks: { keys },
    // Plain http on loopback: cookies without `secure` (oidc-provider adds it
    // only on https requests), SameSite=Lax so the top-level redirects back
    // from the relying party still carry them.
    cookies: {
      keys: cookieKeys,
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    findAccount: (ctx, sub) => ({
      accountId: sub,
      claims: () => ({ sub, ...accounts.get(sub) }),
    }),
    // Consent is implied: every requested scope and every claim is granted.
    async loadExistingGrant(ctx) {
      const id = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      const grant = (id && await ctx.oidc.provider.Grant.find(id))
        || new ctx.oidc.provider.Grant({ accountId: ctx.oidc.session.accountId, clientId: ctx.oidc.client.clientId });
      grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' ') || 'openid');
      grant.addOIDCClaims(CLAIMS);
      await grant.save();
      return grant;
    },
    interactions: { policy, url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        // "Yes, sign me out" of the broker too (logout=yes), submitted at once.
        async logoutSource(ctx, form) {
          ctx.type = 'html';
          ctx.body = `<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><title>Uitloggen</title></head><body>
${form.replace('</form>', '<input type="hidden" name="logout" value="yes"/></form>')}
<script>document.forms[0].submit()</script></body></html>`;
        },
      },
    },
    renderError(ctx, out) {
      ctx.type = 'json';
      ctx.body = out;
    },
  });
  provider.use(testRoutes);
  provider.use(misbehave);
  return provider;
}

async function body(ctx) {
  let text = '';
  for await (const chunk of ctx.req) text += chunk;
  return text ? JSON.parse(text) : {};
}

async function testRoutes(ctx, next) {
  const provider = ctx.app;
  if (ctx.path.startsWith('/interaction/')) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    let result;
    if (details.prompt.name === 'login') {
      if (!nextLogin) {
        ctx.status = 500;
        ctx.body = { error: 'no next login: POST /test/next-login {"sub","acr","claims"} first' };
        return;
      }
      accounts.set(nextLogin.sub, nextLogin.claims);
      result = { login: { accountId: nextLogin.sub, acr: nextLogin.acr } };
    } else {
      // loadExistingGrant grants everything, so this is not expected.
      ctx.status = 500;
      ctx.body = { error: `unexpected prompt ${details.prompt.name}`, details: details.prompt };
      return;
    }
    const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(to);
    return;
  }
  if (!ctx.path.startsWith('/test/')) {
    await next();
    return;
  }
  const route = `${ctx.method} ${ctx.path}`;
  if (route === 'POST /test/next-login') {
    const login = await body(ctx);
    const unknown = Object.keys(login.claims ?? {}).filter((c) => !CLAIMS.includes(c));
    if (typeof login.sub !== 'string' || !ACR_VALUES.includes(login.acr) || unknown.length) {
      ctx.status = 400;
      ctx.body = { error: `need sub, one of acr_values_supported, and declared claims (unknown: ${unknown}; add them to the config's "claims")` };
      return;
    }
    nextLogin = { sub: login.sub, acr: login.acr, claims: login.claims ?? {} };
    ctx.status = 204;
  } else if (route === 'POST /test/misbehave') {
    const { mode } = await body(ctx);
    if (!['wrong_audience', 'expired', 'wrong_nonce', 'unknown_key', 'none'].includes(mode)) {
      ctx.status = 400;
      ctx.body = { error: `unknown mode ${mode}` };
      return;
    }
    misbehaviour = mode;
    ctx.status = 204;
  } else if (route === 'POST /test/rotate-keys') {
    // A broker rolling its key keeps publishing the previous one for a
    // while, so tokens already issued still verify; one previous key is kept.
    keys = [await newKey(), keys[0]];
    current = build(issuer).callback();
    ctx.body = { kid: keys[0].kid };
  } else if (route === 'GET /test/sessions') {
    ctx.body = { active: activeSessions() };
  } else {
    ctx.status = 404;
    ctx.body = { error: `no test route ${route}` };
  }
}

// After the token endpoint answered: one token response, wrong one way.
async function misbehave(ctx, next) {
  await next();
  if (ctx.path !== '/token' || ctx.status !== 200 || !ctx.body?.id_token || misbehaviour === 'none') return;
  const mode = misbehaviour;
  misbehaviour = 'none';
  const header = jose.decodeProtectedHeader(ctx.body.id_token);
  const claims = jose.decodeJwt(ctx.body.id_token);
  const now = Math.floor(Date.now() / 1000);
  let key = keys[0];
  if (mode === 'wrong_audience') claims.aud = 'een-andere-client';
  if (mode === 'expired') Object.assign(claims, { iat: now - 7200, exp: now - 3600, auth_time: now - 7200 });
  if (mode === 'wrong_nonce') claims.nonce = randomUUID();
  if (mode === 'unknown_key') key = await newKey();
  const signed = await new jose.CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ ...header, kid: key.kid })
    .sign(await jose.importJWK(key, 'RS256'));
  ctx.body = { ...ctx.body, id_token: signed };
}

// The issuer names the port, so the provider is built once the server listens.
let current;
let issuer;
const server = createServer((req, res) => current(req, res));
server.listen(config.port ?? 0, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  current = build(issuer).callback();
  process.stdout.write(`READY ${issuer}\n`);
});
