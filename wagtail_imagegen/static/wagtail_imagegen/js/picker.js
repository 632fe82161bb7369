import { Controller, debounce, request } from './core.js';

/** Pick library images (only those the editor may choose) for the form; dispatches `imagegen-picker:picked`. */
export class PickerController extends Controller {
  static targets = ['panel', 'query', 'results'];

  static values = { url: String };

  connect() {
    this.searchSoon = debounce(() => this.load(), 300);
  }

  toggle(event) {
    this.panelTarget.hidden = !this.panelTarget.hidden;
    event.currentTarget.setAttribute('aria-expanded', String(!this.panelTarget.hidden));
    if (!this.panelTarget.hidden && !this.loaded) this.load();
  }

  search() {
    this.searchSoon();
  }

  async load() {
    const address = `${this.urlValue}?${new URLSearchParams({ q: this.queryTarget.value })}`;
    const { ok, data } = await request(address, { text: true });
    if (ok) {
      this.resultsTarget.innerHTML = data;
      this.loaded = true;
    }
  }

  pick({ params }) {
    this.dispatch('picked', { detail: params });
  }
}
