/**
 * wagtail-imagegen: the alt text section on Wagtail's image edit page, beside the Variants section and put
 * there the same way (see variants.js). "Describe with AI" queues a describe job, follows it, and puts the
 * new text into the form's description field, so saving the form keeps it (and makes it the editor's).
 * Strings come from the server-rendered section or through gettext (djangojs.po).
 */
import { editedImageId, fetchSection, sectionContainer } from './edit-page.js';

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
    this.imageId = editedImageId(this.editUrlValue);
    if (!this.imageId) return;
    this.container = sectionContainer('imagegen-alt-text-section');
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

  async load() {
    const html = await fetchSection(this.sectionUrlValue, this.imageId);
    if (html !== null) this.container.innerHTML = html;
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
    if (!data.status_url) {
      this.say(gettext('A description of this image is already on its way.'));
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
