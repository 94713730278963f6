/**
 * What a DATABASE_URL points at. SQLite URLs name a file (`sqlite:data/auth.sqlite`,
 * `sqlite:///abs/path.sqlite`) or memory (`sqlite::memory:`); anything postgres://
 * goes to PostgreSQL untouched.
 */
export type DatabaseTarget =
  | { dialect: 'sqlite'; storage: string }
  | { dialect: 'postgres'; url: string };

export function parseDatabaseUrl(url: string): DatabaseTarget | null {
  if (url === 'sqlite::memory:' || url === 'sqlite://:memory:') return { dialect: 'sqlite', storage: ':memory:' };
  if (/^postgres(ql)?:\/\//.test(url)) return { dialect: 'postgres', url };
  const sqlite = /^sqlite:(?:\/\/)?(.+)$/.exec(url);
  if (sqlite && sqlite[1].trim() !== '') return { dialect: 'sqlite', storage: sqlite[1] };
  return null;
}
