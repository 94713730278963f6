import { usageError } from './cli-error';

/** Each command's positional arguments and the options it takes, in the order usage shows them. */
export const COMMAND_SHAPES = {
  create: { args: ['username'], options: ['role', 'email'] },
  'set-role': { args: ['username', 'role'], options: [] },
  disable: { args: ['username'], options: [] },
  enable: { args: ['username'], options: [] },
  'revoke-sessions': { args: ['username'], options: [] },
  list: { args: [], options: [] },
} as const satisfies Record<string, { args: readonly string[]; options: readonly string[] }>;

export type CommandName = keyof typeof COMMAND_SHAPES;

export interface Invocation {
  command: CommandName;
  args: string[];
  options: Record<string, string>;
}

export const USAGE = `Usage: npm run users -- <command>   (or: node dist/cli/users.js <command>)

Commands:
  create <username> [--role admin] [--email <address>]
                                   create an account; the password is read from standard input
                                   (asked twice, without echo, in a terminal; the first line of a pipe)
  set-role <username> <role>       give the user a role: user or admin
  disable <username>               refuse the user's logins and end every session
  enable <username>                let a disabled user log in again
  revoke-sessions <username>       end every session of the user
  list                             every user, one per line: username, role, state, email, id, created

Uses DATABASE_URL and the rest of the server's configuration (.env included) and applies
pending migrations first. Exits 0 on success; otherwise prints one line on stderr.
`;

const isCommand = (name: string): name is CommandName => Object.prototype.hasOwnProperty.call(COMMAND_SHAPES, name);

/**
 * The command line, checked whole before anything touches the database: a known
 * command, exactly its arguments, only its options (`--role admin` or
 * `--role=admin`; `--` ends the options). "help" when help was asked for anywhere.
 */
export function parseArgs(argv: readonly string[]): Invocation | 'help' {
  if (argv.some((arg) => arg === '--help' || arg === '-h') || argv[0] === 'help') return 'help';
  const [command, ...rest] = argv;
  if (command === undefined) throw usageError(`missing command: one of ${Object.keys(COMMAND_SHAPES).join(', ')}`);
  if (!isCommand(command)) throw usageError(`unknown command "${command}": one of ${Object.keys(COMMAND_SHAPES).join(', ')}`);
  const shape = COMMAND_SHAPES[command];
  const args: string[] = [];
  const options: Record<string, string> = {};
  let optionsEnded = false;
  for (let i = 0; i < rest.length; i += 1) {
    const arg = rest[i];
    if (optionsEnded || !arg.startsWith('-') || arg === '-') {
      args.push(arg);
    } else if (arg === '--') {
      optionsEnded = true;
    } else {
      const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
      const name = flag.replace(/^--/, '');
      if (!flag.startsWith('--') || !(shape.options as readonly string[]).includes(name)) throw usageError(`unknown option "${flag}" for ${command}`);
      const value = inline ?? rest[++i];
      if (value === undefined) throw usageError(`${flag} needs a value`);
      options[name] = value;
    }
  }
  if (args.length < shape.args.length) throw usageError(`missing argument <${shape.args[args.length]}> for ${command}`);
  if (args.length > shape.args.length) throw usageError(`unexpected argument "${args[shape.args.length]}" for ${command}`);
  return { command, args, options };
}
