import { systemClock } from '../app/clock';
import { KeyChange, createSigningKeyService, SigningKeyInfo } from '../app/services/signing-key.service';
import { KeyRotationTooSoon, NotFound } from '../app/services/errors';
import { isAsymmetric } from '../config/signing';
import { CliError, usageError } from './cli-error';
import { runCli, withDatabase } from './run-cli';

const USAGE = `Usage: npm run keys -- <command>   (or: node dist/cli/keys.js <command>)

The keys access tokens are signed with when JWT_ALGORITHM is ES256, EdDSA or RS256
(docs/keys.md). Uses DATABASE_URL, JWT_ALGORITHM, KEY_ENCRYPTION_SECRET and the rest of
the server's configuration (.env included). Running servers pick up a change within
10 seconds (at once on PostgreSQL).

  list              every key: kid, algorithm, state, when it was made, began and stopped signing
  rotate [--force]  next -> current, current -> previous, and a new next. Refused while the
                    next key has been published for less than JWKS_MAX_AGE (a verifier may not
                    have fetched it yet), unless --force. On an empty table: the first keys.
  revoke <kid>      drop the key from the JWKS and refuse its tokens now; revoking the current
                    key makes the next one current at once
  prune             delete revoked keys and previous keys whose tokens have all expired

Exits 0 on success; otherwise prints one line on stderr and exits 1 (2 for a bad command line).
`;

const when = (date: Date | null) => (date ? date.toISOString().replace(/\.\d+Z$/, 'Z') : '-');

function table(keys: SigningKeyInfo[]): string {
  if (keys.length === 0) return 'no signing keys (create the first ones with: npm run keys -- rotate)';
  const rows = keys.map((key) => [key.kid, key.alg, key.state, when(key.createdAt), when(key.activatedAt), when(key.retiredAt), when(key.revokedAt)]);
  const all = [['KID', 'ALG', 'STATE', 'CREATED', 'SIGNING SINCE', 'RETIRED', 'REVOKED'], ...rows];
  const widths = all[0].map((_, column) => Math.max(...all.map((row) => row[column].length)));
  return all.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()).join('\n');
}

function describeChange(change: KeyChange): string {
  const lines = [];
  if (change.revoked) lines.push(`revoked ${change.revoked}`);
  if (change.retired) lines.push(`retired ${change.retired} (previous: accepted until its tokens expire)`);
  lines.push(`current ${change.current}`);
  for (const kid of change.created.filter((kid) => kid !== change.current)) lines.push(`created ${kid} (next)`);
  return lines.join('\n');
}

type Invocation = { command: 'list' | 'prune' } | { command: 'rotate'; force: boolean } | { command: 'revoke'; kid: string };

/** The command line, judged before the database is opened: a typo never migrates, and never meets an HS256 refusal first. */
function parseArgs(argv: string[]): Invocation | 'help' {
  const [command, ...rest] = argv;
  if (command === undefined) throw usageError('missing command: one of list, rotate, revoke, prune');
  if (['--help', '-h', 'help'].includes(command)) return 'help';
  const expect = (count: number, usage: string) => {
    if (rest.length !== count) throw usageError(`usage: keys ${usage}`);
  };
  switch (command) {
    case 'list':
    case 'prune':
      expect(0, command);
      return { command };
    case 'rotate':
      if (rest.length > 1 || (rest.length === 1 && rest[0] !== '--force')) throw usageError('usage: keys rotate [--force]');
      return { command, force: rest[0] === '--force' };
    case 'revoke':
      expect(1, 'revoke <kid>');
      return { command, kid: rest[0] };
    default:
      throw usageError(`unknown command "${command}"`);
  }
}

/** `npm run keys -- …`: returns what it prints. */
async function main(argv: string[]): Promise<string> {
  const invocation = parseArgs(argv);
  if (invocation === 'help') return USAGE.trimEnd();
  return withDatabase(async (db, config) => {
    const keys = createSigningKeyService(config, db, systemClock);
    if (invocation.command === 'list') return table(await keys.list());
    if (!isAsymmetric(config.jwt.algorithm)) {
      throw new CliError('JWT_ALGORITHM is HS256: tokens are signed with JWT_SECRET and there are no keys; set JWT_ALGORITHM=ES256 (or EdDSA, RS256) first');
    }
    try {
      if (invocation.command === 'rotate') return describeChange(await keys.rotate({ force: invocation.force }));
      if (invocation.command === 'revoke') return describeChange(await keys.revoke(invocation.kid));
      const pruned = await keys.prune();
      return pruned.length === 0 ? 'nothing to prune' : pruned.map((kid) => `deleted ${kid}`).join('\n');
    } catch (error) {
      if (error instanceof KeyRotationTooSoon || error instanceof NotFound) throw new CliError(error.description);
      throw error;
    }
  });
}

runCli('keys', async () => {
  process.stdout.write(`${await main(process.argv.slice(2))}\n`);
  return 0;
});
