import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The web page's files live in <repo>/public (index.html, styles.css, and js/
 * compiled from app/web by `npm run build`). This module runs from app/ under
 * the tests and from dist/app/ under `npm start`, so the folder is one or two levels up.
 */
export function publicDir(): string {
  const candidates = [path.resolve(__dirname, '..', 'public'), path.resolve(__dirname, '..', '..', 'public')];
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html'))) ?? candidates[0];
}
