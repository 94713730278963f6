import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The README's "Protect your own routes", "Test your routes" and "Verify tokens in
 * another service" quote real files. Each `ts` or `js` block there starts with a
 * comment naming its file (`// routes/notes.routes.ts`);
 * the rest of the block must be in that file word for word, and the test example
 * must be that whole file, so the README cannot drift from the code it shows.
 */
const root = path.resolve(__dirname, '../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start === -1) throw new Error(`README.md has no section "## ${title}"`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

/** [file, code] of each ```ts or ```js block of a section. */
function quotes(text: string): Array<[string, string]> {
  return [...text.matchAll(/```(?:ts|js)\n\/\/ (\S+)\n([\s\S]*?)```/g)].map((m) => [m[1], m[2]]);
}

const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

describe('README', () => {
  it.each(['Protect your own routes', 'Test your routes', 'Verify tokens in another service'])('"%s" quotes its files word for word', (title) => {
    const blocks = quotes(section(title));
    expect(blocks.length).toBeGreaterThan(0);
    for (const [file, code] of blocks) expect({ file, found: read(file).includes(code) }).toEqual({ file, found: true });
  });

  it('"Test your routes" shows the whole of test/kit/example.test.ts, which npm test runs', () => {
    const blocks = quotes(section('Test your routes')).filter(([file]) => file === 'test/kit/example.test.ts');
    expect(blocks).toHaveLength(1);
    expect(blocks[0][1]).toBe(read('test/kit/example.test.ts'));
  });
});
