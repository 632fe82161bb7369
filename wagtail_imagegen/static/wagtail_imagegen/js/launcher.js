import { Controller, canGenerate, openStudio } from './core.js';

/** Any element that opens the modal (see the contract in imagegen.js). */
export class LauncherController extends Controller {
  static values = { mode: { type: String, default: 'generate' }, imageId: String, label: String };

  connect() {
    this.element.hidden = !canGenerate();
    this.open = this.open.bind(this);
    this.element.addEventListener('click', this.open);
  }

  disconnect() {
    this.element.removeEventListener('click', this.open);
  }

  open(event) {
    event.preventDefault();
    openStudio({
      mode: this.modeValue,
      imageId: this.modeValue === 'edit' ? this.imageIdValue : '',
      label: this.labelValue,
      trigger: this.element,
    });
  }
}

/** Generate / Edit with AI beside an image chooser field (ImageGenChooser). */
export class FieldController extends Controller {
  static targets = ['actions', 'edit'];

  static values = { inputId: String };

  connect() {
    if (!canGenerate()) return;
    this.input = document.getElementById(this.inputIdValue);
    this.sync = () => {
      this.editTarget.disabled = !this.input.value;
    };
    this.input.addEventListener('change', this.sync);
    this.sync();
    this.actionsTarget.hidden = false;
  }

  disconnect() {
    if (this.input) this.input.removeEventListener('change', this.sync);
  }

  generate(event) {
    openStudio({ mode: 'generate', onChosen: (chosen) => this.choose(chosen), trigger: event.currentTarget });
  }

  edit(event) {
    openStudio({
      mode: 'edit',
      imageId: this.input.value,
      onChosen: (chosen) => this.choose(chosen),
      trigger: event.currentTarget,
    });
  }

  /** Set the field exactly as Wagtail's own chooser modal does (fires its `chosen` and `change` events). */
  choose(chosen) {
    const chooserElement = document.getElementById(`${this.inputIdValue}-chooser`);
    chooserElement.widget.setStateFromModalData(chosen);
  }
}
