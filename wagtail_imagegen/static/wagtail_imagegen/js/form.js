import { Controller, clearErrors, debounce, formatNumber, request, showErrors } from './core.js';

/**
 * The generate / edit form: prompt counter, live cost estimate, the ordered images (the first one is edited
 * and carries the mask), and submitting. On success it dispatches `imagegen-form:submitted` with the job.
 */
export class FormController extends Controller {
  static targets = ['errors', 'sources', 'sourceTemplate', 'addSource', 'mask', 'counter', 'estimate', 'submit',
    'submitLabel', 'options', 'size'];

  static values = {
    submitUrl: String, estimateUrl: String, optionsUrl: String, maxImages: Number, generateLabel: String,
    editLabel: String, busyLabel: String, failedText: String,
  };

  connect() {
    this.estimateSoon = debounce(() => this.estimate(), 400);
    this.prompt = this.element.elements.namedItem('prompt');
    this.updateCounter();
    // The mask painter inside connects after this form: give it the first image once it has.
    Promise.resolve().then(() => this.sourcesChanged());
  }

  changed(event) {
    const { name } = event.target;
    if (!name) return; // the picker's search box and the mask tools are not options
    if (name === 'prompt') this.updateCounter();
    if (event.type === 'change' && (name === 'model' || name === 'provider')) {
      this.reloadOptions();
      return;
    }
    if (name === 'aspect') this.showCustomSize();
    this.estimateSoon();
  }

  /** Another model or service: its own options, keeping what the editor chose where the model offers it. */
  async reloadOptions() {
    const query = new URLSearchParams(this.payload());
    ['prompt', 'invariants', 'images'].forEach((name) => query.delete(name));
    this.optionsTarget.setAttribute('aria-busy', 'true');
    try {
      const { ok, data } = await request(`${this.optionsUrlValue}?${query}`, { text: true });
      if (ok && data !== null) this.optionsTarget.innerHTML = data;
    } finally {
      this.optionsTarget.removeAttribute('aria-busy');
    }
    this.sourcesChanged(); // edit-only fields, the image limit, and a new estimate
  }

  /** The exact width × height field shows only for "Exact width × height". */
  showCustomSize() {
    const aspect = this.element.elements.namedItem('aspect');
    const custom = this.optionsTarget.querySelector('[data-imagegen-custom-size]');
    if (aspect && custom) custom.hidden = aspect.value !== 'custom';
  }

  /** A preset button: fill the prompt, what to keep and its options; the editor reads and sends it. */
  applyPreset({ currentTarget }) {
    const { prompt, invariants, options } = currentTarget.dataset;
    this.setField('prompt', prompt);
    this.setField('invariants', invariants);
    Object.entries(JSON.parse(options || '{}')).forEach(([name, value]) => this.setField(name, value));
    this.updateCounter();
    this.estimateSoon();
    this.prompt.focus();
    this.prompt.setSelectionRange(prompt.length, prompt.length); // e.g. "Replace the background with |"
  }

  /** Set a field when the form has it and, for a list, offers the value (the model may not). */
  setField(name, value) {
    const field = this.element.elements.namedItem(name);
    if (!field || value === undefined) return;
    if (field instanceof HTMLSelectElement && !Array.from(field.options).some((option) => option.value === value)) {
      return;
    }
    field.value = value;
  }

  updateCounter() {
    const max = Number(this.counterTarget.dataset.max);
    const text = ngettext('%(count)s of %(max)s character', '%(count)s of %(max)s characters', max);
    this.counterTarget.textContent = interpolate(text, {
      count: formatNumber(this.prompt.value.length), max: formatNumber(max),
    }, true);
  }

  async estimate() {
    const { ok, data } = await request(this.estimateUrlValue, { method: 'POST', body: this.payload() });
    if (!ok || !data) return;
    this.estimateTarget.textContent = data.label;
    if (this.hasSizeTarget) this.sizeTarget.textContent = data.size;
    const quality = this.element.elements.namedItem('quality');
    if (quality && data.qualities) {
      Array.from(quality.options).forEach((option) => {
        if (data.qualities[option.value]) option.textContent = data.qualities[option.value];
      });
    }
    // What the model would refuse, beside its field as the editor types (the server has the last word).
    showErrors(this.optionsTarget, Object.fromEntries(
      Object.entries(data.problems || {}).map(([name, message]) => [name, [message]]),
    ), null);
  }

  payload() {
    const data = new FormData(this.element);
    data.delete('mask');
    return data;
  }

  get sourceItems() {
    return Array.from(this.sourcesTarget.children);
  }

  /** From the picker (`imagegen-picker:picked`): add an image unless it is there already or the list is full. */
  addSource({ detail }) {
    const ids = this.sourceItems.map((item) => item.querySelector('input').value);
    if (ids.includes(String(detail.id)) || ids.length >= this.maxImagesValue) return;
    const item = this.sourceTemplateTarget.content.firstElementChild.cloneNode(true);
    item.querySelector('input').value = detail.id;
    item.querySelector('[data-source-preview]').src = detail.preview;
    item.querySelector('[data-source-title]').textContent = String(detail.title);
    Object.assign(item.dataset, { url: detail.url, width: detail.width, height: detail.height });
    this.sourcesTarget.append(item);
    this.sourcesChanged();
  }

  removeSource(event) {
    event.currentTarget.closest('li').remove();
    this.sourcesChanged();
  }

  /** With images the form edits: edit-only fields show, the mask painter takes the first image. */
  sourcesChanged() {
    const items = this.sourceItems;
    const editing = items.length > 0;
    this.element.querySelectorAll('[data-imagegen-edit-only]').forEach((element) => {
      element.hidden = !editing;
    });
    this.addSourceTarget.disabled = items.length >= this.maxImagesValue;
    this.submitLabelTarget.textContent = editing ? this.editLabelValue : this.generateLabelValue;
    const mask = this.maskController;
    if (mask) mask.load(editing ? items[0].dataset : null);
    this.estimateSoon();
  }

  get maskController() {
    return this.application.getControllerForElementAndIdentifier(this.maskTarget, 'imagegen-mask');
  }

  async submit(event) {
    event.preventDefault();
    const data = this.payload();
    const mask = this.maskController && (await this.maskController.exportMask());
    if (mask) data.append('mask', mask, 'mask.png');
    this.busy(true);
    try {
      const { ok, data: job } = await request(this.submitUrlValue, { method: 'POST', body: data });
      if (ok) {
        clearErrors(this.element, this.errorsTarget);
        this.dispatch('submitted', { detail: job });
      } else {
        showErrors(this.element, (job && job.errors) || { __all__: [this.failedTextValue] }, this.errorsTarget);
      }
    } catch (error) {
      showErrors(this.element, { __all__: [this.failedTextValue] }, this.errorsTarget);
    } finally {
      this.busy(false);
    }
  }

  busy(on) {
    this.submitTarget.disabled = on;
    if (on) {
      this.submitLabelTarget.textContent = this.busyLabelValue;
    } else {
      this.submitLabelTarget.textContent = this.sourceItems.length ? this.editLabelValue : this.generateLabelValue;
    }
  }
}
