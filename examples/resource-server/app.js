'use strict';
const express = require('express');
const passport = require('passport');
const { accessTokenStrategy, requireAccessToken } = require('./access-token');

/** The resource server's routes; server.js listens. */
function createApp(config) {
  passport.use(accessTokenStrategy(config));
  const app = express();
  app.disable('x-powered-by');

  app.get('/health', function health(_req, res) {
    res.json({ status: 'ok' });
  });

  // Whoever the auth server says the token's subject is, with no call to the auth server per request.
  app.get('/orders', requireAccessToken, function listOrders(req, res) {
    res.json({ owner: req.user.id, orders: [{ id: 'order-1', item: 'A book', total: 12.5 }] });
  });

  return app;
}

module.exports = { createApp };
