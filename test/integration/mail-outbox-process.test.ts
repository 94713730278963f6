import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { QueryTypes } from 'sequelize';
import { SMTPServer } from 'smtp-server';
import { Database, openDatabase } from '../../models';
import { insertMail } from '../../models/mail-outbox.queries';
import type { DatabaseTarget } from '../../config/database-url';
import { DIALECTS } from '../helpers/app';
import { createPostgresDatabase, describeOnPostgres, PostgresDatabase } from '../helpers/postgres';
import { killAllServers, LogLine, makeTempDir, removeTempDirs, ServerProcess, startServer } from '../helpers/server-process';
import { startSmtpServer, TestSmtpServer } from '../helpers/smtp';

/**
 * The outbox as an operator meets it: `node dist/server.js` sending to a real SMTP
 * server in this process, mail written into the server's database while it runs,
 * the way a request writes it (the sender reads the outbox every second). What a
 * mail survives: an SMTP outage, a kill -9 and restart, a second instance on the
 * same database; what happens without SMTP_URL (.eml files) and after a day of failures.
 */

interface MailRow {
  id: number;
  state: string;
  attempts: number;
  text_body: string | null;
  html_body: string | null;
  last_error: string | null;
}

const RETRYING = 'could not send a mail: trying again later';
const GAVE_UP = 'gave up sending a mail after a day of failures';
const WRITTEN_TO_FOLDER = 'mail written to the outbox folder (no SMTP_URL)';

/** A mail as a reset request writes it: the link, with its token in the fragment, is the secret. */
async function queueMail(db: Database, subject: string): Promise<{ id: number; subject: string; token: string }> {
  const token = randomBytes(32).toString('base64url');
  const link = `http://localhost:3000/#/reset?token=${token}`;
  const id = await insertMail(db, {
    recipient: 'ada@example.com',
    subject,
    text: `Someone asked to reset your password. To choose a new one, open ${link}`,
    html: `<p>Someone asked to reset your password.</p><p><a href="${link}">Choose a new password</a></p>`,
    createdAt: new Date(),
  });
  return { id, subject, token };
}

async function rowsOf(db: Database): Promise<MailRow[]> {
  const rows = await db.sequelize.query<MailRow>('SELECT id, state, attempts, text_body, html_body, last_error FROM mail_outbox ORDER BY id', { type: QueryTypes.SELECT });
  return rows.map((row) => ({ ...row, id: Number(row.id), attempts: Number(row.attempts) }));
}

async function rowOf(db: Database, id: number): Promise<MailRow> {
  const row = (await rowsOf(db)).find((r) => r.id === id);
  if (!row) throw new Error(`no mail_outbox row ${id}`);
  return row;
}

/** Polls the outbox until `done` holds for its rows, at most `timeoutMs`. */
async function untilRows(db: Database, done: (rows: MailRow[]) => boolean, timeoutMs = 20_000): Promise<MailRow[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await rowsOf(db);
    if (done(rows)) return rows;
    if (Date.now() > deadline) throw new Error(`the outbox never got there within ${timeoutMs} ms: ${JSON.stringify(rows)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const sentWithoutBodies = { state: 'sent', text_body: null, html_body: null };
const mailLine = (msg: string, id: number) => (line: LogLine) => line.msg === msg && line.mail === id;

/** SIGTERM, and wait for the server to finish what it has in hand and exit. */
async function stopServer(server: ServerProcess): Promise<void> {
  server.child.kill('SIGTERM');
  expect(await server.waitForExit(20_000)).toEqual({ code: 0, signal: null });
}

/** Everything a server wrote, stdout and stderr together. */
const everything = (server: ServerProcess) => `${server.logs.map((line) => JSON.stringify(line)).join('\n')}\n${server.stderr()}`;

/** A database of its own for a test: a SQLite file in `dir`, or a new PostgreSQL database. */
async function databaseFor(dialect: 'sqlite' | 'postgres', dir: string): Promise<{ url: string; target: DatabaseTarget; drop(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const storage = path.join(dir, 'auth.sqlite');
    return { url: `sqlite:${storage}`, target: { dialect: 'sqlite', storage }, drop: async () => {} };
  }
  const database: PostgresDatabase = await createPostgresDatabase('auth_mail');
  return { url: database.url, target: { dialect: 'postgres', url: database.url }, drop: () => database.drop() };
}

describe.each(DIALECTS)('the mail outbox of a real server process (%s)', (dialect) => {
  let dir: string;
  let smtp: TestSmtpServer;
  let database: Awaited<ReturnType<typeof databaseFor>>;
  let db: Database | undefined;
  let env: Record<string, string>;

  beforeEach(async () => {
    dir = makeTempDir('auth-mail-');
    smtp = await startSmtpServer();
    database = await databaseFor(dialect, dir);
    env = { DATABASE_URL: database.url, SMTP_URL: smtp.url };
  });
  afterEach(async () => {
    await killAllServers();
    await db?.sequelize.close();
    db = undefined;
    await smtp.close();
    await database.drop();
    removeTempDirs();
  });

  /** The server, then this test's own connection to its (now migrated) database. */
  async function start(): Promise<ServerProcess> {
    const server = await startServer({ dir, env });
    db ??= await openDatabase(database.target);
    return server;
  }

  it('keeps a mail while the SMTP server is down and sends it exactly once when it is back, keeping no body', async () => {
    await smtp.stop();
    const server = await start();
    const mail = await queueMail(db!, 'Reset your password');

    await server.waitForLog(mailLine(RETRYING, mail.id), 10_000);
    expect(await rowOf(db!, mail.id)).toMatchObject({ state: 'pending', attempts: 1, last_error: expect.stringMatching(/ECONNREFUSED/) });
    expect((await rowOf(db!, mail.id)).text_body).toContain(mail.token); // still there to be sent
    await smtp.start();

    const received = await smtp.nextMail((m) => m.subject === mail.subject, { timeoutMs: 15_000 });
    expect(received.text).toContain(mail.token);
    await untilRows(db!, (rows) => rows[0]?.state === 'sent');
    await stopServer(server);
    expect(smtp.mails.filter((m) => m.subject === mail.subject)).toHaveLength(1);
    expect(await rowsOf(db!)).toEqual([{ id: mail.id, attempts: 2, last_error: null, ...sentWithoutBodies }]);
  });

  it('sends, exactly once, a mail whose server was killed (kill -9) before it could send it, and one written while no server ran', async () => {
    await smtp.stop();
    const first = await start();
    const beforeTheCrash = await queueMail(db!, 'Written before the crash');
    await first.waitForLog(mailLine(RETRYING, beforeTheCrash.id), 10_000); // claimed and tried: the crash is between request and send
    expect(await first.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    const whileStopped = await queueMail(db!, 'Written while no server ran');
    expect((await rowsOf(db!)).map((row) => [row.state, row.attempts])).toEqual([['pending', 1], ['pending', 0]]);

    await smtp.start();
    const second = await start();
    for (const { subject } of [beforeTheCrash, whileStopped]) await smtp.nextMail((m) => m.subject === subject, { timeoutMs: 15_000 });
    await untilRows(db!, (rows) => rows.every((row) => row.state === 'sent'));
    await stopServer(second);
    expect(smtp.mails.map((m) => m.subject).sort()).toEqual([beforeTheCrash.subject, whileStopped.subject].sort());
    expect(await rowsOf(db!)).toEqual([
      { id: beforeTheCrash.id, attempts: 2, last_error: null, ...sentWithoutBodies },
      { id: whileStopped.id, attempts: 1, last_error: null, ...sentWithoutBodies },
    ]);
  });

  it('gives up on a mail still failing a day after it was written: failed, no body kept, one error logged', async () => {
    await smtp.stop();
    const server = await start();
    const mail = await queueMail(db!, 'Never delivered');
    await server.waitForLog(mailLine(RETRYING, mail.id), 10_000);

    // A day of failures, without the day: the mail was written 25 hours ago and its retry is due now.
    const now = Date.now();
    await db!.sequelize.query('UPDATE mail_outbox SET created_at = :created, next_attempt_at = :due WHERE id = :id', {
      replacements: { id: mail.id, created: new Date(now - 25 * 3_600_000), due: new Date(now) },
      type: QueryTypes.UPDATE,
    });
    const gaveUp = await server.waitForLog(mailLine(GAVE_UP, mail.id), 10_000);
    expect(gaveUp).toMatchObject({ level: 50, attempts: 2, reason: expect.stringMatching(/ECONNREFUSED/) });
    await stopServer(server);

    expect(await rowsOf(db!)).toEqual([{ id: mail.id, state: 'failed', attempts: 2, text_body: null, html_body: null, last_error: expect.stringMatching(/ECONNREFUSED/) }]);
    expect(server.logs.filter((line) => line.msg === GAVE_UP)).toHaveLength(1);
    expect(server.logs.filter((line) => line.level >= 50)).toHaveLength(1);
    expect(everything(server)).not.toContain(mail.token);
    expect(smtp.mails).toHaveLength(0);
  });
});

describe('the mail outbox of a development server without SMTP_URL', () => {
  afterEach(async () => {
    await killAllServers();
    removeTempDirs();
  });

  it('writes each mail as an .eml file under MAIL_OUTBOX_DIR and logs the file, never the link', async () => {
    const dir = makeTempDir('auth-mail-dev-');
    const outboxDir = path.join(makeTempDir('auth-outbox-'), 'outbox');
    const development = { NODE_ENV: 'development', ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '2', SEED_DEMO_USER: 'false', MAIL_OUTBOX_DIR: outboxDir };
    const server = await startServer({ dir, env: development });
    const db = await openDatabase({ dialect: 'sqlite', storage: server.dbFile });
    try {
      const mail = await queueMail(db, 'Reset your password');
      const line = await server.waitForLog((l) => l.msg === WRITTEN_TO_FOLDER, 10_000);

      // Named after the outbox row, so a mail written again after a crash lands in the same file.
      expect(line).toMatchObject({ level: 30, file: path.join(outboxDir, `${String(mail.id).padStart(6, '0')}.eml`), to: 'ada@example.com', subject: mail.subject });
      expect(existsSync(line.file as string)).toBe(true);
      const eml = await simpleParser(readFileSync(line.file as string));
      expect(eml.subject).toBe(mail.subject);
      expect(eml.text).toContain(`http://localhost:3000/#/reset?token=${mail.token}`);
      expect(eml.html).toContain(`#/reset?token=${mail.token}`);

      await untilRows(db, (rows) => rows[0]?.state === 'sent');
      await stopServer(server);
      expect(await rowsOf(db)).toEqual([{ id: mail.id, attempts: 1, last_error: null, ...sentWithoutBodies }]);
      expect(JSON.stringify(line)).not.toMatch(/reset your password\.|Choose a new password|token=/i);
      expect(everything(server)).not.toContain(mail.token);
    } finally {
      await db.sequelize.close();
    }
  });
});

/**
 * An SMTP server that holds the first mail it gets until a second arrives while the
 * first is still in hand: two senders at work at once, each with a mail of its own,
 * or the test fails. Each sender sends one mail at a time, so two mails in hand at
 * once are two senders.
 */
async function startPairingSmtpServer(): Promise<{ url: string; subjects: string[]; paired: () => boolean; close(): Promise<void> }> {
  const subjects: string[] = [];
  let inHand = 0;
  let isPaired = false;
  let release!: () => void;
  const bothAtWork = new Promise<void>((resolve) => {
    release = () => {
      isPaired = inHand >= 2 || isPaired;
      resolve();
    };
  });
  // Only a bound on a failing run: without a second sender the first mail is let go and `paired()` stays false.
  const giveUp = setTimeout(release, 15_000);
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      inHand += 1;
      if (inHand >= 2) release();
      simpleParser(stream)
        .then(async (mail) => {
          await bothAtWork;
          subjects.push(mail.subject ?? '');
          inHand -= 1;
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.server.address() as AddressInfo).port)));
  return {
    url: `smtp://127.0.0.1:${port}`,
    subjects,
    paired: () => isPaired,
    close: () => {
      clearTimeout(giveUp);
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describeOnPostgres('the mail outbox of two server processes on one PostgreSQL database', () => {
  let database: PostgresDatabase;
  let smtp: Awaited<ReturnType<typeof startPairingSmtpServer>>;
  let db: Database | undefined;

  beforeAll(async () => {
    database = await createPostgresDatabase('auth_mail_two');
    smtp = await startPairingSmtpServer();
  });
  afterAll(async () => {
    await killAllServers();
    await db?.sequelize.close();
    await smtp?.close();
    await database?.drop();
    removeTempDirs();
  });

  it('sends each of 30 mails exactly once, both senders at work', async () => {
    const env = { DATABASE_URL: database.url, SMTP_URL: smtp.url };
    const [a, b] = await Promise.all([startServer({ env }), startServer({ env })]);
    db = await openDatabase({ dialect: 'postgres', url: database.url });
    const mails = [];
    for (let i = 0; i < 30; i += 1) mails.push(await queueMail(db, `Mail ${String(i).padStart(2, '0')}`));

    await untilRows(db, (rows) => rows.length === 30 && rows.every((row) => row.state === 'sent'), 60_000);
    await Promise.all([stopServer(a), stopServer(b)]);
    expect(smtp.paired()).toBe(true);
    expect([...smtp.subjects].sort()).toEqual(mails.map((mail) => mail.subject));
    expect(await rowsOf(db)).toEqual(mails.map(({ id }) => ({ id, attempts: 1, last_error: null, ...sentWithoutBodies })));
  }, 90_000);
});
