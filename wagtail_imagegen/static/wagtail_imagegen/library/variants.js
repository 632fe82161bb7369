/**
 * wagtail-imagegen: the Variants section on Wagtail's image edit page, as a Stimulus controller like the
 * editor's. Wagtail 7.4 has no template block there, so the insert_editor_js hook puts this controller's
 * element on every editor page; on the image edit page it fetches the section and puts it under the image
 * form, elsewhere it does nothing. Keeping a candidate in the AI modal (`imagegen:kept`) reloads it.
 */
import { editedImageId, fetchSection, sectionContainer } from './edit-page.js';

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
    this.imageId = editedImageId(this.editUrlValue);
    if (!this.imageId) return;
    this.container = sectionContainer('imagegen-variants-section');
    this.load();
  }

  disconnect() {
    this.container?.remove();
  }

  async load() {
    if (!this.imageId) return;
    const html = await fetchSection(this.sectionUrlValue, this.imageId);
    if (html === null) return;
    this.container.innerHTML = html;
    await activateScripts(this.container);
  }
}

window.wagtail.app.register('imagegen-variants', VariantsController);
