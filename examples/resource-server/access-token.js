'use strict';
const { passportJwtSecret, JwksRateLimitError } = require('jwks-rsa');
const passport = require('passport');
const { ExtractJwt, Strategy: JwtStrategy } = require('passport-jwt');

const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();

/**
 * passport-jwt checking the auth server's access tokens against its JWKS: signature,
 * algorithm, issuer, audience, expiry and typ. Keys are cached by kid; a kid not
 * seen yet is fetched at once, a few times a minute at most.
 */
function accessTokenStrategy(config) {
  return new JwtStrategy(
    {
      jwtFromRequest: bearerToken,
      secretOrKeyProvider: passportJwtSecret({
        jwksUri: config.jwksUri, // `${AUTH_SERVER_URL}/.well-known/jwks.json`
        cache: true,
        cacheMaxAge: config.jwksCacheMaxAgeMs, // how long a revoked key still works here
        rateLimit: true,
        jwksRequestsPerMinute: config.jwksRequestsPerMinute,
      }),
      // Pinned, never taken from the token. jsonwebtoken, under passport-jwt, has no EdDSA:
      // for EdDSA tokens verify with jose (createRemoteJWKSet + jwtVerify) instead.
      algorithms: ['ES256', 'RS256'],
      issuer: config.issuer, // the auth server's PUBLIC_URL when set, else its JWT_ISSUER
      audience: config.audience,
      jsonWebTokenOptions: { complete: true }, // the header too, for typ
    },
    function verifyAccessToken({ header, payload }, done) {
      // RFC 9068 section 4: an access token says so, so an ID token or another JWT is not taken for one.
      if (!['at+jwt', 'application/at+jwt'].includes(String(header.typ).toLowerCase())) return done(null, false);
      done(null, { id: payload.sub, roles: payload.roles ?? [] });
    },
  );
}

/**
 * passport-jwt reports a JWKS it could not fetch as a refused token; that is the
 * auth server being unreachable (or the rate limit), so it answers 503, not a 401
 * that would send the client to log in again for nothing.
 */
const cannotFetchKeys = (info) => info instanceof JwksRateLimitError || info?.isEndpointUnavailable === true;

/** The guard: req.user from a valid access token, or 401 with a Bearer challenge (RFC 6750 section 3). */
function requireAccessToken(req, res, next) {
  passport.authenticate('jwt', { session: false }, function answer(err, user, info) {
    if (err) return next(err);
    if (user) {
      req.user = user;
      return next();
    }
    if (cannotFetchKeys(info)) {
      return res.status(503).json({ error: 'temporarily_unavailable', error_description: 'The signing keys cannot be fetched now; try again.' });
    }
    if (!bearerToken(req)) {
      return res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'unauthorized', error_description: 'Send an access token: Authorization: Bearer <token>.' });
    }
    res
      .status(401)
      .set('WWW-Authenticate', 'Bearer error="invalid_token"')
      .json({ error: 'invalid_token', error_description: 'The access token is invalid, expired or not meant for this service.' });
  })(req, res, next);
}

module.exports = { accessTokenStrategy, requireAccessToken };
