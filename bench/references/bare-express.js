'use strict';
/**
 * Reference (a): the ceiling for any Express 5 route on this machine. One GET
 * route answering a JSON body of the same shape as GET /protected; nothing else.
 * Started by bench/run.js with fork(); reports its port over IPC.
 */
const express = require('express');

const app = express();
app.get('/protected', function bare(_req, res) {
  res.json({ id: '00000000-0000-4000-8000-000000000000', username: 'bench_user_00' });
});

const server = app.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('disconnect', () => process.exit(0));
