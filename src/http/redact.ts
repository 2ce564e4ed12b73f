/** Query parameters whose values are secrets and must never reach a log line. */
const SECRET_PARAMS = new Set([
  'token', 'access_token', 'refresh_token', 'sessiontoken', 'session_token', 'dr_session_token',
  'dr_limited_token', 'handoff', 'password', 'client_secret', 'code', 'csrf'
]);

/** Any other name that says it carries a secret (`new_password`, `id_token_hint`, …) is one too. */
const SECRET_WORDS = /token|secret|passw|handoff|csrf/;

function isSecretParam(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_PARAMS.has(lower) || SECRET_WORDS.test(lower);
}

/** The URL with every secret query value replaced by `[redacted]`. */
export function redactURL(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const parts = url.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq === -1) return pair;
    let name = pair.slice(0, eq);
    try {
      name = decodeURIComponent(name);
    } catch {
      // keep the raw name
    }
    return isSecretParam(name) ? `${pair.slice(0, eq)}=[redacted]` : pair;
  });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

interface LoggableRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  id?: string;
}

/** pino serializers for Fastify: request lines carry no secret (headers are never logged). */
export const LOG_SERIALIZERS = {
  req(request: LoggableRequest): Record<string, unknown> {
    return { method: request.method, url: redactURL(request.url), host: request.host, remoteAddress: request.ip };
  }
};

/** pino redaction for anything that logs an object with these fields. */
export const LOG_REDACT = {
  paths: [
    'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]',
    '*.password', '*.client_secret', '*.access_token', '*.refresh_token', '*.session_token'
  ],
  censor: '[redacted]'
};
