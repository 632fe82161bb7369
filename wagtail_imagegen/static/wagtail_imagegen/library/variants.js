/**
 * wagtail-imagegen: the Variants section on Wagtail's image edit page, as a Stimulus controller like the
 * editor's. Wagtail 7.4 has no template block there, so the insert_editor_js hook puts this controller's
 * element on every editor page; on the image edit page it fetches the section and puts it under the image
 * form, elsewhere it does nothing. Keeping a candidate in the AI modal (`imagegen:kept`) reloads it.
 */
const { Controller } = window.StimulusModule;

/** Scripts put in with innerHTML never run: replace each by a live copy, one after the other, in order. */
async function activateScripts(root) {
  for (const dead of root.querySelectorAll('script')) {
    const live = document.createElement('script');
    Array.from(dead.attributes).forEach(({ name, value }) => live.setAttribute(name, value));
    live.textContent = dead.textContent;
    const loaded = live.src ? new Promise((resolve) => { live.onload = resolve; live.onerror = resolve; }) : null;
    dead.replaceWith(live);
    if (loaded) await loaded; // eslint-disable-line no-await-in-loop
  }
}

export class VariantsController extends Controller {
  static values = { editUrl: String, sectionUrl: String };

  connect() {
    this.imageId = this.editedImageId();
    if (!this.imageId) return;
    this.container = document.createElement('div');
    this.container.dataset.imagegenVariantsSection = '';
    const form = document.querySelector('.focal-point-chooser')?.closest('form');
    if (form) form.after(this.container);
    else document.querySelector('main')?.append(this.container);
    this.load();
  }

  disconnect() {
    this.container?.remove();
  }

  /** The image id when this is the image edit page ("/admin/images/0/" is the pattern), else null. */
  editedImageId() {
    const escaped = this.editUrlValue.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const match = window.location.pathname.match(new RegExp(`^${escaped.replace('/0/', '/(\\d+)/')}$`));
    return match ? match[1] : null;
  }

  async load() {
    if (!this.imageId) return;
    const address = this.sectionUrlValue.replace('/0/', `/${this.imageId}/`);
    const response = await fetch(address, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
    if (!response.ok || response.redirected) return;
    this.container.innerHTML = await response.text();
    await activateScripts(this.container);
  }
}

window.wagtail.app.register('imagegen-variants', VariantsController);
