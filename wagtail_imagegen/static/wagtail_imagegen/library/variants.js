/**
 * wagtail-imagegen: the Variants section on Wagtail's image edit page. Wagtail 7.4 has no template block
 * there, so this script (added to every edit page by the insert_editor_js hook) fetches the section and puts
 * it under the image form; elsewhere it does nothing. Keeping a candidate in the AI modal reloads it.
 */
const configElement = document.getElementById('imagegen-library-config');
const config = configElement ? JSON.parse(configElement.textContent) : null;

/** The image id when this is the image edit page ("/admin/images/0/" is the pattern), else null. */
function editedImageId() {
  const escaped = config.editUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = window.location.pathname.match(new RegExp(`^${escaped.replace('/0/', '/(\\d+)/')}$`));
  return match ? match[1] : null;
}

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

async function load(imageId, container) {
  const url = config.sectionUrl.replace('/0/', `/${imageId}/`);
  const response = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
  if (!response.ok || response.redirected) return;
  container.innerHTML = await response.text();
  await activateScripts(container);
}

const imageId = config && editedImageId();
if (imageId) {
  const form = document.querySelector('.focal-point-chooser')?.closest('form');
  const container = document.createElement('div');
  container.dataset.imagegenVariantsSection = '';
  if (form) form.after(container);
  else document.querySelector('main')?.append(container);
  load(imageId, container);
  document.addEventListener('imagegen:kept', () => load(imageId, container));
}
