'use strict';
const { createApp } = require('./app');
const { loadConfig } = require('./config');

const config = loadConfig(process.env);
const server = createApp(config).listen(config.port, function listening() {
  process.stdout.write(`resource server listening on port ${server.address().port}, keys from ${config.jwksUri}\n`);
});
process.on('SIGTERM', () => server.close());
