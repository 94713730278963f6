'use strict';
/**
 * Reference (b): the approach most Passport + JWT tutorials teach. passport-jwt
 * with a plain string secret, and a verify callback that loads the user through
 * Sequelize (here a SQLite file, like the server's) on every request. Made as fair
 * as such an app can be: Sequelize query logging off, no request logger, one
 * body parser. Started by bench/run.js with fork(); reports its port and one
 * access token per seeded user over IPC.
 *
 * Env: BENCH_TUTORIAL_DB (the SQLite file), BENCH_USERS (how many users), BENCH_SECRET.
 */
const express = require('express');
const jwt = require('jsonwebtoken');
const passport = require('passport');
const { ExtractJwt, Strategy: JwtStrategy } = require('passport-jwt');
const { DataTypes, Sequelize } = require('sequelize');

const secret = process.env.BENCH_SECRET;
const sequelize = new Sequelize({ dialect: 'sqlite', storage: process.env.BENCH_TUTORIAL_DB, logging: false });
const User = sequelize.define('User', {
  id: { type: DataTypes.UUID, defaultValue: DataTypes.UUIDV4, primaryKey: true },
  username: { type: DataTypes.STRING, allowNull: false, unique: true },
  password: { type: DataTypes.STRING, allowNull: false },
});

passport.use(
  new JwtStrategy({ jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: secret }, async (payload, done) => {
    try {
      const user = await User.findByPk(payload.id);
      return user ? done(null, user) : done(null, false);
    } catch (error) {
      return done(error, false);
    }
  }),
);

const app = express();
app.use(express.json());
app.use(passport.initialize());
app.get('/protected', passport.authenticate('jwt', { session: false }), (req, res) => {
  res.json({ id: req.user.id, username: req.user.username });
});

async function main() {
  await sequelize.sync({ force: true });
  const users = await User.bulkCreate(
    Array.from({ length: Number(process.env.BENCH_USERS) || 50 }, (_, i) => ({ username: `tutorial_${i}`, password: 'not-used-here' })),
  );
  const tokens = users.map((user) => jwt.sign({ id: user.id, username: user.username }, secret, { expiresIn: '1h' }));
  const server = app.listen(0, '127.0.0.1', () => process.send({ port: server.address().port, tokens }));
}

process.on('disconnect', () => process.exit(0));
main().catch((error) => {
  process.send?.({ error: String(error) });
  process.exit(1);
});
