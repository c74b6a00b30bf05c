// Lesson markdown → HTML, on the server, once at load. Lesson files are trusted to teach, not to
// script the page: raw HTML is escaped, links may only go to http(s) or relative addresses, and
// the only markup beyond plain markdown is what this file writes itself (commands, callouts, predictions,
// the lesson's own `docker run` line).
import { Marked, type Token, type Tokens } from 'marked';
import { toDockerRun } from '../../common/export.js';
import type { ContainerSpec } from '../../common/spec.js';
import { choiceIndex, type Predict } from './schema.js';

/** GitHub's alert types (`> [!NOTE]`), and the title each gets. */
const CALLOUTS: Record<string, string> = { NOTE: 'Note', TIP: 'Tip', IMPORTANT: 'Important', WARNING: 'Warning', CAUTION: 'Caution' };
const CALLOUT_RE = /^\[!([A-Z]+)\][ \t]*(?:\n|$)/i;

export interface RenderOptions {
  /** Predictions placed in the text with a ```predict fence naming their id. */
  predict?: Predict[];
  /** The lesson's resolved settings: a ```docker-run fence shows them as a `docker run` line. */
  settings?: ContainerSpec;
  /**
   * The cgroup version of the host the lesson is served on: docker's defaults differ (a private
   * cgroup namespace is its default on v2 only), so the printed line must match the live panel.
   */
  hostCgroupVersion?: 1 | 2;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": '#39' }[ch]};`);
}

/** http(s) and relative addresses only: no `javascript:`, `data:`, `vbscript:` or any other scheme. */
export function safeHref(href: string): string | null {
  // Browsers ignore ASCII whitespace and control characters inside a scheme ("java\tscript:").
  const squeezed = href.replace(/[\u0000-\u0020\u007f]/g, '');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(squeezed);
  if (scheme) return /^https?$/i.test(scheme[1]!) ? href.trim() : null;
  return squeezed.startsWith('//') || squeezed.startsWith('\\') ? null : href.trim();
}

/**
 * What a fence's info string asks for: `sh run` or `run` is a click-to-run command, `predict` a
 * prediction, `docker-run` the lesson's settings as a `docker run` command line.
 */
export function fenceKind(info: string | undefined): { kind: 'run' | 'predict' | 'docker-run' | 'code'; lang: string } {
  const words = (info ?? '').trim().split(/\s+/).filter(Boolean);
  if (words[0] === 'predict') return { kind: 'predict', lang: '' };
  if (words[0] === 'docker-run') return { kind: 'docker-run', lang: 'sh' };
  if (words[0] === 'run') return { kind: 'run', lang: 'sh' };
  if (words[1] === 'run') return { kind: 'run', lang: words[0]! };
  return { kind: 'code', lang: words[0] ?? '' };
}

export function renderMarkdown(markdown: string, options: RenderOptions = {}): string {
  return lessonMarked(options).parse(markdown, { async: false });
}

/**
 * One line of markdown without a paragraph around it (a check's hint), under the same rules as a
 * lesson's text: raw HTML escaped, links filtered. Hints name commands in `backticks`.
 */
export function renderInlineMarkdown(text: string): string {
  return lessonMarked({}).parseInline(text, { async: false });
}

function lessonMarked(options: RenderOptions): Marked {
  const predictions = new Map((options.predict ?? []).map((p) => [p.id, p]));
  const md: Marked = new Marked({
    gfm: true,
    async: false,
    renderer: {
      html({ text, block }: Tokens.HTML | Tokens.Tag): string {
        return block ? `<p>${escapeHtml(text.trim())}</p>\n` : escapeHtml(text);
      },
      code({ text, lang }: Tokens.Code): string {
        const fence = fenceKind(lang);
        const langClass = fence.lang ? ` class="language-${escapeHtml(fence.lang)}"` : '';
        const pre = `<pre><code${langClass}>${escapeHtml(text)}</code></pre>`;
        if (fence.kind === 'run') return `<figure class="cmd" data-command="${escapeHtml(text)}" data-interrupt="true">${pre}</figure>\n`;
        if (fence.kind === 'docker-run') return renderDockerRun(text, options.settings, options.hostCgroupVersion);
        if (fence.kind === 'predict') {
          const p = predictions.get(text.trim());
          // load.ts reports an unknown id with its line; render nothing rather than a broken box.
          return p ? renderPredict(p, this.parser) : '';
        }
        return `${pre}\n`;
      },
      blockquote({ text, tokens }: Tokens.Blockquote): string {
        const m = CALLOUT_RE.exec(text);
        const type = m ? m[1]!.toUpperCase() : '';
        const title = CALLOUTS[type];
        if (!title) return `<blockquote>\n${this.parser.parse(tokens)}</blockquote>\n`;
        // Lex the rest again without the marker line (lexing only: a nested md.parse would rebind this.parser).
        const inner = this.parser.parse(md.lexer(text.slice(m![0].length)));
        const cls = type.toLowerCase();
        return `<aside class="callout callout-${cls}"><p class="callout-title">${title}</p>\n${inner}</aside>\n`;
      },
      link({ href, title, tokens }: Tokens.Link): string {
        const inner = this.parser.parseInline(tokens);
        const safe = safeHref(href);
        if (safe === null) return inner;
        const external = /^https?:/i.test(safe);
        const titleAttr = title ? ` title="${escapeHtml(title)}"` : '';
        return `<a href="${escapeHtml(safe)}"${titleAttr} rel="noopener noreferrer"${external ? ' target="_blank"' : ''}>${inner}</a>`;
      },
      image({ href, title, text }: Tokens.Image): string {
        const safe = safeHref(href);
        if (safe === null) return escapeHtml(text);
        const titleAttr = title ? ` title="${escapeHtml(title)}"` : '';
        return `<img src="${escapeHtml(safe)}" alt="${escapeHtml(text)}"${titleAttr}>`;
      },
    },
  });

  function renderPredict(p: Predict, parser: { parse(tokens: Token[]): string; parseInline(tokens: Token[]): string }): string {
    const block = (src: string) => parser.parse(md.lexer(src));
    const inline = (src: string) => parser.parseInline(md.Lexer.lexInline(src, md.defaults));
    const choices = p.choices ? `<ol class="predict-choices" type="A">${p.choices.map((c) => `<li>${inline(c)}</li>`).join('')}</ol>\n` : '';
    // The page lets the learner pick a choice, records the pick, then reveals the answer and says
    // whether the pick was right: data-correct is the right choice's index (the answer is on the page anyway).
    const correct = p.choices && p.correct !== undefined ? ` data-correct="${choiceIndex(p.correct)}"` : '';
    return (
      `<section class="predict" data-predict="${escapeHtml(p.id)}"${correct}><p class="predict-title">Predict, then verify</p>\n` +
      `<div class="predict-question">${block(p.question)}</div>\n${choices}` +
      `<details class="predict-answer"><summary>Show the answer</summary>\n${block(p.answer)}</details></section>\n`
    );
  }

  return md;
}

/**
 * A ```docker-run fence holds `IMAGE [COMMAND…]`; it shows the `docker run` line that builds a
 * container with the lesson's own settings (common/export.ts toDockerRun, as `isolab export`
 * prints it), one option a line, then what docker has no option for. Not click-to-run: it is for a
 * docker host. Without settings (a lesson rendered on its own) the fence shows as plain code.
 */
function renderDockerRun(text: string, settings: ContainerSpec | undefined, hostCgroupVersion: 1 | 2 | undefined): string {
  const [image, ...command] = text.trim().split(/\s+/).filter(Boolean);
  if (!settings || !image) return `<pre><code class="language-sh">${escapeHtml(text)}</code></pre>\n`;
  const out = toDockerRun(settings, { image, command, ...(hostCgroupVersion ? { hostCgroupVersion } : {}) });
  const code = `<pre><code class="language-sh">${escapeHtml(out.lines.join(' \\\n'))}</code></pre>\n`;
  if (!out.unsupported.length) return code;
  const items = out.unsupported.map((u) => `<li>${escapeHtml(u)}</li>`).join('');
  return `${code}<p class="docker-unsupported-title">What this line cannot say:</p>\n<ul class="docker-unsupported">${items}</ul>\n`;
}

export interface Fence {
  /** 1-based line of the opening fence within the markdown. */
  line: number;
  info: string;
  text: string;
}

/** Top-level fenced code blocks with their line numbers (marked's tokens carry none), for load-time checks. */
export function findFences(markdown: string): Fence[] {
  const lines = markdown.split('\n');
  const fences: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const marker = open[1]!;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(lines[j]!);
      if (close && close[1]![0] === marker[0] && close[1]!.length >= marker.length) break;
      body.push(lines[j]!);
    }
    fences.push({ line: i + 1, info: open[2]!.trim(), text: body.join('\n') });
    i = j;
  }
  return fences;
}
