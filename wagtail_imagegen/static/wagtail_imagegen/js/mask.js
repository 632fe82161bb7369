import { Controller } from './core.js';

/**
 * The mask painter over the first image. It paints on a canvas of the image's original size and exports a
 * PNG of that size: opaque everywhere, transparent where painted (where the API may change the image).
 */
export class MaskController extends Controller {
  static targets = ['image', 'canvas', 'size', 'brush', 'eraser'];

  connect() {
    this.erasing = false;
    this.painted = false;
    this.pen = this.canvasTarget.getContext('2d');
  }

  /** Show `source` ({url, width, height} of the original), or nothing; a new image starts a new mask. */
  load(source) {
    const key = source ? `${source.url}|${source.width}x${source.height}` : '';
    if (key === this.key) return;
    this.key = key;
    this.painted = false;
    if (!source) {
      this.imageTarget.removeAttribute('src');
      return;
    }
    this.imageTarget.src = source.url;
    this.canvasTarget.width = Number(source.width);
    this.canvasTarget.height = Number(source.height);
    this.clear();
  }

  useBrush() {
    this.setErasing(false);
  }

  useEraser() {
    this.setErasing(true);
  }

  setErasing(erasing) {
    this.erasing = erasing;
    this.brushTarget.setAttribute('aria-pressed', String(!erasing));
    this.eraserTarget.setAttribute('aria-pressed', String(erasing));
  }

  clear() {
    this.pen.clearRect(0, 0, this.canvasTarget.width, this.canvasTarget.height);
    this.painted = false;
  }

  /** Pointer position in the canvas's own pixels (it is displayed scaled down). */
  point(event) {
    const box = this.canvasTarget.getBoundingClientRect();
    const scale = this.canvasTarget.width / box.width;
    return { x: (event.clientX - box.left) * scale, y: (event.clientY - box.top) * scale, scale };
  }

  start(event) {
    event.preventDefault();
    this.canvasTarget.setPointerCapture(event.pointerId);
    this.last = this.point(event);
    this.stroke(this.last);
  }

  move(event) {
    if (!this.last) return;
    const next = this.point(event);
    this.stroke(next);
    this.last = next;
  }

  stop() {
    this.last = null;
  }

  stroke(to) {
    const { pen } = this;
    const from = this.last || to;
    pen.globalCompositeOperation = this.erasing ? 'destination-out' : 'source-over';
    pen.strokeStyle = 'rgb(255, 0, 102)';
    pen.lineWidth = Number(this.sizeTarget.value) * to.scale;
    pen.lineCap = 'round';
    pen.lineJoin = 'round';
    pen.beginPath();
    pen.moveTo(from.x, from.y);
    pen.lineTo(to.x + 0.01, to.y);
    pen.stroke();
    if (!this.erasing) this.painted = true;
  }

  /** The mask as a PNG Blob, or null when nothing was painted (then the whole image may change). */
  exportMask() {
    if (!this.painted || !this.key) return Promise.resolve(null);
    const { width, height } = this.canvasTarget;
    const mask = document.createElement('canvas');
    Object.assign(mask, { width, height });
    const context = mask.getContext('2d');
    context.fillStyle = '#000';
    context.fillRect(0, 0, width, height);
    context.globalCompositeOperation = 'destination-out';
    context.drawImage(this.canvasTarget, 0, 0);
    return new Promise((resolve) => {
      mask.toBlob(resolve, 'image/png');
    });
  }
}
