import type { QueryInterface } from 'sequelize';

export const name = '008-notify-session-state';

/**
 * On PostgreSQL, a change to what the access-token guard checks (session version,
 * role, disabled flag; or the user gone) notifies `auth_session_state` with the
 * user's id. NOTIFY is transactional: sent when the write commits and never
 * otherwise, whichever process or tool wrote it. Every server process listens
 * (app/invalidation/postgres-channel.ts) and drops its cached copy. SQLite has no
 * such thing; one machine's workers tell each other through the cluster primary.
 */
const CHANGED = `OLD.session_version IS DISTINCT FROM NEW.session_version
  OR OLD.role IS DISTINCT FROM NEW.role
  OR OLD.disabled_at IS DISTINCT FROM NEW.disabled_at
  OR OLD.username IS DISTINCT FROM NEW.username`;

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  if (qi.sequelize.getDialect() !== 'postgres') return;
  await qi.sequelize.query(
    `CREATE FUNCTION notify_session_state() RETURNS trigger AS $$
     BEGIN PERFORM pg_notify('auth_session_state', OLD.id::text); RETURN NULL; END $$ LANGUAGE plpgsql`,
  );
  await qi.sequelize.query(`CREATE TRIGGER users_session_state_changed AFTER UPDATE ON users FOR EACH ROW WHEN (${CHANGED}) EXECUTE FUNCTION notify_session_state()`);
  await qi.sequelize.query('CREATE TRIGGER users_deleted AFTER DELETE ON users FOR EACH ROW EXECUTE FUNCTION notify_session_state()');
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  if (qi.sequelize.getDialect() !== 'postgres') return;
  await qi.sequelize.query('DROP TRIGGER users_deleted ON users');
  await qi.sequelize.query('DROP TRIGGER users_session_state_changed ON users');
  await qi.sequelize.query('DROP FUNCTION notify_session_state()');
}
