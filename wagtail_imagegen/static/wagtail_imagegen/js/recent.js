import { Controller, request } from './core.js';

/** The editor's recent jobs, reloaded whenever a job starts or ends. */
export class RecentController extends Controller {
  static targets = ['list'];

  static values = { url: String };

  async refresh() {
    const { ok, data } = await request(this.urlValue, { text: true });
    if (ok) this.listTarget.innerHTML = data;
  }
}
