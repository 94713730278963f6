import type { QueryInterface } from 'sequelize';

export const name = '011-mail-prune-index';

/**
 * The mails the prune may delete (app/services/mail-prune.service.ts) by age:
 * partial, so the pending ones the sender reads never enter it.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.sequelize.query("CREATE INDEX IF NOT EXISTS mail_outbox_done_created_at ON mail_outbox (created_at) WHERE state <> 'pending'");
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.sequelize.query('DROP INDEX mail_outbox_done_created_at');
}
