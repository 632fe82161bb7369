/**
 * wagtail-imagegen, the image library: Stimulus controllers of the "Generate variants…" recipe page
 * (a live cost estimate) and of a batch page (live counts, and the review grid kept up to date).
 * Every user-visible string comes from the server-rendered markup.
 */
const { Controller } = window.StimulusModule;

async function fetchText(url, options = {}) {
  const response = await fetch(url, { credentials: 'same-origin', ...options });
  return response.ok ? response.text() : null;
}

/** The estimate of the whole selection, recomputed on the server as the recipe changes. */
class RecipeController extends Controller {
  static targets = ['estimate'];

  static values = { url: String, delay: { type: Number, default: 400 } };

  connect() {
    this.form = this.element.querySelector('form');
    this.schedule = this.schedule.bind(this);
    this.form.addEventListener('input', this.schedule);
    this.form.addEventListener('change', this.schedule);
  }

  disconnect() {
    this.form.removeEventListener('input', this.schedule);
    this.form.removeEventListener('change', this.schedule);
    clearTimeout(this.timer);
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.update(), this.delayValue);
  }

  async update() {
    const body = new FormData(this.form);
    body.append('estimate', '1');
    const text = await fetchText(this.urlValue, { method: 'POST', body, headers: { Accept: 'application/json' } });
    if (text) this.estimateTarget.textContent = JSON.parse(text).label;
  }
}

/** A batch's live counts; the grid page is fetched again whenever jobs finish. */
class BatchController extends Controller {
  static targets = ['count', 'grid'];

  static values = {
    statusUrl: String,
    gridUrl: String,
    finished: Boolean,
    interval: { type: Number, default: 2000 },
  };

  connect() {
    this.done = null;
    if (!this.finishedValue) this.timer = setTimeout(() => this.poll(), this.intervalValue);
  }

  disconnect() {
    clearTimeout(this.timer);
  }

  async poll() {
    const text = await fetchText(this.statusUrlValue, { headers: { Accept: 'application/json' } });
    if (text) await this.show(JSON.parse(text));
    if (!this.finishedValue) this.timer = setTimeout(() => this.poll(), this.intervalValue);
  }

  async show(progress) {
    this.countTargets.forEach((target) => {
      target.textContent = progress[target.dataset.count];
    });
    if (progress.done !== this.done) {
      this.done = progress.done;
      const grid = await fetchText(this.gridUrlValue, { headers: { Accept: 'text/html' } });
      if (grid !== null) this.gridTarget.innerHTML = grid;
    }
    this.finishedValue = progress.finished;
    this.element.dataset.finished = String(progress.finished);
  }
}

window.wagtail.app.register('imagegen-recipe', RecipeController);
window.wagtail.app.register('imagegen-batch', BatchController);
