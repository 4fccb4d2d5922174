// The README linked to ../shared/DESIGN.md and ../shared/STYLE.md, which do not exist in a clone.
// Every relative link in the README and docs/ must name a file inside the repository that exists.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve('.');
const pages = ['README.md', ...readdirSync('docs', { recursive: true }).map(String).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];

/** Relative link targets of a Markdown page: [text](target) and ![alt](target), anchors dropped. */
const relativeLinks = (markdown: string): string[] =>
  [...markdown.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((m) => m[1] ?? '')
    .filter((t) => t !== '' && !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith('#'))
    .map((t) => decodeURIComponent(t.split('#')[0] ?? ''));

describe('documentation links', () => {
  it('finds the links of a page (negative control: a link out of the repo is reported)', () => {
    const planted = 'See [design](../shared/DESIGN.md), [x](docs/x.md#a) and [web](https://example.org).';
    expect(relativeLinks(planted)).toEqual(['../shared/DESIGN.md', 'docs/x.md']);
    const out = relative(ROOT, resolve(ROOT, '../shared/DESIGN.md'));
    expect(out.startsWith('..')).toBe(true);
  });

  it.each(pages)('%s links only to files inside the repository', (page) => {
    const broken = relativeLinks(readFileSync(page, 'utf8')).filter((t) => {
      const target = resolve(dirname(page), t);
      return relative(ROOT, target).startsWith('..') || !existsSync(target);
    });
    expect(broken).toEqual([]);
  });
});
