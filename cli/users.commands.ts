import type { Services } from '../app';
import { isRole, Role, ROLES } from '../app/auth/permissions';
import { EmailTaken, LastAdmin, UsernameTaken } from '../app/services/errors';
import type { AdminUser } from '../app/services/user-admin.service';
import { registerRules } from '../app/validators/auth.validator';
import { checkFields } from '../app/validators/check-fields';
import { CliError } from './cli-error';
import type { Invocation } from './users.args';

export interface CommandContext {
  services: Services;
  /** Reads the new password for `username` (app: standard input). */
  readPassword(username: string): Promise<string>;
}

function roleOf(value: string): Role {
  if (!isRole(value)) throw new CliError(`unknown role "${value}": roles are ${ROLES.join(', ')}`);
  return value;
}

async function userNamed(services: Services, username: string): Promise<AdminUser> {
  const user = await services.userAdmin.findByUsername(username);
  if (!user) throw new CliError(`no user named "${username}"`);
  return user;
}

/** The registration rules, messages and all; `skip` leaves out fields not known yet. */
async function checkRegistration(fields: { username: string; password?: string; email?: string }, skip: string[] = []): Promise<void> {
  const problem = (await checkFields(registerRules, fields)).find((p) => !skip.includes(p.field));
  if (problem) throw new CliError(problem.message);
}

/** An account change through the service, so its rules (the last enabled admin above all) hold here too. */
async function change(services: Services, username: string, changes: { role?: Role; disabled?: boolean }): Promise<AdminUser> {
  const user = await userNamed(services, username);
  try {
    return await services.userAdmin.update(user.id, changes);
  } catch (error) {
    if (error instanceof LastAdmin) throw new CliError(`${user.username} is the last enabled admin: this would leave no enabled admin`);
    throw error;
  }
}

const listLine = (user: AdminUser) => [user.username, user.role, user.disabled ? 'disabled' : 'enabled', user.email ?? '-', user.id, user.created_at].join('\t');

/**
 * What each command does, through the same services as the HTTP API, returning the
 * lines it prints on stdout. Input is checked (username, email, role) before the
 * password is asked for, so nobody types a password only to hear the name is wrong.
 */
export async function runCommand({ command, args, options }: Invocation, { services, readPassword }: CommandContext): Promise<string[]> {
  switch (command) {
    case 'create': {
      const [username] = args;
      const role = roleOf(options.role ?? 'user');
      const { email } = options;
      await checkRegistration({ username, email }, ['password']);
      if (await services.userAdmin.findByUsername(username)) throw new CliError(`username "${username}" is taken`);
      const password = await readPassword(username);
      await checkRegistration({ username, password, email });
      let user;
      try {
        user = await services.users.register({ username, password, email });
      } catch (error) {
        if (error instanceof UsernameTaken) throw new CliError(`username "${username}" is taken`);
        if (error instanceof EmailTaken) throw new CliError(`email "${email}" belongs to another account`);
        throw error;
      }
      if (role !== 'user') await services.userAdmin.update(user.id, { role });
      return [`created ${role} ${user.username} (${user.id})`];
    }
    case 'set-role': {
      const role = roleOf(args[1]);
      const user = await change(services, args[0], { role });
      return [`${user.username} is now ${user.role}`];
    }
    case 'disable':
      return [`disabled ${(await change(services, args[0], { disabled: true })).username}; every session of theirs has ended`];
    case 'enable':
      return [`enabled ${(await change(services, args[0], { disabled: false })).username}`];
    case 'revoke-sessions': {
      const user = await userNamed(services, args[0]);
      await services.userAdmin.revokeSessions(user.id);
      return [`ended every session of ${user.username}`];
    }
    case 'list': {
      const lines: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await services.userAdmin.list({ limit: 200, cursor });
        lines.push(...page.users.map(listLine));
        cursor = page.nextCursor;
      } while (cursor !== null);
      return lines;
    }
  }
}
