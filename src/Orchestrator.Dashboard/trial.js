// Draws the trial's learning curves with uPlot (served by the dashboard itself) from its journal's JSON, embedded in the
// page and then pushed by the server (server-sent events from PATH/events) as each event is journaled: the page asks
// for nothing after it loaded.
(() => {
  const cells = (tr, values) => { for (const v of values) tr.insertCell().textContent = v; };
  const fmt = (x, d) => (x === null || x === undefined) ? '-' : Number(x).toFixed(d);
  const box = document.getElementById('curve');
  let journal = null;
  let chart = null;

  // The unfreeze (m from->to) and restore marks: dashed vertical lines at their epochs, labelled.
  const marks = {
    hooks: {
      draw: [u => {
        const ctx = u.ctx, top = u.bbox.top, bottom = u.bbox.top + u.bbox.height;
        ctx.save();
        ctx.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`;
        ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
        for (const m of journal.marks) {
          const x = u.valToPos(m.epoch, 'x', true);
          ctx.strokeStyle = ctx.fillStyle = m.kind === 'unfreeze' ? '#2a8a2a' : '#b02020';
          ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, bottom); ctx.stroke();
          ctx.fillText(m.label, x + 3 * devicePixelRatio, top + (m.kind === 'unfreeze' ? 12 : 26) * devicePixelRatio);
        }
        ctx.restore();
      }],
    },
  };

  // A diverged epoch's NaN or infinite loss comes as null: a gap in its curve, left out of the axis.
  const range = (u, lo, hi) => lo === null || hi === null ? [0, 1] : uPlot.rangeNum(lo, hi === lo ? lo + 1 : hi, 0.1, true);
  const options = () => ({
    width: 760, height: 330,
    plugins: [marks],
    scales: { x: { time: false, range: () => [1, Math.max(journal.maxEpochs, 2)] }, y: { range }, acc: { range: [0, 1] } },
    axes: [
      { label: 'epoch', incrs: [1, 2, 5, 10, 20, 50, 100] },
      { label: 'loss' },
      { scale: 'acc', side: 1, label: 'validation accuracy', grid: { show: false } },
    ],
    series: [
      { label: 'epoch' },
      { label: 'train loss', stroke: '#1f77b4', width: 2, points: { show: true, size: 6 } },
      { label: 'validation loss', stroke: '#ff7f0e', width: 2, points: { show: true, size: 6 } },
      { label: 'validation accuracy', stroke: '#2ca02c', width: 1, dash: [6, 4], scale: 'acc', points: { show: true, size: 4 } },
    ],
  });

  function draw(j) {
    const data = [j.epochs.map(e => e.epoch), j.epochs.map(e => e.trainLoss), j.epochs.map(e => e.valLoss), j.epochs.map(e => e.valAccuracy)];
    if (chart === null) chart = new uPlot(options(), data, box);
    else chart.setData(data);
    box.dataset.points = String(data[0].length);
  }

  function show(j) {
    journal = j;
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
  const stream = new EventSource(location.pathname.replace(/\/$/, '') + '/events');
  stream.onmessage = m => { const j = JSON.parse(m.data); if (j !== null) show(j); };
  window.dashboardStream = stream;
  addEventListener('pagehide', () => stream.close());
})();
