import { Controller, formData, formatNumber, request, showErrors, url } from './core.js';

const POLL_INTERVAL = 1000;

/**
 * The tray: one job's progress (status, elapsed time, live preview, errors in an editor's words), its
 * candidates with Use this / Refine / Final quality / Discard, and the iteration chain. Jobs come from the
 * form (`show`), the recent list (`open`) or a refinement; a running job is polled until it ends.
 */
export class JobController extends Controller {
  static targets = ['empty', 'panel', 'chain', 'prompt', 'status', 'elapsed', 'cost', 'details', 'cancel',
    'activeHelp', 'message', 'preview', 'candidates', 'candidateTemplate', 'refineTemplate', 'stepTemplate',
    'service'];

  // `slot` "compare": the tray of the second image service, shown when a submission has one.
  static values = { target: String, keptText: String, discardedText: String, failedText: String, slot: String };

  connect() {
    // Reopen a job still running when the modal or page was closed.
    const active = this.element.querySelector('[data-imagegen-active]');
    if (active) this.load(active.dataset.imagegenJobIdParam);
  }

  disconnect() {
    window.clearTimeout(this.timer);
  }

  /** A job just queued by the form (`imagegen-form:submitted`), or by this tray's refine and final. */
  show({ detail }) {
    this.render(detail);
    this.panelTarget.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    this.dispatch('changed');
  }

  /** The second tray's part of a submission (`slot` names it): its job, or the tray hides when it has none. */
  showSubmitted({ detail }) {
    // Stimulus also hands a nested tray's @window action to the studio's own tray: that one has no slot.
    if (!this.slotValue) return;
    const job = detail && detail[this.slotValue];
    this.element.hidden = !job;
    if (job) this.show({ detail: job });
  }

  /** A job from the recent list. */
  open({ params }) {
    this.load(params.id);
  }

  async load(jobId) {
    const { ok, data } = await request(`${url('jobStatus', jobId)}?chain=1`);
    if (ok) this.render(data);
  }

  render(job) {
    window.clearTimeout(this.timer);
    const changedJob = !this.job || this.job.job !== job.job;
    this.job = { ...this.job, ...job, chain: job.chain || (changedJob ? [] : this.job.chain) };
    this.emptyTarget.hidden = true;
    this.panelTarget.hidden = false;
    this.renderProgress(this.job);
    this.renderMessage(this.job.message);
    this.renderPreview(this.job.partial_url);
    if (changedJob || job.chain) this.renderChain(this.job.chain);
    this.renderCandidates(this.job);
    if (!job.is_finished) {
      this.timer = window.setTimeout(() => this.poll(), POLL_INTERVAL);
    } else if (this.wasRunning) {
      this.dispatch('changed');
    }
    this.wasRunning = !job.is_finished;
  }

  async poll() {
    const jobId = this.job.job;
    const { ok, data } = await request(url('jobStatus', jobId));
    if (ok && this.job.job === jobId) this.render(data);
    else if (!ok) this.timer = window.setTimeout(() => this.poll(), POLL_INTERVAL * 3);
  }

  renderProgress(job) {
    this.promptTarget.textContent = job.prompt;
    if (this.hasServiceTarget) this.serviceTarget.textContent = job.service_label || '';
    this.statusTarget.textContent = job.status_label;
    this.statusTarget.classList.toggle('w-status--primary', job.status === 'succeeded');
    this.statusTarget.dataset.status = job.status;
    this.elapsedTarget.textContent = interpolate(
      ngettext('%(seconds)s second', '%(seconds)s seconds', job.elapsed), { seconds: formatNumber(job.elapsed) }, true,
    );
    this.costTarget.textContent = job.cost_label;
    this.detailsTarget.href = job.detail_url;
    this.cancelTarget.hidden = job.is_finished;
    this.activeHelpTarget.hidden = job.is_finished;
  }

  renderMessage(message) {
    this.messageTarget.hidden = !message;
    if (!message) return;
    this.messageTarget.classList.toggle('help-critical', message.level === 'error');
    this.messageTarget.classList.toggle('help-warning', message.level !== 'error');
    this.messageTarget.dataset.code = message.code;
    this.messageTarget.querySelector('[data-message-title]').textContent = message.title;
    this.messageTarget.querySelector('[data-message-text]').textContent = message.text;
  }

  renderPreview(partialUrl) {
    this.previewTarget.hidden = !partialUrl;
    const image = this.previewTarget.querySelector('img');
    if (partialUrl && image.getAttribute('src') !== partialUrl) image.src = partialUrl;
  }

  renderChain(steps) {
    this.chainTarget.replaceChildren(...steps.map((step) => this.chainStep(step)));
    this.chainTarget.hidden = steps.length < 2;
  }

  chainStep(step) {
    const item = this.stepTemplateTarget.content.firstElementChild.cloneNode(true);
    const image = item.querySelector('[data-step-image]');
    if (step.image) image.src = step.image;
    else image.remove();
    const label = item.querySelector('[data-step-label]');
    label.textContent = step.prompt;
    label.title = step.prompt;
    if (step.url) label.href = step.url;
    else label.removeAttribute('href');
    item.dataset.kind = step.kind;
    return item;
  }

  renderCandidates(job) {
    const cards = new Map(Array.from(this.candidatesTarget.children, (card) => [card.dataset.outputId, card]));
    job.outputs.filter((output) => output.image_id).forEach((output) => {
      const card = cards.get(String(output.id)) || this.candidate(output);
      this.renderState(card, output.state);
      cards.delete(String(output.id));
    });
    cards.forEach((card) => card.remove());
  }

  candidate(output) {
    const card = this.candidateTemplateTarget.content.firstElementChild.cloneNode(true);
    card.dataset.outputId = output.id;
    card.querySelector('[data-candidate-image]').src = output.url;
    card.querySelector('[data-candidate-link]').href = output.chosen.edit_url;
    card.querySelector('[data-candidate-service]').textContent = this.job.service_label || '';
    card.chosen = output.chosen;
    const final = card.querySelector('[data-candidate-final]');
    final.hidden = this.job.params.quality === 'high';
    this.candidatesTarget.append(card);
    return card;
  }

  renderState(card, state) {
    card.dataset.state = state;
    const text = { kept: this.keptTextValue, discarded: this.discardedTextValue }[state] || '';
    card.querySelector('[data-candidate-state]').textContent = text;
  }

  cardFor(event) {
    return event.currentTarget.closest('[data-output-id]');
  }

  async use(event) {
    const card = this.cardFor(event);
    const result = await this.post(card, url('outputUse', card.dataset.outputId));
    if (!result) return;
    this.renderState(card, result.state);
    document.dispatchEvent(new CustomEvent('imagegen:kept', { detail: result }));
    if (this.targetValue === 'field') this.dispatch('chosen', { detail: result.chosen });
  }

  async discard(event) {
    const card = this.cardFor(event);
    const result = await this.post(card, url('outputDiscard', card.dataset.outputId));
    if (result) this.renderState(card, result.state);
  }

  async final(event) {
    const card = this.cardFor(event);
    const job = await this.post(card, url('outputFinal', card.dataset.outputId));
    if (job) this.show({ detail: job });
  }

  openRefine(event) {
    const slot = this.cardFor(event).querySelector('[data-candidate-refine]');
    if (slot.firstElementChild) return;
    const form = this.refineTemplateTarget.content.firstElementChild.cloneNode(true);
    form.elements.namedItem('invariants').value = this.job.invariants || '';
    slot.append(form);
    form.elements.namedItem('prompt').focus();
  }

  closeRefine(event) {
    event.currentTarget.closest('form').remove();
  }

  async refine(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const card = form.closest('[data-output-id]');
    const body = formData({
      prompt: form.elements.namedItem('prompt').value,
      invariants: form.elements.namedItem('invariants').value,
    });
    const { ok, data } = await request(url('outputRefine', card.dataset.outputId), { method: 'POST', body });
    if (ok) this.show({ detail: data });
    else showErrors(form, (data && data.errors) || { __all__: [this.failedTextValue] });
  }

  async cancel() {
    const { ok, data } = await request(url('jobCancel', this.job.job), { method: 'POST' });
    if (ok) this.render(data);
  }

  /** POST an action on a candidate; the JSON answer, or null after showing why it failed. */
  async post(card, address) {
    const buttons = card.querySelectorAll('button');
    buttons.forEach((button) => { button.disabled = true; });
    try {
      const { ok, data } = await request(address, { method: 'POST' });
      if (ok) return data;
      const errors = (data && data.errors && data.errors.__all__) || [this.failedTextValue];
      card.querySelector('[data-candidate-state]').textContent = errors.join(' ');
      return null;
    } finally {
      buttons.forEach((button) => { button.disabled = false; });
    }
  }
}
