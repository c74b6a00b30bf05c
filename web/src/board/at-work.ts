// "At work": the running container's settings as a `docker run` line and an OCI config.json, asked
// of the server after every new shell or live change (export:get), with what each cannot express.
import type { ExportView } from '../../../common/protocol.js';
import { copyText } from '../terminal/clipboard.js';
import { h } from '../app/dom.js';
import type { LabSocket } from '../app/socket.js';

/** How long "Copied" stays on the button. */
const COPIED_FEEDBACK_MS = 1_500;

export class AtWorkPanel {
  private readonly docker: HTMLElement;
  private readonly dockerNotes: HTMLElement;
  private readonly oci: HTMLElement;
  private readonly ociNotes: HTMLElement;
  private readonly feedback: HTMLElement;
  private current: ExportView | null = null;
  /** Only the newest request's answer is shown (toggles can follow each other quickly). */
  private asked = 0;

  constructor(root: HTMLElement, private readonly socket: LabSocket) {
    this.docker = h('pre', { class: 'at-work-command', 'data-testid': 'docker-run-line', tabindex: '0' });
    this.dockerNotes = h('ul', { class: 'at-work-notes' });
    this.oci = h('pre', { class: 'at-work-oci', 'data-testid': 'oci-config', tabindex: '0' });
    this.ociNotes = h('ul', { class: 'at-work-notes' });
    this.feedback = h('span', { class: 'cmd-feedback', role: 'status' });
    const copy = h('button', { type: 'button', class: 'cmd-copy', 'aria-label': 'Copy the docker run line' }, 'Copy');
    let timer: ReturnType<typeof setTimeout> | undefined;
    copy.addEventListener('click', () => {
      if (!this.current) return;
      void copyText(this.current.docker.commandLine).then((ok) => {
        this.feedback.textContent = ok ? 'Copied' : 'Copy failed: select the text and press Ctrl+C';
        clearTimeout(timer);
        timer = setTimeout(() => (this.feedback.textContent = ''), COPIED_FEEDBACK_MS);
      });
    });
    root.append(
      h('p', { class: 'side-intro' }, 'The same container with the tools you meet at work. It follows every switch.'),
      h('h3', { class: 'toggle-group-title' }, 'docker run'),
      h('div', { class: 'at-work-line' }, this.docker, h('div', { class: 'cmd-actions' }, copy, this.feedback)),
      this.dockerNotes,
      h('details', { class: 'at-work-details' }, h('summary', {}, 'OCI config.json (runc, crun)'), this.oci, this.ociNotes),
    );
    socket.on('sandbox:ready', () => void this.refresh());
    socket.on('sandbox:updated', () => void this.refresh());
  }

  async refresh(): Promise<void> {
    const ask = ++this.asked;
    const reply = await this.socket.timeout(10_000).emitWithAck('export:get').catch(() => null);
    if (ask !== this.asked || !reply) return;
    if (!reply.ok) {
      this.docker.textContent = `(not available: ${reply.message})`;
      return;
    }
    this.current = reply.data;
    // One option a line (continued with "\"), so a narrow column breaks between options, never in a word.
    this.docker.textContent = reply.data.docker.lines.join(' \\\n');
    this.oci.textContent = reply.data.oci.json;
    const notes = (list: HTMLElement, what: string, items: string[]) =>
      list.replaceChildren(...items.map((text) => h('li', {}, `${what} cannot say: ${text}`)));
    notes(this.dockerNotes, 'docker', reply.data.docker.unsupported);
    notes(this.ociNotes, 'OCI', reply.data.oci.unsupported);
  }
}
