// A real OpenID provider on loopback (npm oidc-provider, the certified Node implementation)
// for the relay's sign-in tests: one client, the authorization code flow with PKCE
// required, and its development sign-in pages (any login is accepted; the e-mail address is
// the login, confirmed). Prints "listening PORT" once it answers.
// Usage: node oidc-op.mjs PORT REDIRECT_URI CLIENT_ID CLIENT_SECRET
import Provider from 'oidc-provider';

const [port, redirect, clientId, clientSecret] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirect],
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  cookies: { keys: ['a key for this test provider only'] },
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, id) {
    const email = id.includes('@') ? id : `${id}@example.org`;
    return {
      accountId: id,
      async claims() { return { sub: id, email, email_verified: true }; },
    };
  },
});

provider.listen(Number(port), '127.0.0.1', () => console.log(`listening ${port}`));
