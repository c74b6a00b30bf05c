// Share with the audience: share:start gives a short code and the links the audience listener
// answers on; the page shows them with a QR code drawn here (the qrcode package, SVG: nothing
// fetched) for the room's phones. Without an audience listener the server says why (its note).
import QRCode from 'qrcode';
import type { ShareInfo } from '../../../common/present.js';
import { h } from '../app/dom.js';
import * as api from '../app/socket.js';
import type { LabSocket } from '../app/socket.js';

export class SharePanel {
  /** The Share button, for the presenter tools. */
  readonly button: HTMLButtonElement;
  /** The card with the code, the links and the QR code. */
  readonly card: HTMLElement;
  private sharing = false;

  constructor(private readonly socket: LabSocket) {
    this.button = h('button', { type: 'button', class: 'step-button', 'aria-pressed': 'false', 'aria-controls': 'share-card', 'data-testid': 'share' }, 'Share with the audience');
    this.card = h('section', { id: 'share-card', class: 'share-card', 'aria-label': 'The audience’s link', 'data-testid': 'share-card', hidden: true });
    this.button.addEventListener('click', () => void (this.sharing ? this.stop() : this.start()));
    socket.on('disconnect', () => this.ended());
  }

  private async start(): Promise<void> {
    const reply = await api.startSharing(this.socket);
    this.card.hidden = false;
    if (!reply.ok) return void this.card.replaceChildren(h('p', { role: 'alert' }, `Could not share: ${reply.message}`));
    this.sharing = true;
    this.button.textContent = 'Stop sharing';
    this.button.setAttribute('aria-pressed', 'true');
    await this.render(reply.data);
  }

  private async stop(): Promise<void> {
    await api.stopSharing(this.socket);
    this.ended();
  }

  private ended(): void {
    this.sharing = false;
    this.button.textContent = 'Share with the audience';
    this.button.setAttribute('aria-pressed', 'false');
    this.card.hidden = true;
    this.card.replaceChildren();
  }

  private async render(info: ShareInfo): Promise<void> {
    const code = h('p', { class: 'share-code' }, 'Code ', h('strong', { 'data-testid': 'share-code' }, info.code));
    if (!info.urls.length) {
      this.card.replaceChildren(code, h('p', { class: 'share-note', 'data-testid': 'share-note' }, info.note ?? 'There is no link for the audience.'));
      return;
    }
    const qr = h('div', { class: 'share-qr', role: 'img', 'aria-label': `QR code for ${info.urls[0]}`, 'data-testid': 'share-qr' });
    // The SVG is made here from the link (qrcode's own markup, no user text in it but the URL it encodes).
    qr.innerHTML = await QRCode.toString(info.urls[0]!, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
    const links = h('ul', { class: 'share-links' }, ...info.urls.map((url) => h('li', {}, h('a', { href: url, target: '_blank', rel: 'noopener', 'data-testid': 'share-link' }, url))));
    this.card.replaceChildren(qr, h('div', {}, code, links, info.note ? h('p', { class: 'share-note', 'data-testid': 'share-note' }, info.note) : null));
  }
}
