// nnfit playground: talks to /ws and draws every frame on canvases with the
// Plot helper of plot.js. No libraries.
"use strict";

// Target, samples, net and node colours come from the server (the CLI's
// figures use the same ones); these are the fallbacks.
const COLORS = {
  ink: "#1a1a1a",
  target: "#1f77b4", sample: "#8fd68a", sampleEdge: "#4f9d4a",
  addedEdge: "#1a1a1a", test: "#ea580c", band: "#e6ecf7", dead: "#9a9a9a",
};
let NODE_COLORS = ["#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];
const LEARNING_RATES = [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.3, 1, 3, 10];
const STEPS_PER_FRAME = [1, 2, 5, 10, 20, 50, 100, 200, 500];
const TABLE_ROWS = 16;
// Query keys of the link: setting -> short name.
const URL_KEYS = {
  target: "target", activation: "act", hidden: "hidden", lr: "lr", optimizer: "opt",
  samples: "n", noise: "noise", x_range: "range", seed: "seed",
  steps_per_frame: "spf", added: "add", removed: "del",
};

const state = {
  socket: null, hello: null, settings: null, data: null, frame: null,
  playing: false, showNodes: true, hoverNode: null, dirty: true,
  loss: { steps: [], train: [], test: [] }, lastTable: 0, tableShows: null,
};
// Measured by the page; read by the browser tests.
const stats = { frames: 0, drawn: 0, received: [], fps: 0, drawFps: 0, drawnAt: [] };
const plots = {};
window.nnfit = { state, stats, plots, send };

const $ = (id) => document.getElementById(id);

// ---------- numbers ----------

function decode(text) {
  if (text == null) return null;
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer);
}

function fmt(value, digits = 3) {
  if (value == null || !Number.isFinite(value)) return "–";
  const size = Math.abs(value);
  if (size !== 0 && (size < 1e-3 || size >= 1e5)) return value.toExponential(digits - 1);
  return Number(value.toPrecision(digits)).toString();
}

function roundForSpan(value, span) {
  const decimals = Math.min(12, Math.max(0, 4 - Math.floor(Math.log10(span))));
  return Number(value.toFixed(decimals));
}

// ---------- the link: every setting in the query string ----------

function settingsFromUrl() {
  const query = new URLSearchParams(location.search);
  const found = {};
  const number = (text) => (text.trim() === "" ? NaN : Number(text));
  for (const [name, key] of Object.entries(URL_KEYS)) {
    if (!query.has(key)) continue;
    const text = query.get(key);
    if (name === "target" || name === "activation" || name === "optimizer") found[name] = text;
    else if (name === "x_range") found[name] = text === "" ? null : text.split(",").map(number);
    else if (name === "added") found[name] = text === "" ? [] : text.split(";").map((p) => p.split(":").map(number));
    else if (name === "removed") found[name] = text === "" ? [] : text.split(",").map(number);
    else found[name] = number(text);
  }
  if (query.has("nodes")) state.showNodes = query.get("nodes") !== "0";
  return found;
}

function urlFromSettings(settings) {
  const query = new URLSearchParams();
  for (const [name, key] of Object.entries(URL_KEYS)) {
    const value = settings[name];
    if (name === "x_range") query.set(key, value ? value.join(",") : "");
    else if (name === "added") query.set(key, value.map((p) => p.join(":")).join(";"));
    else if (name === "removed") query.set(key, value.join(","));
    else query.set(key, String(value));
  }
  if (!state.showNodes) query.set("nodes", "0");
  return `${location.origin}${location.pathname}?${query.toString()}`;
}

function updateUrl() {
  if (state.settings) history.replaceState(null, "", urlFromSettings(state.settings));
}

// ---------- the socket ----------

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws`);
  state.socket = socket;
  socket.onopen = () => { $("connection").textContent = "connected"; };
  socket.onclose = () => {
    state.playing = false; showPlaying();
    $("connection").textContent = "disconnected: reload the page to start again";
  };
  socket.onmessage = (event) => receive(JSON.parse(event.data));
}

function send(message) {
  if (state.socket && state.socket.readyState === WebSocket.OPEN) {
    state.socket.send(JSON.stringify(message));
  }
}

function configure(changes) {
  clearBad();
  send({ type: "configure", settings: changes });
}

const RECEIVERS = {
  hello(message) {
    state.hello = message;
    useColors(message.colors);
    buildControls(message);
    const fromUrl = settingsFromUrl();
    send({ type: "view", contributions: state.showNodes });
    send({ type: "configure", settings: { ...message.defaults, ...fromUrl }, id: "first" });
  },
  config(message) {
    state.settings = message.settings;
    showSettings(message.settings);
    updateUrl();
  },
  data(message) {
    const grid = decode(message.grid);
    state.data = {
      grid, inside: message.inside, truth: decode(message.truth),
      x: decode(message.x), y: decode(message.y), addedFrom: message.added_from,
      xRange: message.x_range, shares: message.shares, periodic: message.periodic,
    };
    fitRanges(state.data);
    $("added-legend").hidden = message.added_from >= state.data.x.length;
    state.dirty = true;
  },
  frame(message) {
    receiveFrame(message);
  },
  status(message) {
    state.playing = message.playing; showPlaying();
    if (message.stopped) showBanner(message.stopped, "error");
  },
  view(message) { state.showNodes = message.contributions; $("show-nodes").checked = message.contributions; },
  export(message) { download(message); },
  pong() {},
  error(message) {
    showBanner(message.message, "error");
    if (message.field) markBad(message.field);
    if (message.id === "first") send({ type: "configure", settings: state.hello.defaults });
    else if (state.settings) showSettings(state.settings);
    if (message.fatal) $("connection").textContent = "not connected: " + message.message;
  },
};

function useColors(colors) {
  if (!colors) return;
  Object.assign(COLORS, {
    target: colors.target, sample: colors.samples, sampleEdge: colors.samples_edge, ink: colors.net,
    dead: colors.dead,
  });
  NODE_COLORS = colors.nodes;
  const root = document.documentElement.style;
  root.setProperty("--target", colors.target);
  root.setProperty("--sample", colors.samples);
  root.setProperty("--sample-edge", colors.samples_edge);
  root.setProperty("--ink", colors.net);
}

function receive(message) {
  const handler = RECEIVERS[message.type];
  if (handler) handler(message);
}

function receiveFrame(message) {
  const now = performance.now();
  stats.frames += 1;
  stats.received.push(now);
  while (stats.received.length && stats.received[0] < now - 1000) stats.received.shift();
  stats.fps = stats.received.length;

  const frame = {
    step: message.step, loss: message.loss, test: message.test, r2: message.r2,
    curve: decode(message.curve), shares: decode(message.shares),
    w: decode(message.nodes.w), b: decode(message.nodes.b), v: decode(message.nodes.v),
    c: message.c, dead: message.dead ? new Set(message.dead) : null,
    waves: message.waves ? {
      frequency: decode(message.waves.frequency), phase: decode(message.waves.phase),
      amplitude: decode(message.waves.amplitude),
    } : null,
  };
  state.frame = frame;
  recordLoss(frame);
  if (message.stopped && !state.playing) showBanner(message.stopped, "error");
  state.dirty = true;
}

function recordLoss(frame) {
  const loss = state.loss;
  while (loss.steps.length && loss.steps[loss.steps.length - 1] >= frame.step) {
    loss.steps.pop(); loss.train.pop(); loss.test.pop();
  }
  loss.steps.push(frame.step);
  loss.train.push(frame.loss == null ? NaN : frame.loss);
  loss.test.push(frame.test == null ? NaN : frame.test);
  // Keep the curve light: past 4000 points, drop every other old one.
  if (loss.steps.length > 4000) {
    for (const key of ["steps", "train", "test"]) loss[key] = loss[key].filter((_, i) => i % 2 === 0 || i > 3000);
  }
}

// ---------- controls ----------

function option(select, value, label) {
  const element = document.createElement("option");
  element.value = String(value); element.textContent = label == null ? String(value) : label;
  select.appendChild(element);
}

function buildControls(hello) {
  const list = $("target-list");
  for (const target of hello.targets) option(list, target.name, target.description);

  const group = $("activations");
  for (const activation of hello.activations) {
    const button = document.createElement("button");
    button.textContent = activation.name;
    button.dataset.name = activation.name;
    button.setAttribute("role", "radio");
    button.title = `f(z) = ${activation.formula}`;
    button.addEventListener("click", () => configure({ activation: activation.name }));
    group.appendChild(button);
  }
  for (const name of hello.optimizers) option($("optimizer"), name);
  const limits = hello.limits;
  for (const lr of LEARNING_RATES.filter((v) => v <= limits.max_lr)) option($("lr"), lr);
  for (const s of STEPS_PER_FRAME.filter((v) => v <= limits.max_steps_per_frame)) option($("steps-per-frame"), s);
  $("hidden").max = limits.max_hidden;
  $("samples").max = limits.max_samples;
  $("noise").max = limits.max_noise;
  $("gif-frames").max = limits.max_gif_frames;
}

function setSelect(select, value) {
  if (![...select.options].some((o) => Number(o.value) === Number(value) || o.value === String(value))) {
    option(select, value);
  }
  for (const o of select.options) o.selected = Number(o.value) === Number(value) || o.value === String(value);
}

// A field the person is typing in keeps their text; replies fill the rest.
function setField(id, value) {
  const field = $(id);
  if (field !== document.activeElement) field.value = value;
}

function showSettings(settings) {
  setField("target", settings.target);
  setField("samples", settings.samples);
  setField("noise", settings.noise);
  setField("seed", settings.seed);
  setField("hidden", settings.hidden);
  const range = settings.x_range || [NaN, NaN];
  setField("x-low", fmt(range[0], 4));
  setField("x-high", fmt(range[1], 4));
  setSelect($("lr"), settings.lr);
  setSelect($("steps-per-frame"), settings.steps_per_frame);
  setSelect($("optimizer"), settings.optimizer);
  for (const button of $("activations").children) {
    button.setAttribute("aria-checked", String(button.dataset.name === settings.activation));
  }
}

function markBad(field) {
  const ids = {
    target: "target", samples: "samples", noise: "noise", seed: "seed", hidden: "hidden",
    x_range: "x-low", lr: "lr", steps_per_frame: "steps-per-frame",
  };
  if (ids[field]) $(ids[field]).classList.add("bad");
}

function clearBad() {
  for (const element of document.querySelectorAll(".bad")) element.classList.remove("bad");
}

function numberOrText(text) {
  const value = Number(text);
  return text.trim() !== "" && Number.isFinite(value) ? value : text;
}

function bindControls() {
  $("target").addEventListener("change", (e) => configure({ target: e.target.value, x_range: null }));
  $("samples").addEventListener("change", (e) => configure({ samples: numberOrText(e.target.value) }));
  $("noise").addEventListener("change", (e) => configure({ noise: numberOrText(e.target.value) }));
  $("seed").addEventListener("change", (e) => configure({ seed: numberOrText(e.target.value) }));
  $("hidden").addEventListener("change", (e) => configure({ hidden: numberOrText(e.target.value) }));
  $("hidden-down").addEventListener("click", () => configure({ hidden: Math.max(1, state.settings.hidden - 1) }));
  $("hidden-up").addEventListener("click", () => configure({ hidden: state.settings.hidden + 1 }));
  const range = () => configure({ x_range: [numberOrText($("x-low").value), numberOrText($("x-high").value)] });
  $("x-low").addEventListener("change", range);
  $("x-high").addEventListener("change", range);
  $("lr").addEventListener("change", (e) => configure({ lr: Number(e.target.value) }));
  $("optimizer").addEventListener("change", (e) => configure({ optimizer: e.target.value }));
  $("steps-per-frame").addEventListener("change", (e) => configure({ steps_per_frame: Number(e.target.value) }));
  $("regenerate").addEventListener("click", () => send({ type: "regenerate" }));

  $("play").addEventListener("click", togglePlay);
  $("step").addEventListener("click", () => send({ type: "step" }));
  $("reset").addEventListener("click", () => { hideBanner(); send({ type: "reset" }); });
  $("show-nodes").addEventListener("change", (e) => {
    state.showNodes = e.target.checked;
    send({ type: "view", contributions: state.showNodes });
    updateUrl(); state.dirty = true;
  });
  $("copy-link").addEventListener("click", copyLink);
  $("export-png").addEventListener("click", () => send({ type: "export", format: "png" }));
  $("export-gif").addEventListener("click", () => {
    send({ type: "export", format: "gif", frames: numberOrText($("gif-frames").value) });
    showBanner("Rendering the GIF…", "info");
  });
  document.addEventListener("keydown", (e) => {
    if (e.target.closest("input, select, textarea")) return;
    if (e.key === " ") { e.preventDefault(); togglePlay(); }
    else if (e.key === "s") send({ type: "step" });
    else if (e.key === "r") send({ type: "reset" });
  });
  bindFitPlot();
  bindTable();
}

function togglePlay() {
  hideBanner();
  send({ type: state.playing ? "pause" : "play" });
}

const ICONS = {
  play: '<svg viewBox="0 0 24 24"><path d="M7 4.5l13 7.5-13 7.5z" fill="currentColor"/></svg>',
  pause: '<svg viewBox="0 0 24 24"><rect x="5.5" y="4.5" width="4.5" height="15" rx="1" fill="currentColor"/>' +
    '<rect x="14" y="4.5" width="4.5" height="15" rx="1" fill="currentColor"/></svg>',
};

function showPlaying() {
  const button = $("play");
  button.innerHTML = state.playing ? ICONS.pause : ICONS.play;
  button.classList.toggle("playing", state.playing);
  button.setAttribute("aria-label", state.playing ? "Pause" : "Play");
}

let bannerTimer = null;
function showBanner(text, kind) {
  const banner = $("banner");
  banner.textContent = text;
  banner.className = `banner ${kind === "info" ? "info" : ""}`;
  banner.hidden = false;
  clearTimeout(bannerTimer);
  bannerTimer = setTimeout(hideBanner, kind === "info" ? 4000 : 9000);
}

function hideBanner() { $("banner").hidden = true; }

async function copyLink() {
  const link = urlFromSettings(state.settings);
  try {
    await navigator.clipboard.writeText(link);
  } catch (error) {
    const field = document.createElement("textarea");
    field.value = link; document.body.appendChild(field); field.select();
    document.execCommand("copy"); field.remove();
  }
  showBanner("Link copied: it reproduces this run.", "info");
}

function download(message) {
  const bytes = Uint8Array.from(atob(message.data), (c) => c.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], { type: message.mime }));
  const link = document.createElement("a");
  link.href = url; link.download = message.filename;
  document.body.appendChild(link); link.click(); link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  showBanner(`Saved ${message.filename}.`, "info");
}

// ---------- clicks and hovers on the fit ----------

function bindFitPlot() {
  const canvas = $("fit-plot");
  canvas.addEventListener("click", (event) => {
    const plot = plots.fit, data = state.data;
    if (!data) return;
    const [px, py] = canvasPoint(canvas, event);
    if (px < plot.left || px > plot.right || py < plot.top || py > plot.bottom) return;
    if (event.shiftKey) {
      const index = nearestPoint(px, py);
      if (index != null) send({ type: "remove_point", index });
      return;
    }
    const span = data.xRange[1] - data.xRange[0];
    const height = plot.y[1] - plot.y[0];
    send({ type: "add_point", x: roundForSpan(plot.dataX(px), span), y: roundForSpan(plot.dataY(py), height) });
  });
  canvas.addEventListener("mousemove", (event) => {
    const [px, py] = canvasPoint(canvas, event);
    const node = nearestShare(px, py);
    if (node !== state.hoverNode) { state.hoverNode = node; state.dirty = true; }
  });
  canvas.addEventListener("mouseleave", () => { state.hoverNode = null; state.dirty = true; });
}

function canvasPoint(canvas, event) {
  const box = canvas.getBoundingClientRect();
  return [event.clientX - box.left, event.clientY - box.top];
}

function nearestPoint(px, py) {
  const plot = plots.fit, data = state.data;
  let best = null, bestDistance = 18 * 18;
  for (let i = 0; i < data.x.length; i++) {
    const dx = plot.px(data.x[i]) - px, dy = plot.py(data.y[i]) - py;
    if (dx * dx + dy * dy < bestDistance) { bestDistance = dx * dx + dy * dy; best = i; }
  }
  return best;
}

function nearestShare(px, py) {
  const frame = state.frame, data = state.data, plot = plots.fit;
  if (!frame || !frame.shares || !state.showNodes || !data) return null;
  const { start, stride, count } = data.shares;
  const x = plot.dataX(px);
  let column = 0, gap = Infinity;
  for (let j = 0; j < count; j++) {
    const d = Math.abs(data.grid[start + j * stride] - x);
    if (d < gap) { gap = d; column = j; }
  }
  let best = null, bestDistance = 10;
  for (let node = 0; node < frame.w.length; node++) {
    const d = Math.abs(plot.py(frame.shares[node * count + column]) - py);
    if (d < bestDistance) { bestDistance = d; best = node; }
  }
  return best;
}

function bindTable() {
  const body = document.querySelector("#node-table tbody");
  body.addEventListener("mouseover", (event) => {
    const row = event.target.closest("tr");
    const node = row && row.dataset.node != null ? Number(row.dataset.node) : null;
    if (node !== state.hoverNode) { state.hoverNode = node; state.dirty = true; }
  });
  body.addEventListener("mouseleave", () => { state.hoverNode = null; state.dirty = true; });
}

// ---------- drawing ----------

function fitRanges(data) {
  const [lo, hi] = data.inside;
  const values = [...data.y];
  if (data.truth) for (let i = lo; i < hi; i++) values.push(data.truth[i]);
  data.fitY = paddedRange(values, 0.12);
  const wide = [...data.y];
  if (data.truth) wide.push(...data.truth);
  const extrap = paddedRange(wide, 0.25);
  // Beyond the range the net may run off; keep the view about the data.
  const mid = (data.fitY[0] + data.fitY[1]) / 2, half = (data.fitY[1] - data.fitY[0]) / 2;
  data.extrapY = [Math.max(extrap[0], mid - 3 * half), Math.min(extrap[1], mid + 3 * half)];
}

function paddedRange(values, pad) {
  let low = Infinity, high = -Infinity;
  for (const v of values) if (Number.isFinite(v)) { low = Math.min(low, v); high = Math.max(high, v); }
  if (!Number.isFinite(low)) return [-1, 1];
  if (high - low < 1e-9) { low -= 1; high += 1; }
  const margin = (high - low) * pad;
  return [low - margin, high + margin];
}

function nodeColor(node) { return NODE_COLORS[node % NODE_COLORS.length]; }

function drawFit() {
  const plot = plots.fit, data = state.data, frame = state.frame;
  plot.clear();
  if (!data) return;
  plot.x = data.xRange; plot.y = data.fitY;
  plot.axes("x", "y");
  const [lo, hi] = data.inside;
  plot.clip(() => {
    if (frame && frame.shares && state.showNodes) drawShares(plot, data, frame);
    if (data.truth) plot.line(data.grid, data.truth, { color: COLORS.target, width: 3, start: lo, end: hi });
    plot.points(data.x, data.y, 0, data.addedFrom, COLORS.sample, COLORS.sampleEdge, 4.5);
    plot.points(data.x, data.y, data.addedFrom, data.x.length, COLORS.sample, COLORS.addedEdge, 7, 2.5);
    if (frame) plot.line(data.grid, frame.curve, { color: COLORS.ink, width: 3.5, start: lo, end: hi });
  });
}

function drawShares(plot, data, frame) {
  const { start, stride, count } = data.shares;
  const xs = new Float32Array(count);
  for (let j = 0; j < count; j++) xs[j] = data.grid[start + j * stride];
  const hover = state.hoverNode;
  for (let node = 0; node < frame.w.length; node++) {
    if (node === hover) continue;
    const ys = frame.shares.subarray(node * count, (node + 1) * count);
    // Dead units are grey and dashed, as in the CLI's node figure.
    const dead = frame.dead && frame.dead.has(node);
    plot.line(xs, ys, {
      color: dead ? COLORS.dead : nodeColor(node), width: 1.8,
      alpha: hover == null ? 0.8 : 0.2, dash: dead ? [6, 4] : null,
    });
  }
  if (hover != null && hover < frame.w.length) {
    const ys = frame.shares.subarray(hover * count, (hover + 1) * count);
    plot.line(xs, ys, { color: nodeColor(hover), width: 4.5 });
  }
}

function drawExtrapolation() {
  const plot = plots.extrap, data = state.data, frame = state.frame;
  plot.clear();
  if (!data) return;
  plot.x = [data.grid[0], data.grid[data.grid.length - 1]]; plot.y = data.extrapY;
  plot.band(data.xRange[0], data.xRange[1], COLORS.band);
  plot.axes("x", null);
  plot.clip((ctx) => {
    if (data.truth) plot.line(data.grid, data.truth, { color: COLORS.target, width: 2.2, dash: [7, 5] });
    plot.points(data.x, data.y, 0, data.addedFrom, COLORS.sample, COLORS.sampleEdge, 2.5);
    plot.points(data.x, data.y, data.addedFrom, data.x.length, COLORS.sample, COLORS.addedEdge, 4.5, 2);
    if (frame) plot.line(data.grid, frame.curve, { color: COLORS.ink, width: 3 });
    if (frame && !data.periodic) drawTransitions(plot, ctx, frame);
  });
  const ctx = plot.ctx;
  ctx.fillStyle = "#3b5bab"; ctx.font = "600 12px system-ui, sans-serif";
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  ctx.fillText("training range", (plot.px(data.xRange[0]) + plot.px(data.xRange[1])) / 2, plot.top + 4);
}

// Each node's transition x = -b / w (a sigmoid's middle, a ReLU's kink).
function drawTransitions(plot, ctx, frame) {
  for (let node = 0; node < frame.w.length; node++) {
    const x = -frame.b[node] / frame.w[node];
    if (!Number.isFinite(x) || x < plot.x[0] || x > plot.x[1]) continue;
    const px = plot.px(x), py = plot.bottom;
    ctx.fillStyle = nodeColor(node);
    ctx.globalAlpha = state.hoverNode == null || state.hoverNode === node ? 0.95 : 0.25;
    ctx.beginPath(); ctx.moveTo(px, py - 10); ctx.lineTo(px - 5, py); ctx.lineTo(px + 5, py); ctx.fill();
  }
  ctx.globalAlpha = 1;
}

function drawLoss() {
  const plot = plots.loss, loss = state.loss;
  plot.clear();
  if (!loss.steps.length) return;
  const values = loss.train.concat(loss.test).filter((v) => v > 0 && Number.isFinite(v));
  if (!values.length) return;
  let low = Math.min(...values), high = Math.max(...values);
  if (high / low < 10) { low /= 3; high *= 3; }
  plot.logY = true;
  plot.x = [0, Math.max(loss.steps[loss.steps.length - 1], 10)];
  plot.y = [Math.pow(10, Math.floor(Math.log10(low))), Math.pow(10, Math.ceil(Math.log10(high)))];
  plot.axes("step", null);
  plot.clip(() => {
    plot.line(loss.steps, loss.test, { color: COLORS.test, width: 2.5 });
    plot.line(loss.steps, loss.train, { color: COLORS.ink, width: 2.5 });
  });
}

function updateReadout() {
  const frame = state.frame;
  if (!frame) return;
  $("step-count").textContent = frame.step.toLocaleString("en-US");
  $("loss").textContent = fmt(frame.loss);
  $("test").textContent = fmt(frame.test);
  $("r2").textContent = frame.r2 == null ? "–" : frame.r2.toFixed(3);
  $("fps").textContent = `${stats.fps} frames/s`;
}

// The table is rebuilt at most every 120 ms, and only when something changed.
function updateTable(now) {
  const frame = state.frame, data = state.data;
  const key = `${stats.frames}/${state.hoverNode}`;
  if (!frame || !data || now - state.lastTable < 120 || key === state.tableShows) return;
  state.lastTable = now;
  state.tableShows = key;
  const periodic = Boolean(frame.waves);
  const head = periodic ? ["node", "freq.", "phase", "amp."] : ["node", "w", "b", "v"];
  const headRow = document.querySelector("#node-table thead tr");
  if (headRow.dataset.kind !== String(periodic)) {
    headRow.innerHTML = head.map((h) => `<th>${h}</th>`).join("");
    headRow.dataset.kind = String(periodic);
  }
  $("nodes-formula").textContent = periodic
    ? "y = Σ amplitude·f(frequency·x + phase) + c"
    : "y = Σ v·f(w·x + b) + c";

  const count = frame.w.length;
  const order = [...Array(count).keys()].sort((a, b) => Math.abs(frame.v[b]) - Math.abs(frame.v[a]));
  const rows = order.slice(0, TABLE_ROWS).map((node) => {
    const values = periodic
      ? [frame.waves.frequency[node], frame.waves.phase[node], frame.waves.amplitude[node]]
      : [frame.w[node], frame.b[node], frame.v[node]];
    const dead = frame.dead && frame.dead.has(node);
    const classes = [node === state.hoverNode ? "hot" : "", dead ? "dead" : ""].join(" ");
    const tag = dead ? '<span class="tag">dead</span>' : "";
    return `<tr data-node="${node}" class="${classes}"><td><i class="chip" style="background:${nodeColor(node)}"></i>${node + 1}${tag}</td>` +
      values.map((v) => `<td>${fmt(v)}</td>`).join("") + "</tr>";
  });
  rows.push(`<tr class="offset"><td>c</td><td></td><td></td><td>${fmt(frame.c)}</td></tr>`);
  document.querySelector("#node-table tbody").innerHTML = rows.join("");
  const deadCount = frame.dead ? frame.dead.size : 0;
  const by = periodic ? "amplitude" : "|v|";
  const shown = count > TABLE_ROWS ? `Largest ${TABLE_ROWS} of ${count} nodes by ${by}. ` : `Sorted by ${by}. `;
  $("nodes-note").textContent = shown + (deadCount ? `${deadCount} dead (no gradient on any sample).` : "");
}

function render(now) {
  if (state.dirty) {
    state.dirty = false;
    drawFit(); drawExtrapolation(); drawLoss(); updateReadout();
    stats.drawn += 1;
    stats.drawnAt.push(now);
    while (stats.drawnAt.length && stats.drawnAt[0] < now - 1000) stats.drawnAt.shift();
    stats.drawFps = stats.drawnAt.length;
  }
  updateTable(now);
  requestAnimationFrame(render);
}

function start() {
  const redraw = () => { state.dirty = true; };
  plots.fit = new Plot($("fit-plot"), null, redraw);
  plots.extrap = new Plot($("extrap-plot"), { left: 48, right: 10, top: 8, bottom: 30 }, redraw);
  plots.loss = new Plot($("loss-plot"), { left: 56, right: 12, top: 8, bottom: 30 }, redraw);
  bindControls();
  showPlaying();
  connect();
  requestAnimationFrame(render);
}

start();
