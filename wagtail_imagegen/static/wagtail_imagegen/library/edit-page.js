/**
 * wagtail-imagegen: what the sections the app adds to Wagtail's image edit page share (variants.js,
 * alt-text.js): which image the page edits, where a section goes, and fetching its server-rendered markup.
 */

/** The image id when this is the image edit page (`editUrl` is its pattern, "/admin/images/0/"), else null. */
export function editedImageId(editUrl) {
  const escaped = editUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = window.location.pathname.match(new RegExp(`^${escaped.replace('/0/', '/(\\d+)/')}$`));
  return match ? match[1] : null;
}

/** A new element under the image form (or at the end of the page), marked with `data-<marker>`. */
export function sectionContainer(marker) {
  const container = document.createElement('div');
  container.setAttribute(`data-${marker}`, '');
  const form = document.querySelector('.focal-point-chooser')?.closest('form');
  if (form) form.after(container);
  else document.querySelector('main')?.append(container);
  return container;
}

/** The section's HTML for this image, or null (refused, or redirected to a page that is no section). */
export async function fetchSection(sectionUrl, imageId) {
  const address = sectionUrl.replace('/0/', `/${imageId}/`);
  const response = await fetch(address, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
  return response.ok && !response.redirected ? response.text() : null;
}
