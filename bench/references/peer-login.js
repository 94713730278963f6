'use strict';
/**
 * Reference (d): the minimal peer login. What a small but competent Passport
 * login does and nothing more: Express 5, express.json(), passport-local whose
 * verify checks an argon2id hash of a user held in a Map, and a jsonwebtoken HS256
 * signature; `POST /token` answers `{access_token}`. Nothing is stored: no session
 * row, no refresh token, no rate limit, no log line. So the gap between the
 * server's logins and these is what the server does beyond a minimal login.
 *
 * Same footing as the server: the argon2 parameters, the thread-pool size and the
 * pool's priority come from the server's own config loader on the same environment
 * and are applied by the server's own code (as in reference (c)), and bench/run.js
 * forks this with `npm start`'s node flags. Every user shares one hash of the
 * bench password, made once at start.
 *
 * Env: the server's, plus BENCH_USERNAMES (comma-separated). Started with fork();
 * reports its port over IPC.
 */
const argon2 = require('argon2');
const express = require('express');
const jwt = require('jsonwebtoken');
const passport = require('passport');
const { Strategy: LocalStrategy } = require('passport-local');
const { loadConfig } = require('../../dist/config');
const { startThreadPool } = require('../../dist/app/thread-pool');

const PASSWORD = 'correct horse battery staple';

async function main() {
  const config = loadConfig(process.env);
  startThreadPool(config.threadPool); // as server.ts does, before anything queues work on the pool
  const hash = await argon2.hash(PASSWORD, { type: argon2.argon2id, ...config.argon2 });
  const users = new Map(process.env.BENCH_USERNAMES.split(',').map((username, i) => [username, { id: String(i), username, hash }]));

  passport.use(
    new LocalStrategy({ session: false }, function verify(username, password, done) {
      const user = users.get(username);
      if (!user) return done(null, false);
      argon2.verify(user.hash, password).then((ok) => done(null, ok ? user : false), done);
    }),
  );

  const app = express();
  app.use(express.json());
  app.use(passport.initialize());
  app.post('/token', passport.authenticate('local', { session: false }), function issue(req, res) {
    const { secret, issuer, audience } = config.jwt;
    res.json({ access_token: jwt.sign({ sub: req.user.id }, secret, { algorithm: 'HS256', expiresIn: config.accessTokenTtl, issuer, audience }) });
  });
  const server = app.listen(0, '127.0.0.1', () => process.send({ port: server.address().port, params: config.argon2, poolSize: config.threadPool.size }));
}

process.on('disconnect', () => process.exit(0));
main().catch((error) => {
  process.send?.({ error: String(error) });
  process.exit(1);
});
