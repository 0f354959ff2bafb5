// Local OpenID Provider (panva/oidc-provider) with a fixed user table, for the test suite only.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const env = process.env;
const list = (v) => (v || '').split(',').map((s) => s.trim()).filter(Boolean);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const USERS = env.OIDC_USERS ? JSON.parse(env.OIDC_USERS) : [
  { sub: 'focal-ar', email: 'focal-ar@example.org', email_verified: true, name: 'Focal AR', member_state: 'AR', password: 'secret-ar' },
  { sub: 'focal-br', email: 'focal-br@example.org', email_verified: true, name: 'Focal BR', member_state: 'BR', password: 'secret-br' },
  { sub: 'uninvited', email: 'uninvited@example.org', email_verified: true, name: 'Uninvited User', member_state: null, password: 'secret-uninvited' },
  { sub: 'admin', email: 'admin@example.org', email_verified: true, name: 'Admin User', member_state: null, password: 'secret-admin' },
];

const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
let provider; let handler; // created once the port is known (OIDC_PORT=0 picks a free one)

const loginPage = (uid, login = '', error = '') => `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Test OP sign-in</title></head><body>
<h1>Test OP sign-in</h1>${error ? `<p class="error">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login">
  <label>Email <input type="text" name="login" value="${esc(login)}" autofocus></label>
  <label>Password <input type="password" name="password"></label>
  <button type="submit">Sign in</button>
</form></body></html>`;

const readForm = async (req) => {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
};

// Login + automatic consent: grant everything that was asked for, then resume the authorization.
async function finish(req, res, details, accountId) {
  const { params } = details;
  const grant = new provider.Grant({ accountId, clientId: params.client_id });
  grant.addOIDCScope(params.scope);
  const claims = params.claims ? JSON.parse(params.claims) : {};
  const names = Object.values(claims).flatMap((c) => Object.keys(c || {}));
  if (names.length) grant.addOIDCClaims(names);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
}

async function interaction(req, res, uid) {
  const html = (status, body) => { res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' }); res.end(body); };
  const details = await provider.interactionDetails(req, res); // throws SessionNotFound if cookie/uid mismatch
  if (details.uid !== uid) return html(400, 'interaction mismatch');
  if (req.method === 'GET') {
    if (details.prompt.name === 'login') return html(200, loginPage(uid));
    return finish(req, res, details, details.session.accountId); // consent only: auto-grant
  }
  const form = await readForm(req);
  const login = form.get('login') || '';
  const user = USERS.find((u) => u.email.toLowerCase() === login.trim().toLowerCase());
  if (!user || user.password !== form.get('password')) return html(401, loginPage(uid, login, 'Invalid email or password'));
  return finish(req, res, details, user.sub);
}

const server = createServer(async (req, res) => {
  const m = req.url.match(/^\/interaction\/([\w-]+)(\/login)?(?:\?.*)?$/);
  if (!m || (req.method === 'POST') !== Boolean(m[2])) return handler(req, res);
  try {
    await interaction(req, res, m[1]);
  } catch (err) {
    if (!res.headersSent) res.writeHead(400, { 'Content-Type': 'text/plain' });
    res.end(`interaction error: ${err.message}\n`);
  }
});

server.listen(Number(env.OIDC_PORT || 0), '127.0.0.1', () => {
  const base = `http://127.0.0.1:${server.address().port}`;
  provider = new Provider(env.OIDC_ISSUER || base, {
    clients: [{
      client_id: env.OIDC_CLIENT_ID || 'test-client',
      client_secret: env.OIDC_CLIENT_SECRET || 'test-secret',
      redirect_uris: list(env.OIDC_REDIRECT_URIS || 'http://127.0.0.1:5000/auth/callback'),
      post_logout_redirect_uris: list(env.OIDC_POST_LOGOUT_REDIRECT_URIS),
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic', // client_secret_post is accepted too
    }],
    jwks: { keys: [{ ...key, kid: 'test-key-1', alg: 'RS256', use: 'sig' }] },
    scopes: ['openid', 'email', 'profile', 'oas'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], oas: ['member_state'] },
    conformIdTokenClaims: false, // put scope claims (email, member_state, ...) in the id_token, not only userinfo
    pkce: { required: () => true }, // S256 is the only method oidc-provider 9 supports
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => { // auto-submits; plain HTTP clients can POST the form themselves
          ctx.body = `<!DOCTYPE html><html><body>${form.replace('</form>', '<input type="hidden" name="logout" value="yes"><button type="submit">Sign out</button></form>')}<script>document.forms[0].submit()</script></body></html>`;
        },
      },
    },
    interactions: { url: (ctx, i) => `/interaction/${i.uid}` },
    cookies: { keys: [randomBytes(32).toString('hex')], names: { session: 'op_session', interaction: 'op_interaction', resume: 'op_interaction_resume' } },
    findAccount: (ctx, sub) => {
      const user = USERS.find((u) => u.sub === sub);
      if (!user) return undefined;
      const { password, ...claims } = user;
      return { accountId: sub, claims: () => claims };
    },
  });
  handler = provider.callback();
  console.log(`READY ${base}`);
});

const stop = () => { server.close(() => process.exit(0)); server.closeAllConnections(); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
