/**
 * wagtail-imagegen: the alt text section on Wagtail's image edit page, beside the Variants section and put
 * there the same way (see variants.js). "Describe with AI" queues a describe job, follows it, and puts the
 * new text into the form's description field, so saving the form keeps it (and makes it the editor's).
 * Strings come from the server-rendered section or through gettext (djangojs.po).
 */
const { Controller } = window.StimulusModule;
const POLL_MS = 1000;
const gettext = (text) => (window.gettext ? window.gettext(text) : text);

function loadCatalog(address) {
  if (!address || document.querySelector(`script[src="${address}"]`)) return Promise.resolve();
  return new Promise((resolve) => {
    const script = Object.assign(document.createElement('script'), { src: address, onload: resolve, onerror: resolve });
    document.head.append(script);
  });
}

export class AltTextController extends Controller {
  static values = { editUrl: String, sectionUrl: String, catalogUrl: String };

  async connect() {
    this.imageId = this.editedImageId();
    if (!this.imageId) return;
    this.container = document.createElement('div');
    this.container.dataset.imagegenAltTextSection = '';
    const form = document.querySelector('.focal-point-chooser')?.closest('form');
    if (form) form.after(this.container);
    else document.querySelector('main')?.append(this.container);
    this.container.addEventListener('click', (event) => {
      const button = event.target.closest('[data-imagegen-describe]');
      if (button) this.describe(event, button);
    });
    await loadCatalog(this.catalogUrlValue);
    await this.load();
  }

  disconnect() {
    clearTimeout(this.timer);
    this.container?.remove();
  }

  /** The image id when this is the image edit page ("/admin/images/0/" is the pattern), else null. */
  editedImageId() {
    const escaped = this.editUrlValue.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const match = window.location.pathname.match(new RegExp(`^${escaped.replace('/0/', '/(\\d+)/')}$`));
    return match ? match[1] : null;
  }

  async load() {
    const address = this.sectionUrlValue.replace('/0/', `/${this.imageId}/`);
    const response = await fetch(address, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
    if (!response.ok || response.redirected) return;
    this.container.innerHTML = await response.text();
  }

  say(text) {
    const status = this.container.querySelector('[data-imagegen-alt-text-status]');
    if (status) status.textContent = text;
  }

  async describe(event, button) {
    event.preventDefault();
    button.disabled = true;
    this.say(gettext('Describing the image…'));
    const headers = { Accept: 'application/json', [window.wagtailConfig.CSRF_HEADER_NAME]: window.wagtailConfig.CSRF_TOKEN };
    const response = await fetch(button.dataset.url, { method: 'POST', credentials: 'same-origin', headers });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      button.disabled = false;
      this.say((data.errors?.__all__ || [gettext('The image could not be described.')]).join(' '));
      return;
    }
    this.follow(data.status_url);
  }

  async follow(statusUrl) {
    const response = await fetch(statusUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    const job = response.ok ? await response.json() : null;
    if (job && ['queued', 'running'].includes(job.status)) {
      this.timer = setTimeout(() => this.follow(statusUrl), POLL_MS);
      return;
    }
    const before = this.container.querySelector('[data-imagegen-alt-text-description]')?.dataset.imagegenAltTextDescription ?? '';
    await this.load();
    const after = this.container.querySelector('[data-imagegen-alt-text-description]')?.dataset.imagegenAltTextDescription ?? '';
    const field = document.querySelector('form [name="description"]');
    // Only a field the editor has not changed since the page loaded takes the new text.
    if (field && after !== before && field.value === before) {
      field.value = after;
      field.dispatchEvent(new Event('input', { bubbles: true }));
      this.say(gettext('The description was written by AI. Check it, then save the image.'));
    } else if (job && job.status === 'succeeded' && after === before) {
      this.say(gettext('The description was not changed.'));
    }
  }
}

window.wagtail.app.register('imagegen-alt-text', AltTextController);
