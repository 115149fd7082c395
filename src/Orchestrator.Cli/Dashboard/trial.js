// Draws the trial's learning curves from its journal's JSON, and fetches that JSON again every 1.5 s.
(() => {
  const svgNs = 'http://www.w3.org/2000/svg';
  const url = new URL(location.pathname.replace(/\/$/, '') + '/journal.json', location.href);
  const el = (name, attrs, text) => {
    const e = document.createElementNS(svgNs, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const cells = (tr, values) => { for (const v of values) tr.insertCell().textContent = v; };
  const fmt = (x, d) => (x === null || x === undefined) ? '-' : Number(x).toFixed(d);

  function draw(j) {
    const svg = document.getElementById('curve');
    svg.replaceChildren();
    const W = 760, H = 330, L = 55, R = 20, T = 20, B = 40;
    // A diverged epoch's NaN or infinite loss comes as null: it is left out of the axis and the curve.
    const losses = j.epochs.flatMap(e => [e.trainLoss, e.valLoss]).filter(v => v !== null);
    const lastEpoch = Math.max(j.maxEpochs, 1);
    let lo = Math.min(...losses, Infinity), hi = Math.max(...losses, -Infinity);
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
    const x = ep => L + (W - L - R) * (lastEpoch === 1 ? 0.5 : (ep - 1) / (lastEpoch - 1));
    const y = v => T + (H - T - B) * (hi - v) / (hi - lo);
    svg.append(el('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: '#999' }), el('line', { x1: L, y1: T, x2: L, y2: H - B, stroke: '#999' }));
    for (let i = 0; i <= 4; i++) {
      const v = lo + (hi - lo) * i / 4;
      svg.append(el('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, v.toFixed(3)));
    }
    for (let ep = 1; ep <= lastEpoch; ep++) svg.append(el('text', { x: x(ep), y: H - B + 16, 'text-anchor': 'middle' }, ep));
    svg.append(el('text', { x: (L + W - R) / 2, y: H - 6, 'text-anchor': 'middle' }, 'epoch'));
    for (const m of j.marks) {
      const colour = m.kind === 'unfreeze' ? '#2a8a2a' : '#b02020';
      svg.append(el('line', { x1: x(m.epoch), y1: T, x2: x(m.epoch), y2: H - B, stroke: colour, 'stroke-dasharray': '4 3', class: 'mark ' + m.kind }),
                 el('text', { x: x(m.epoch) + 3, y: T + 10 + (m.kind === 'unfreeze' ? 0 : 14), fill: colour }, m.label));
    }
    for (const [key, colour, name] of [['trainLoss', '#1f77b4', 'train loss'], ['valLoss', '#ff7f0e', 'validation loss']]) {
      const drawn = j.epochs.filter(e => e[key] !== null);
      const pts = drawn.map(e => `${x(e.epoch)},${y(e[key])}`).join(' ');
      svg.append(el('polyline', { points: pts, fill: 'none', stroke: colour, 'stroke-width': 2 }));
      for (const e of drawn) {
        const c = el('circle', { cx: x(e.epoch), cy: y(e[key]), r: 3.5, fill: colour, class: 'point ' + key });
        c.append(el('title', {}, `${name}, epoch ${e.epoch}: ${e[key].toFixed(4)}`));
        svg.append(c);
      }
      const ly = key === 'trainLoss' ? T : T + 16;
      svg.append(el('rect', { x: W - R - 130, y: ly, width: 12, height: 4, fill: colour }), el('text', { x: W - R - 112, y: ly + 6 }, name));
    }
  }

  function show(j) {
    draw(j);
    const live = j.live ? `; running on ${j.live.node} ${j.live.slot}, epoch ${j.live.epoch}${j.live.training ? ' in training' : ''}` : '';
    document.getElementById('facts').textContent =
      `${j.status}: epoch ${j.epochsDone} of ${j.maxEpochs}, m ${j.unfrozen} of ${j.groups}, lr ${j.learningRate.toPrecision(4)}, ` +
      `patience ${j.patienceCounter}/${j.patience}, best val loss ${j.bestEpoch > 0 ? j.bestValLoss.toFixed(4) + ' (epoch ' + j.bestEpoch + ')' : '-'}` +
      `${j.failure ? ', failed: ' + j.failure : ''}${live}${j.note ? ' (' + j.note + ')' : ''}`;
    const epochs = document.getElementById('epochs');
    epochs.replaceChildren();
    for (const e of j.epochs)
      cells(epochs.insertRow(), [e.epoch, fmt(e.trainLoss, 4), fmt(e.valLoss, 4), fmt(e.valAccuracy, 3), `${e.unfrozen} of ${j.groups}`,
        e.learningRate.toPrecision(3), e.patienceCounter, fmt(e.seconds, 1)]);
    const events = document.getElementById('events');
    events.replaceChildren();
    for (const e of j.events) cells(events.insertRow(), [e.seq, e.attempt, e.type + (e.superseded ? ' (superseded)' : ''), e.details]);
  }

  show(JSON.parse(document.getElementById('journal').textContent));
  // Each fetch waits for the one before (a slow answer must not pile requests up).
  const tick = async () => {
    try {
      const r = await fetch(url, { cache: 'no-store' });
      if (r.ok) show(await r.json());
    } catch (e) { /* the dashboard restarting: try again at the next tick */ }
    setTimeout(tick, 1500);
  };
  setTimeout(tick, 1500);
})();
