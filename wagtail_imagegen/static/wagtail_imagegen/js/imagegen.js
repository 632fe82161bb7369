/**
 * wagtail-imagegen: the editor's Stimulus controllers (plain ES modules, no bundler).
 *
 * THE LAUNCHER CONTRACT — how any admin page opens the AI image modal:
 *
 *   {% include "wagtail_imagegen/modal/launcher_media.html" %}   (once per page; or a form with ImageGenChooser)
 *
 *   <button type="button" hidden
 *           data-controller="imagegen-launcher"
 *           data-imagegen-launcher-mode-value="edit"            "generate" (default) or "edit"
 *           data-imagegen-launcher-image-id-value="42"           the library image to edit (mode "edit")
 *           data-imagegen-launcher-label-value="winter">         optional: pre-fills the variant label
 *     Edit with AI
 *   </button>
 *
 * A click opens the modal. The launcher shows itself (removes `hidden`) only for users with the
 * wagtail_imagegen.generate_image permission, and stays hidden for everyone else. When the editor keeps a
 * candidate, `imagegen:kept` is dispatched on `document` with `detail` = {output, state, chosen}, where
 * `chosen` is the image as Wagtail's chooser returns it ({id, title, edit_url, preview, default_alt_text}).
 *
 * Chooser fields (ImageGenChooser) use the same modal; their "Use this" sets the field through the chooser's
 * own script: chooserElement.widget.setStateFromModalData(chosen).
 *
 * Every URL comes from config.js (window.wagtailImagegenConfig), served to permitted users only; every
 * user-visible string comes from the server-rendered markup.
 */
import { FieldController, LauncherController } from './launcher.js';
import { FormController } from './form.js';
import { JobController } from './job.js';
import { MaskController } from './mask.js';
import { PickerController } from './picker.js';
import { RecentController } from './recent.js';

const controllers = {
  'imagegen-launcher': LauncherController,
  'imagegen-field': FieldController,
  'imagegen-form': FormController,
  'imagegen-mask': MaskController,
  'imagegen-picker': PickerController,
  'imagegen-job': JobController,
  'imagegen-recent': RecentController,
};

Object.entries(controllers).forEach(([identifier, controller]) => {
  window.wagtail.app.register(identifier, controller);
});
