// nnfit playground: a tiny canvas plotting helper (axes, lines, points, bands).
// Drawn with the 2-D canvas API only; no libraries.
"use strict";

const AXIS_COLORS = { grid: "#e7eaf0", label: "#5b6474", frame: "#9aa3b2" };

function niceTicks(low, high, count) {
  const span = high - low;
  if (!(span > 0)) return [low];
  const raw = span / count;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const ticks = [];
  for (let t = Math.ceil(low / step) * step; t <= high + step * 1e-9; t += step) {
    ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  }
  return ticks;
}

function tickLabel(value) {
  const size = Math.abs(value);
  if (size !== 0 && (size < 1e-3 || size >= 1e5)) return value.toExponential(0);
  return Number(value.toPrecision(4)).toString();
}

class Plot {
  // onResize: called after the canvas changed size, to ask for a redraw.
  constructor(canvas, margin, onResize) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.margin = margin || { left: 56, right: 14, top: 10, bottom: 34 };
    this.x = [0, 1]; this.y = [0, 1]; this.logY = false;
    this.onResize = onResize || (() => {});
    new ResizeObserver(() => { this.resize(); this.onResize(); }).observe(canvas);
    this.resize();
  }

  resize() {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(50, this.canvas.clientWidth);
    const height = Math.max(50, this.canvas.clientHeight);
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    this.ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    this.width = width; this.height = height;
  }

  get left() { return this.margin.left; }
  get right() { return this.width - this.margin.right; }
  get top() { return this.margin.top; }
  get bottom() { return this.height - this.margin.bottom; }

  ty(y) { return this.logY ? Math.log10(Math.max(y, 1e-300)) : y; }
  px(x) { return this.left + ((x - this.x[0]) / (this.x[1] - this.x[0])) * (this.right - this.left); }
  py(y) {
    const [low, high] = this.logY ? this.y.map(Math.log10) : this.y;
    return this.bottom - ((this.ty(y) - low) / (high - low)) * (this.bottom - this.top);
  }
  dataX(px) { return this.x[0] + ((px - this.left) / (this.right - this.left)) * (this.x[1] - this.x[0]); }
  dataY(py) { return this.y[0] + ((this.bottom - py) / (this.bottom - this.top)) * (this.y[1] - this.y[0]); }

  clear() {
    this.ctx.clearRect(0, 0, this.width, this.height);
  }

  clip(draw) {
    const ctx = this.ctx;
    ctx.save();
    ctx.beginPath();
    ctx.rect(this.left, this.top, this.right - this.left, this.bottom - this.top);
    ctx.clip();
    draw(ctx);
    ctx.restore();
  }

  axes(xLabel, yLabel) {
    const ctx = this.ctx;
    ctx.font = "13px system-ui, sans-serif";
    ctx.lineWidth = 1;
    const xTicks = niceTicks(this.x[0], this.x[1], Math.max(3, Math.floor((this.right - this.left) / 90)));
    const yTicks = this.logY ? this.logTicks() : niceTicks(this.y[0], this.y[1], Math.max(4, Math.floor((this.bottom - this.top) / 45)));
    ctx.strokeStyle = AXIS_COLORS.grid;
    ctx.fillStyle = AXIS_COLORS.label;
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    for (const t of xTicks) {
      const x = this.px(t);
      ctx.beginPath(); ctx.moveTo(x, this.top); ctx.lineTo(x, this.bottom); ctx.stroke();
      ctx.fillText(tickLabel(t), x, this.bottom + 5);
    }
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    for (const t of yTicks) {
      const y = this.py(t);
      if (y < this.top - 1 || y > this.bottom + 1) continue;
      ctx.beginPath(); ctx.moveTo(this.left, y); ctx.lineTo(this.right, y); ctx.stroke();
      ctx.fillText(tickLabel(t), this.left - 6, y);
    }
    ctx.strokeStyle = AXIS_COLORS.frame;
    ctx.strokeRect(this.left, this.top, this.right - this.left, this.bottom - this.top);
    ctx.fillStyle = AXIS_COLORS.label;
    if (xLabel) {
      ctx.textAlign = "right"; ctx.textBaseline = "bottom";
      ctx.fillText(xLabel, this.right, this.height - 1);
    }
    if (yLabel) {
      ctx.save(); ctx.translate(13, this.top); ctx.rotate(-Math.PI / 2);
      ctx.textAlign = "right"; ctx.textBaseline = "middle";
      ctx.fillText(yLabel, 0, 0); ctx.restore();
    }
  }

  logTicks() {
    const low = Math.floor(Math.log10(this.y[0]));
    const high = Math.ceil(Math.log10(this.y[1]));
    const every = Math.max(1, Math.ceil((high - low) / 6));
    const ticks = [];
    for (let p = low; p <= high; p += every) ticks.push(Math.pow(10, p));
    return ticks;
  }

  // One polyline; non-finite values break it. xs, ys: array-likes.
  line(xs, ys, style) {
    const ctx = this.ctx;
    const start = style.start || 0, end = style.end == null ? xs.length : style.end;
    ctx.strokeStyle = style.color; ctx.lineWidth = style.width || 2;
    ctx.globalAlpha = style.alpha == null ? 1 : style.alpha;
    ctx.setLineDash(style.dash || []);
    ctx.lineJoin = "round";
    ctx.beginPath();
    let pen = false;
    for (let i = start; i < end; i++) {
      const y = ys[i - (style.offset || 0)];
      if (!Number.isFinite(y) || (this.logY && !(y > 0))) { pen = false; continue; }
      const px = this.px(xs[i]), py = Math.max(-1e4, Math.min(1e4, this.py(y)));
      if (pen) ctx.lineTo(px, py); else ctx.moveTo(px, py);
      pen = true;
    }
    ctx.stroke();
    ctx.globalAlpha = 1; ctx.setLineDash([]);
  }

  points(xs, ys, from, to, fill, edge, radius, edgeWidth) {
    const ctx = this.ctx;
    ctx.fillStyle = fill; ctx.strokeStyle = edge; ctx.lineWidth = edgeWidth || 1.5;
    for (let i = from; i < to; i++) {
      ctx.beginPath();
      ctx.arc(this.px(xs[i]), this.py(ys[i]), radius, 0, 2 * Math.PI);
      ctx.fill(); ctx.stroke();
    }
  }

  band(x0, x1, color) {
    this.ctx.fillStyle = color;
    const a = Math.max(this.left, this.px(x0)), b = Math.min(this.right, this.px(x1));
    this.ctx.fillRect(a, this.top, b - a, this.bottom - this.top);
  }
}
