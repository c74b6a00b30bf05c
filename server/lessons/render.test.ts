import { describe, expect, it } from 'vitest';
import { findFences, renderInlineMarkdown, renderMarkdown, safeHref } from './render.js';

describe('renderMarkdown', () => {
  it('escapes raw HTML, block and inline, instead of passing it through', () => {
    const html = renderMarkdown('<script>alert(1)</script>\n\nHello <img src=x onerror="alert(1)"> world');
    expect(html).not.toMatch(/<script|<img/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
  });

  it.each([
    ['javascript:alert(1)'],
    ['JaVaScRiPt:alert(1)'],
    ['data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='],
    ['vbscript:msgbox(1)'],
    ['//evil.example/'],
  ])('drops a link to %s and keeps its text', (href) => {
    const html = renderMarkdown(`[click me](<${href}>)`);
    expect(html).toBe('<p>click me</p>\n');
  });

  it.each([['[x](&#106;avascript:alert(1))'], ['[x](javascript&#58;alert(1))'], ['[x](java%0ascript:alert(1))'], ['[x][r]\n\n[r]: javascript:alert(1)']])(
    'an obfuscated scheme stays inert once the browser decodes the attribute: %j',
    (md) => {
      const html = renderMarkdown(md);
      const href = /href="([^"]*)"/.exec(html)?.[1] ?? '';
      const decoded = href.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
      expect(decoded).not.toMatch(/^\s*javascript:/i);
      expect(safeHref(decoded) === null || !/^[a-z]+:/i.test(decoded)).toBe(true);
    },
  );

  it('keeps http(s) and relative links, with rel="noopener noreferrer" (the page URL carries the access token)', () => {
    expect(renderMarkdown('[man](https://man7.org/linux/man-pages/man7/uts_namespaces.7.html)')).toBe(
      '<p><a href="https://man7.org/linux/man-pages/man7/uts_namespaces.7.html" rel="noopener noreferrer" target="_blank">man</a></p>\n',
    );
    expect(renderMarkdown('[next](#/lesson/02-pid-namespace)')).toBe('<p><a href="#/lesson/02-pid-namespace" rel="noopener noreferrer">next</a></p>\n');
  });

  it('drops an image with an unsafe source', () => {
    expect(renderMarkdown('![alt text](javascript:alert(1))')).toBe('<p>alt text</p>\n');
  });

  it.each([['sh run'], ['run']])('turns a "%s" fence into a click-to-run figure, command escaped', (info) => {
    const html = renderMarkdown(`\`\`\`${info}\necho "<b>" 'x' & true\n\`\`\``);
    expect(html).toBe(
      '<figure class="cmd" data-command="echo &quot;&lt;b&gt;&quot; &#39;x&#39; &amp; true" data-interrupt="true">' +
        '<pre><code class="language-sh">echo &quot;&lt;b&gt;&quot; &#39;x&#39; &amp; true</code></pre></figure>\n',
    );
  });

  it('renders a plain fence as code, not as a command', () => {
    expect(renderMarkdown('```sh\nps -ef\n```')).toBe('<pre><code class="language-sh">ps -ef</code></pre>\n');
    expect(renderMarkdown('```\n<tag>\n```')).toBe('<pre><code>&lt;tag&gt;</code></pre>\n');
  });

  it.each([
    ['NOTE', 'note', 'Note'],
    ['TIP', 'tip', 'Tip'],
    ['WARNING', 'warning', 'Warning'],
  ])('turns > [!%s] into an aside', (type, cls, title) => {
    const html = renderMarkdown(`> [!${type}]\n> Mind the **host**.`);
    expect(html).toBe(`<aside class="callout callout-${cls}"><p class="callout-title">${title}</p>\n<p>Mind the <strong>host</strong>.</p>\n</aside>\n`);
  });

  it('leaves an ordinary blockquote alone', () => {
    expect(renderMarkdown('> quoted')).toBe('<blockquote>\n<p>quoted</p>\n</blockquote>\n');
  });

  it('places a prediction where its fence is, with the answer behind a reveal', () => {
    const html = renderMarkdown('Before.\n\n```predict\nq1\n```\n\nAfter.', {
      predict: [{ id: 'q1', question: 'Same `PID`?', choices: ['Yes', 'No'], correct: 'A', answer: 'Yes, <b>one</b> table.' }],
    });
    expect(html).toBe(
      '<p>Before.</p>\n' +
        '<section class="predict" data-predict="q1" data-correct="0"><p class="predict-title">Predict, then verify</p>\n' +
        '<div class="predict-question"><p>Same <code>PID</code>?</p>\n</div>\n' +
        '<ol class="predict-choices" type="A"><li>Yes</li><li>No</li></ol>\n' +
        '<details class="predict-answer"><summary>Show the answer</summary>\n<p>Yes, &lt;b&gt;one&lt;/b&gt; table.</p>\n</details></section>\n' +
        '<p>After.</p>\n',
    );
  });
});

describe('renderInlineMarkdown', () => {
  it('renders code spans and emphasis without a paragraph, under the lesson text\'s rules', () => {
    expect(renderInlineMarkdown('Rename it with `hostname my-container`, then **look**.')).toBe('Rename it with <code>hostname my-container</code>, then <strong>look</strong>.');
    expect(renderInlineMarkdown('a <b>tag</b> and [a link](javascript:alert(1))')).toBe('a &lt;b&gt;tag&lt;/b&gt; and a link');
  });
});

describe('safeHref', () => {
  it.each([
    ['https://example.org/a', 'https://example.org/a'],
    ['HTTP://example.org', 'HTTP://example.org'],
    ['../01-uts-namespace', '../01-uts-namespace'],
    ['#top', '#top'],
    ['java\tscript:alert(1)', null],
    [' javascript:alert(1)', null],
    ['mailto:a@b.c', null],
  ])('%j → %j', (href, expected) => {
    expect(safeHref(href)).toBe(expected);
  });
});

describe('findFences', () => {
  it('finds top-level fences with their lines', () => {
    expect(findFences('a\n\n```sh run\nls\n```\n\n~~~predict\nx\n~~~\n')).toEqual([
      { line: 3, info: 'sh run', text: 'ls' },
      { line: 7, info: 'predict', text: 'x' },
    ]);
  });
});
