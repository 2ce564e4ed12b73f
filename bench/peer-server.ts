// The peer: oidc-provider 9 issuing opaque access tokens for client_credentials.
// @ts-expect-error oidc-provider ships no type declarations
import Provider from 'oidc-provider';

const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';
const provider = new Provider(`http://${host}:${port}`, {
  clients: [{
    client_id: 'acme-app',
    client_secret: 'app-secret-123',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic'
  }],
  features: {
    clientCredentials: { enabled: true },
    devInteractions: { enabled: false },
    resourceIndicators: { enabled: false }
  },
  ttl: { ClientCredentials: 600 }
});
provider.proxy = false;
const server = provider.listen(port, host, () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
