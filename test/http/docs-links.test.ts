import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const FILES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Markdown links and autolinks of a document, outside code blocks and code spans. */
function linksOf(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```$/gm, '').replace(/`[^`\n]*`/g, '');
  const inline = [...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1] as string);
  const auto = [...prose.matchAll(/<(https?:\/\/[^>\s]+)>/g)].map((m) => m[1] as string);
  return [...inline, ...auto];
}

/** GitHub's anchor of a heading. */
function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

test('every link in the README and docs/ resolves inside the repository', () => {
  let checked = 0;
  for (const file of FILES) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const link of linksOf(text)) {
      checked++;
      if (/^https?:\/\//.test(link)) {
        // The README points only at the server it starts; docs/ may cite standards.
        if (file === 'README.md') assert.match(link, /^http:\/\/localhost:\d+\//, `${file}: ${link} leaves the repository`);
        continue;
      }
      assert.doesNotMatch(link, /^[a-z]+:/i, `${file}: ${link}`);
      const [path, anchor] = link.split('#') as [string, string | undefined];
      const target = path === '' ? join(ROOT, file) : resolve(dirname(join(ROOT, file)), path);
      assert.ok(!relative(ROOT, target).startsWith('..'), `${file}: ${link} points outside the repository`);
      assert.ok(existsSync(target), `${file}: ${link} → ${relative(ROOT, target)} does not exist`);
      if (anchor !== undefined && target.endsWith('.md')) {
        const headings = [...readFileSync(target, 'utf8').matchAll(/^#+ (.+)$/gm)].map((m) => anchorOf(m[1] as string));
        assert.ok(headings.includes(anchor), `${file}: ${link}: no heading #${anchor} in ${relative(ROOT, target)}`);
      }
    }
  }
  assert.ok(checked > 20, `links were found (${checked})`);
});

test('nothing in the README or docs/ points at the contract outside the repository', () => {
  for (const file of FILES) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    assert.doesNotMatch(text, /\.\.\/shared|CONTRACT\.md|DR-DOCS/, file);
  }
});

test('the README fits on about three screens and links every document in docs/', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.ok(readme.split('\n').length <= 160, `README.md has ${readme.split('\n').length} lines`);
  for (const file of FILES.filter((f) => f.startsWith('docs/'))) {
    assert.ok(readme.includes(`(${file})`), `README.md links ${file}`);
  }
  assert.ok(existsSync(join(ROOT, 'LICENSE')));
  assert.match(readFileSync(join(ROOT, 'LICENSE'), 'utf8'), /^MIT License\n\nCopyright \(c\) 2026 The Sessionlink authors\n/);
});
