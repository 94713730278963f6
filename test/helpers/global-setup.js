// Tests that spawn the real server run dist/server.js, exactly what `npm start` runs: build it once per test run,
// with the web page's script (public/js) that the browser tests load.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async function globalSetup() {
  const root = path.resolve(__dirname, '../..');
  for (const project of ['tsconfig.build.json', 'tsconfig.web.json']) {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', project], { cwd: root, stdio: 'inherit' });
  }
};
