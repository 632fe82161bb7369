/** Shared helpers: the server's config, JSON requests with Wagtail's CSRF header, opening the modal. */

export const { Controller } = window.StimulusModule;

/** What config.js said; without it (no permission, or not loaded) nothing AI is shown. */
export function config() {
  return window.wagtailImagegenConfig || { canGenerate: false, urls: {} };
}

export function canGenerate() {
  return Boolean(config().canGenerate);
}

/** A URL from config.js, with the job or output id put in place of its placeholder. */
export function url(name, id) {
  const { urls, jobPlaceholder } = config();
  if (id === undefined) return urls[name];
  return urls[name].replace(jobPlaceholder, id).replace('/0/', `/${id}/`);
}

/** fetch() for the app's endpoints: same-origin, CSRF header on writes, JSON (or text) back. */
export async function request(address, { method = 'GET', body = null, text = false } = {}) {
  const headers = { Accept: text ? 'text/html' : 'application/json' };
  if (method !== 'GET') {
    headers[window.wagtailConfig.CSRF_HEADER_NAME] = window.wagtailConfig.CSRF_TOKEN;
  }
  const response = await fetch(address, { method, body, headers, credentials: 'same-origin' });
  let data = null;
  try {
    data = text ? await response.text() : await response.json();
  } catch (error) {
    data = null;
  }
  return { ok: response.ok, status: response.status, data };
}

/** URLSearchParams/FormData from a plain object. */
/** A number with the admin language's separators (the page's lang, which Wagtail sets; not the browser's). */
export function formatNumber(value) {
  return Number(value).toLocaleString(document.documentElement.lang || undefined);
}

export function formData(values) {
  const data = new FormData();
  Object.entries(values).forEach(([key, value]) => data.append(key, value ?? ''));
  return data;
}

/**
 * Show errors by field name inside `root`: into the Wagtail field wrapper whose data-contentpath is the
 * name, else (and for "__all__") into `fallback`. Returns how many were shown.
 */
export function showErrors(root, errors, fallback) {
  clearErrors(root, fallback);
  const rest = [];
  Object.entries(errors || {}).forEach(([name, messages]) => {
    const field = root.querySelector(`[data-field][data-contentpath="${CSS.escape(name)}"]`);
    const slot = field && field.querySelector('[data-field-errors]');
    if (!slot) {
      rest.push(...messages);
      return;
    }
    field.classList.add('w-field--error');
    const paragraph = document.createElement('p');
    paragraph.className = 'error-message';
    paragraph.textContent = messages.join(' ');
    slot.append(paragraph);
  });
  if (fallback && rest.length) {
    fallback.textContent = rest.join(' ');
    fallback.hidden = false;
  }
  return Object.keys(errors || {}).length;
}

export function clearErrors(root, fallback) {
  root.querySelectorAll('.w-field--error').forEach((field) => field.classList.remove('w-field--error'));
  root.querySelectorAll('[data-field-errors]').forEach((slot) => slot.replaceChildren());
  if (fallback) {
    fallback.textContent = '';
    fallback.hidden = true;
  }
}

/** Call `callback` once things settle: after `delay` ms without another call. */
export function debounce(callback, delay) {
  let timer = null;
  return (...args) => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => callback(...args), delay);
  };
}

/**
 * Open the studio in Wagtail's modal. `onChosen(chosen)` is called when the editor clicks "Use this"
 * (only offered when given); keeping a candidate also dispatches `imagegen:kept` on document.
 */
export function openStudio({ mode = 'generate', imageId = '', label = '', onChosen = null, trigger = null }) {
  const urlParams = { mode };
  if (imageId) urlParams.image = imageId;
  if (label) urlParams.label = label;
  if (onChosen) urlParams.target = 'field';
  return window.ModalWorkflow({
    url: url('modal'),
    urlParams,
    triggerElement: trigger || document.activeElement,
    onload: {
      imagegen(modal) {
        const body = modal.body[0] || modal.body;
        body.addEventListener('imagegen-job:chosen', (event) => {
          modal.respond('chosen', event.detail);
          modal.close();
        });
      },
    },
    responses: {
      chosen(chosen) {
        if (onChosen) onChosen(chosen);
      },
    },
  });
}
