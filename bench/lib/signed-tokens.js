'use strict';
/**
 * Access tokens signed in the bench process with a running server's own keys and
 * code (dist/: its configuration, its key ring over its database, its access-token
 * service), for subjects taken from tokens the server issued at login. Thousands
 * of distinct, valid tokens in a second or two, where issuing them through the API
 * means one argon2 hash per login or one committed write per refresh.
 */
const { loadConfig } = require('../../dist/config');
const { openDatabase } = require('../../dist/models');
const { createKeyRing } = require('../../dist/app/keys');
const { createAccessTokenService } = require('../../dist/app/services/access-token.service');
const { systemClock } = require('../../dist/app/clock');

/** The part of a JWT between the dots, read (not verified: these came from the server). */
const decodeJwtPart = (token, index) => JSON.parse(Buffer.from(token.split('.')[index], 'base64url').toString('utf8'));

/**
 * `count` tokens, spread in turn over the subjects of `issued` (access tokens from
 * the server's logins), signed as the server on `port` with environment `env`
 * would sign them: PORT matters, since the issuer defaults to the public URL.
 */
async function signTokens({ env, port, issued, count }) {
  const config = loadConfig({ ...env, PORT: String(port) });
  const db = await openDatabase(config.database);
  const keys = createKeyRing({ config, db, clock: systemClock });
  try {
    await keys.ready();
    const accessTokens = createAccessTokenService(config, systemClock, keys);
    const subjects = issued.map((token) => {
      const { sub, ver, roles } = decodeJwtPart(token, 1);
      return { id: sub, sessionVersion: ver, role: roles[0] };
    });
    return Array.from({ length: count }, (_, i) => accessTokens.sign(subjects[i % subjects.length]).token);
  } finally {
    keys.close();
    await db.sequelize.close();
  }
}

module.exports = { signTokens, decodeJwtPart };
